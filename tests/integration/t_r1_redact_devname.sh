#!/bin/bash
# t_r1_redact_devname.sh - R1 (#15), low: with --redact paths a device target's path
# (/dev/loopN) is a token, but targets[].identity.name keeps its kernel name "loopN" (the
# path less "/dev/"), printed again by dispose show and the PDF: the path is read back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
D=$DISPOSE
cd "$T" || die "cd"
selfsigned s '/CN=devname test signer' -addext keyUsage=critical,digitalSignature || die "signer"
dev=$(mkloop 4 "$T/disk.img") || die "mkloop"
"$D" erase --yes --progress none --method zero --verify last --run-dir "$T/r" "$dev" >"$T/e.out" 2>&1 ||
	die "erase: $(cat "$T/e.out")"
"$D" certify --run-dir "$T/r" --key s.key --cert s.crt --redact paths -o "$T/c.json" >"$T/c.out" 2>&1 ||
	die "certify: $(cat "$T/c.out")"
n=${dev#/dev/}
grep -q "\"name\": \"$n\"" "$T/c.json" || die "the full certificate has no identity.name $n: vacuous"
! grep -qw -- "$n" "$T/c.redacted.json" || die "'$n' (the path $dev less /dev/) in the copy: $(grep -nw -- "$n" "$T/c.redacted.json")"
ok "--redact paths: the device's kernel name is hidden with its path"
