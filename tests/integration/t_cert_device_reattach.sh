#!/bin/bash
# t_cert_device_reattach.sh - a loop device detached and re-attached under the
# same number to a copy of its image at the same path (same size, same data,
# another inode) is not the certified medium: the record and the certificate
# carry the backing file's device, inode and size, and verify --device
# refuses it (exit 4, naming the inode); the original still verifies, its
# text line naming the bytes read, the percent and the seed of the sample.
# run alone: re-attaches a loop device under the same number
. "$(dirname "$0")/lib.sh"
need_root
command -v openssl >/dev/null || skip "openssl missing"
command -v python3 >/dev/null || skip "python3 missing"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" \
	-out "$T/c.pem" -days 30 -subj /CN=f1-reattach-test \
	-addext keyUsage=critical,digitalSignature >/dev/null 2>&1 || die "openssl req"

img=$T/image.a
a=$(mkloop 8 "$img") || die "mkloop"
fill_marker "$a" 8
"$DISPOSE" erase --yes --progress none --method random --verify last --run-dir "$T/run" "$a" \
	>"$T/erase" 2>&1 || die "erase: $(cat "$T/erase")"
"$DISPOSE" certify --run-dir "$T/run" --key "$T/k.pem" --cert "$T/c.pem" -o "$T/a.json" \
	>"$T/certify" 2>&1 || die "certify: $(cat "$T/certify")"

# the record's target identity and the certificate's carry the image's device, inode and size
python3 - "$img" "$T/run/events.jsonl" "$T/a.json" <<'PY' || die "backing identity"
import json, os, sys
st = os.stat(sys.argv[1])
want = {"backing_dev": "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev)),
        "backing_ino": st.st_ino, "backing_size": st.st_size}
ids = [json.loads(l)["identity"] for l in open(sys.argv[2]) if json.loads(l).get("event") == "target"]
ids.append(json.load(open(sys.argv[3]))["targets"][0]["identity"])
for i in ids:
    got = {k: i.get(k) for k in want}
    if got != want:
        sys.exit("want %r, got %r" % (want, got))
PY
ok "record and certificate: backing_dev, backing_ino, backing_size of the image"

DISPOSE_TEST_SEED=00000000f1f1f1f1 "$DISPOSE" verify --ca "$T/c.pem" --device "$a" --sample 2 \
	"$T/a.json" >"$T/v1" 2>&1 || die "the certified device itself: exit $?: $(cat "$T/v1")"
# the text line names what was read, as --json does: the seed repeats the sample
grep -Eq "^$T/a.json: valid: certificate-of-sanitization .*, weakest category clear; device $a \(target t1\): [0-9]+ bytes read, sample 2 %, seed 00000000f1f1f1f1, 0 mismatching$" \
	"$T/v1" || die "the certified device: line: $(cat "$T/v1")"
ok "the certified device: valid, the line names bytes read, percent and seed"

# detach; the image replaced by a byte-identical copy (a new inode) at the same path
losetup -d "$a" || die "losetup -d"
cp --sparse=always "$img" "$img.copy" && mv "$img.copy" "$img" || die "copy"
losetup "$a" "$img" 2>"$T/re" || skip "$a was taken by someone else: $(cat "$T/re")"
[ "$(cat "/sys/block/${a#/dev/}/loop/backing_file")" = "$img" ] || die "re-attached to what?"
"$DISPOSE" verify --ca "$T/c.pem" --device "$a" "$T/a.json" >"$T/v2" 2>&1
rc=$?
[ "$rc" = 4 ] || die "re-attached copy: exit $rc (want 4): $(cat "$T/v2")"
grep -q "invalid: $a: not the certified medium (target t1): .*backing file's inode was [0-9]*, is [0-9]*; nothing read" \
	"$T/v2" || die "re-attached copy: $(cat "$T/v2")"
ok "re-attached to a copy at the same path: refused (exit 4), the inode named"
