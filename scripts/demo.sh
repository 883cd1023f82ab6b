#!/bin/bash
# demo.sh - dispose run on a scratch "server": inventory, plan, archive, erase,
# certify in one run, then the proofs with stock tools.
# Usage: scripts/demo.sh [path/to/dispose]     (make demo: as root)
# Everything lives in one mktemp directory /tmp/dispose-demo.XXXXXX: the
# server tree, two image files on loop devices (a data disk full of a marker
# and a LUKS2 volume), the demo signing key and the run directory. The loop
# devices and images are removed at the end; the rest is kept and named on
# the last lines. DISPOSE_DEMO_PDF=FILE: the run's certificate.pdf is also
# copied to FILE (make docs-png renders its first page for the README).
set -u
bin=$(readlink -f "${1:-build/dispose}")
[ -x "$bin" ] || { echo "demo: $bin: not executable (run make first)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "demo: needs root (loop devices, cryptsetup): run make demo as root" >&2; exit 2; }
for c in python3 grep dd losetup cryptsetup openssl ssh-keygen zstd bsdtar sha512sum; do
	command -v "$c" >/dev/null ||
		{ echo "demo: $c: not installed (scripts/deps.sh demo installs it)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/dispose-demo.XXXXXX) || exit 1
cd "$work" || exit 1	# whatever a command writes to its working directory stays here
S=$work/server
run=$work/run
loops=()
keep=""		# set once dispose run has written its record
cleanup() {
	local l
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -f "$work/data-disk.img" "$work/luks-disk.img"
	[ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
marker=DISPOSE-DEMO-MARKER
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
runsh() { printf '$ %s\n' "$1"; sh -c "$1"; }	# a pipeline (the paths hold no blank)
fail() { echo "demo: $*" >&2; exit 1; }
# a file of N KiB holding the marker (what must be gone after the run)
marked() { mkdir -p "$(dirname "$1")"; python3 -c '
import sys; m = (sys.argv[2] + "\n").encode(); n = int(sys.argv[3]) * 1024
sys.stdout.buffer.write((m * (n // len(m) + 1))[:n])' x "$marker" "$2" >"$1"; }
record() { mkdir -p "$(dirname "$1")"; printf '%s\n' "${@:2}" >"$1"; }

say "a scratch server under $S"
record "$S/etc/hostname" demo-server
record "$S/etc/app/app.conf" "listen = 0.0.0.0:8443" "tls_key = /opt/app/tls/server.key"
record "$S/etc/passwd" "root:x:0:0:root:/root:/bin/bash" "alice:x:1000:1000:Alice:/home/alice:/bin/bash"
record "$S/var/log/syslog" "Dec  1 10:00:00 demo-server app[42]: started" \
	"Dec  1 10:05:00 demo-server app[42]: order 1001 shipped"
record "$S/var/log/auth.log" "Dec  1 09:59:00 demo-server sshd[7]: Accepted publickey for alice"
for y in 2019 2020 2021; do
	record "$S/srv/records/invoices/$y.csv" "invoice,customer,amount" "$y-001,ACME,1200.00" "$y-002,Initech,80.50"
done
record "$S/srv/records/contracts/acme.txt" "Supply contract ACME / Demo Org, signed 2019-03-01"
marked "$S/srv/data/customers.csv" 512
marked "$S/srv/data/uploads/scan-0001.bin" 2048
marked "$S/home/alice/notes.txt" 16
marked "$S/opt/app/bin/app" 256
marked "$S/opt/app/lib/libapp.so" 1024
mkdir -p "$S/home/alice/.ssh" "$S/opt/app/tls"
ssh-keygen -q -t ed25519 -N '' -C alice@demo-server -f "$S/home/alice/.ssh/id_ed25519" ||
	fail "ssh-keygen failed"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$S/opt/app/tls/server.key" 2>/dev/null ||
	fail "openssl genpkey failed"
# a dpkg database: two packages and the files they own
mkdir -p "$S/var/lib/dpkg/info" "$S/usr/bin" "$S/usr/share/doc/demo-web"
for p in demo-web demo-tools; do
	cat >>"$S/var/lib/dpkg/status" <<EOF
Package: $p
Status: install ok installed
Priority: optional
Section: web
Installed-Size: 12
Maintainer: Demo <demo@example.org>
Architecture: all
Version: 1.0-1
Description: $p, a package of the demo server

EOF
	record "$S/usr/bin/$p" '#!/bin/sh' "echo $p"
	chmod 0755 "$S/usr/bin/$p"
	printf '/.\n/usr\n/usr/bin\n/usr/bin/%s\n' "$p" >"$S/var/lib/dpkg/info/$p.list"
done
record "$S/usr/share/doc/demo-web/README" "demo-web"
echo "/usr/share/doc/demo-web/README" >>"$S/var/lib/dpkg/info/demo-web.list"
# what must come back from the archive, byte for byte
mkdir -p "$work/before"
cp -a "$S/etc" "$S/var" "$S/srv" "$work/before/"
rm -rf "$work/before/srv/data" "$work/before/var/lib"
(cd "$S" && find . -type f | sort | sed 's|^\./|  |')

say "two loop devices: a data disk full of the marker, and a LUKS2 volume"
python3 -c '
import sys; m = sys.argv[2].encode(); b = (m * ((1 << 20) // len(m) + 1))[:1 << 20]
with open(sys.argv[1], "wb") as f:
    for _ in range(32): f.write(b)' "$work/data-disk.img" "$marker" || fail "cannot write the data disk image"
# the LUKS disk: random bytes (what ciphertext looks like), then a LUKS2 header
dd if=/dev/urandom of="$work/luks-disk.img" bs=1M count=32 status=none || fail "cannot write the LUKS image"
data_disk=$(losetup -f --show "$work/data-disk.img") || fail "losetup: no loop device"
loops+=("$data_disk")
luks_disk=$(losetup -f --show "$work/luks-disk.img") || fail "losetup: no loop device"
loops+=("$luks_disk")
head -c 64 /dev/urandom >"$work/luks.key"
run cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$work/luks.key" "$luks_disk" || fail "cryptsetup luksFormat failed"
cryptsetup open --test-passphrase --key-file "$work/luks.key" "$luks_disk" ||
	fail "the new LUKS volume does not open with its key"
echo "data disk $data_disk: $(dd if="$data_disk" bs=1M iflag=direct status=none | grep -a -o "$marker" | wc -l) markers"
echo "LUKS disk $luks_disk: opens with $work/luks.key"

say "a demo signing key for the certificate"
run "$bin" keygen --subject "/CN=dispose demo signer/O=Demo Org" -o "$work/signer" || fail "keygen failed"

sets=(--set "SERVER=$S" --set "DATA_DISK=$data_disk" --set "LUKS_DISK=$luks_disk"
	--set "KEY=$work/signer.key" --set "CERT=$work/signer.crt")
say "what the demo policy decides for every item (changes nothing)"
run "$bin" plan --policy demo "${sets[@]}" || fail "plan failed (exit $?)"

say "inventory, plan, archive, verify, erase, certify: one run"
cmd=("$bin" run --policy demo "${sets[@]}" --yes --run-dir "$run")
printf '$ %s\n' "${cmd[*]}"
"${cmd[@]}" > >(tee "$work/run.out") 2> >(tee "$work/run.err" >&2)
rc=$?
wait
[ -e "$run/events.jsonl" ] && keep=1
[ "$rc" = 0 ] || fail "dispose run: exit $rc (the run directory $run is kept)"
cert=$run/certificate.json
[ -s "$cert" ] && [ -s "$cert.p7s" ] || fail "dispose run: no $cert and $cert.p7s"

say "the certificate: dispose verify, then stock openssl alone"
run "$bin" verify --ca "$work/signer.crt" --run-dir "$run" "$cert" || fail "dispose verify failed"
run openssl cms -verify -binary -inform DER -in "$cert.p7s" -content "$cert" \
	-CAfile "$work/signer.crt" -purpose any -out /dev/null || fail "openssl cms -verify failed"
say "the certificate as a PDF people read: certificate.pdf, beside the JSON, checked against it"
pdf=$run/certificate.pdf
[ -s "$pdf" ] || fail "dispose run: no $pdf"
run "$bin" verify --ca "$work/signer.crt" --pdf "$pdf" "$cert" || fail "dispose verify --pdf failed"
if [ -n "${DISPOSE_DEMO_PDF:-}" ]; then
	cp "$pdf" "$DISPOSE_DEMO_PDF" || fail "cannot copy $pdf to $DISPOSE_DEMO_PDF"
fi
say "the certificate as a person reads it (its summary and each medium's result)"
printf '$ %s\n' "$bin show $cert"
"$bin" show "$cert" >"$work/show.txt" || fail "dispose show failed (exit $?)"
# the summary up to the media, then the lines that say what became of each medium
awk '/^MEDIA INFORMATION/ { m = 1 } /^SANITIZATION DETAILS/ { d = 1; print; next }
	/^[A-Z][A-Z ]+$/ && d && !/^SANITIZATION DETAILS/ { d = 0 }
	!m || (d && /Medium [0-9]+ of|Method used:|Category achieved:|Verification:|Result:/)' \
	"$work/show.txt"
echo "... ($(wc -l <"$work/show.txt") lines: the whole form and every detail are in $work/show.txt)"

say "the erased data is gone"
n=$(dd if="$data_disk" bs=1M iflag=direct status=none | grep -a -o "$marker" | wc -l)
echo "data disk $data_disk: $n markers"
[ "$n" = 0 ] || fail "the data disk still holds the marker"
if cryptsetup open --test-passphrase --key-file "$work/luks.key" "$luks_disk" 2>/dev/null; then
	fail "the LUKS volume still opens with its key"
fi
cryptsetup isLuks "$luks_disk" && fail "$luks_disk: still a LUKS header"
echo "LUKS disk $luks_disk: no LUKS header, its key no longer opens it"
for p in srv/data srv/records home/alice home/alice/.ssh/id_ed25519 opt/app/bin opt/app/lib \
	opt/app/tls/server.key; do
	[ ! -e "$S/$p" ] || fail "$S/$p: still there"
	echo "$S/$p: gone"
done
n=$(grep -r -a -o "$marker" "$S" 2>/dev/null | wc -l)
echo "markers left under $S: $n"
[ "$n" = 0 ] || fail "the marker is still in the server tree"

say "the records come back from the archive with stock tools"
arch=$(ls "$run"/archives/*.tar.zst 2>/dev/null | head -1)
[ -n "$arch" ] || fail "no archive in $run/archives"
mkdir -p "$work/restore"
runsh "zstd -dc $arch | bsdtar -xpf - -C $work/restore" || fail "cannot extract $arch"
bag=$work/restore/$(basename "$arch" .tar.zst)
runsh "cd $bag && sha512sum --quiet -c manifest-sha512.txt && sha512sum --quiet -c tagmanifest-sha512.txt" ||
	fail "the bag's manifests do not check"
echo "every file of the bag matches its SHA-512"
run diff -r "$work/before" "$bag/data$S" || fail "the restored records differ from the originals"
echo "the records restore byte for byte ($(find "$work/before" -type f | wc -l) files)"

say "done: the run directory is kept"
echo "run directory: $run"
echo "certificate: $cert"
echo "certificate PDF: $pdf"
echo "archive: $arch"
echo "restored records: $bag/data$S"
echo "verify it: openssl cms -verify -binary -inform DER -in $cert.p7s -content $cert -CAfile $work/signer.crt -purpose any"
