#!/bin/bash
# t_demo.sh - `make demo` (scripts/demo.sh) end to end: dispose run --policy
# demo on its scratch server and loop devices. Checked here again, apart from
# what the demo says: its end names a kept run directory under its own
# /tmp/dispose-demo.* whose record's chain holds; the certificate is a
# certificate of sanitization of every target that stock openssl verifies
# against the demo signer; the data disk holds no marker; the archive, read
# with zstd and bsdtar, gives back the records byte for byte; the loop
# devices and images are gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
for c in cryptsetup openssl ssh-keygen zstd bsdtar sha512sum; do
	command -v "$c" >/dev/null || skip "$c not installed (scripts/deps.sh demo)"
done
bin=${DISPOSE_REL:-$DISPOSE}
# the demo keeps its directory by design (named on its first heading): removed
# here, also when it fails
mine=""
trap '[ -n "$mine" ] && rm -rf "$mine"; cleanup' EXIT
"$SRCDIR/scripts/demo.sh" "$bin" >"$T/out" 2>"$T/err" </dev/null
rc=$?
mine=$(sed -n 's|.*== a scratch server under \(/tmp/dispose-demo\.[^/]*\)/server.*|\1|p' "$T/out" | head -1)
[ "$rc" = 0 ] || die "demo: exit $rc: $(tail -5 "$T/err") / $(tail -3 "$T/out")"
[ -n "$mine" ] || die "demo: does not name its scratch server under /tmp/dispose-demo.*"
# what follows the last "== done" heading (the headings are bold: match the text)
awk '/== done/ { n = NR } { l[NR] = $0 } END { for (i = n + 1; i <= NR; i++) print l[i] }' \
	"$T/out" >"$T/end"
[ -s "$T/end" ] || die "demo: nothing after its done heading: $(tail -5 "$T/out")"
dir=$(sed -n 's/^run directory: //p' "$T/end")
cert=$(sed -n 's/^certificate: //p' "$T/end")
arch=$(sed -n 's/^archive: //p' "$T/end")
[ -n "$dir" ] && [ -n "$cert" ] && [ -n "$arch" ] || die "demo: the end does not name the run, certificate and archive: $(cat "$T/end")"
kept=$(dirname "$dir")
[ "$mine" = "$kept" ] || die "demo: run directory $dir not in the directory it made ($mine)"
[ "$cert" = "$dir/certificate.json" ] || die "demo: certificate $cert not the run's"
check_chain "$dir"
grep -q '"event":"run_end".*"status":"success"' "$dir/events.jsonl" || die "demo: the record holds no successful run_end"

# the certificate, with stock openssl and the demo's own signer certificate
openssl cms -verify -binary -inform DER -in "$cert.p7s" -content "$cert" -CAfile "$kept/signer.crt" \
	-purpose any -out /dev/null 2>"$T/cms" || die "openssl cms -verify: $(cat "$T/cms")"
python3 - "$cert" <<'PY' || die "demo: the certificate does not say what the demo did"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "certificate-of-sanitization", d["kind"]
s = d["summary"]
assert s["targets"] == s["succeeded"] == 7 and s["failed"] == 0, s
assert s["backed_up"] == "yes", s
kinds = sorted(t["kind"] for t in d["targets"])
assert kinds == ["block", "block", "file", "tree", "tree", "tree", "tree"], kinds
assert all(t["result"] == "success" for t in d["targets"])
PY

# what the demo says it proved
grep -qE '^data disk /dev/loop[0-9]+: 0 markers$' "$T/out" || die "demo: no '0 markers' on the data disk"
grep -qE '^markers left under .*/server: 0$' "$T/out" || die "demo: markers left in the server tree"
grep -q "its key no longer opens it" "$T/out" || die "demo: the LUKS volume still opens"
grep -qx "CMS Verification successful" "$T/out" "$T/err" || die "demo: did not run openssl cms -verify"
grep -q ': valid: certificate-of-sanitization' "$T/out" || die "demo: dispose verify did not say valid"
grep -q '^CERTIFICATE OF SANITIZATION' "$T/out" || die "demo: dispose show not shown"

# the archive, read again here: a record and a log line, byte for byte
case $arch in "$dir"/archives/*.tar.zst) ;; *) die "demo: archive $arch not in the run's archives" ;; esac
mkdir "$T/x"
zstd -dc "$arch" | bsdtar -xpf - -C "$T/x" || die "$arch: zstd | bsdtar failed"
bag=$T/x/$(basename "$arch" .tar.zst)
(cd "$bag" && sha512sum --quiet -c manifest-sha512.txt) || die "$arch: manifest-sha512.txt does not check"
printf 'invoice,customer,amount\n2019-001,ACME,1200.00\n2019-002,Initech,80.50\n' >"$T/want"
cmp "$T/want" "$bag/data$kept/server/srv/records/invoices/2019.csv" || die "$arch: a record differs"
[ "$(cat "$bag/data$kept/server/etc/hostname")" = demo-server ] || die "$arch: etc/hostname differs"
[ ! -e "$kept/server/srv/records" ] || die "demo: the retained-then-erased records are still on the server"

# nothing left attached or written outside
[ ! -e "$kept/data-disk.img" ] && [ ! -e "$kept/luks-disk.img" ] || die "demo: its images were left behind"
if losetup -l -n -O BACK-FILE 2>/dev/null | grep -qF "$kept/"; then
	die "demo: a loop device is still attached to $kept"
fi
ok "demo: a certificate of sanitization of 7 targets, verified by openssl; markers gone; records restored; run kept in $dir"
