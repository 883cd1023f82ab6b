#!/bin/bash
# t_cert_device_arg.sh - verify --device naming something that is not a block
# device (/dev/null, a regular file, a directory, a FIFO, a symlink to one) is
# the caller's mistake: a usage error (exit 2, one line naming it) before any
# certificate is checked, never "invalid" said of a good certificate (it was
# exit 3, "CERT.json: invalid: /dev/null: not a block device") (#12 review R2).
. "$(dirname "$0")/lib.sh"
need_root
command -v openssl >/dev/null || skip "openssl missing"

echo data >"$T/victim"
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$T/r" "$T/victim" \
	>"$T/erase.out" 2>&1 || die "erase: $(cat "$T/erase.out")"
"$DISPOSE" keygen -q -o "$T/k" || die "keygen"
"$DISPOSE" certify -q --run-dir "$T/r" --key "$T/k.key" --cert "$T/k.crt" -o "$T/c.json" ||
	die "certify"
"$DISPOSE" verify --ca "$T/k.crt" "$T/c.json" >"$T/v.out" 2>&1 || die "verify: $(cat "$T/v.out")"

mkfifo -m 600 "$T/fifo"
mkdir "$T/dir"
ln -s /dev/null "$T/null-link"
for d in /dev/null "$T/c.json" "$T/dir" "$T/fifo" "$T/null-link"; do
	timeout 60 "$DISPOSE" verify --ca "$T/k.crt" --device "$d" "$T/c.json" >"$T/o" 2>"$T/e"
	rc=$?
	[ $rc = 2 ] || die "--device $d: expected exit 2, got $rc: $(cat "$T/o" "$T/e")"
	[ ! -s "$T/o" ] || die "--device $d: a verdict was printed: $(cat "$T/o")"
	grep -qxF "dispose: --device: $d: not a block device" "$T/e" ||
		die "--device $d: $(cat "$T/e")"
done
ok "--device that is not a block device: usage error, exit 2, no verdict"
