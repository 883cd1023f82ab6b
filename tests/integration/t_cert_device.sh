#!/bin/bash
# t_cert_device.sh - dispose verify --device: the certified loop device re-read
# (a random and a zero method) is valid and names its seed; one sector written
# after the erase is caught (exit 3, naming the offset); another loop device of
# the same size is refused (exit 4, naming what differs) and not read at all.
. "$(dirname "$0")/lib.sh"
need_root
command -v openssl >/dev/null || skip "openssl missing"
command -v python3 >/dev/null || skip "python3 missing"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" \
	-out "$T/c.pem" -days 30 -subj /CN=c4-device-test \
	-addext keyUsage=critical,digitalSignature >/dev/null 2>&1 || die "openssl req"

# sectors_read DEV: the kernel's count of sectors read from DEV
sectors_read() { awk '{print $3}' "/sys/class/block/${1#/dev/}/stat"; }

# field JSON KEY...: a member of the verify --json device report
field() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["certificates"][0]["device"]
print(d[sys.argv[2]] if d[sys.argv[2]] is not None else "null")
PY
}

# certified NAME DEV METHOD: erase DEV with METHOD, certify it as $T/NAME.json
certified() {
	"$DISPOSE" erase --yes --progress none --method "$3" --verify last --run-dir "$T/run.$1" "$2" \
		>"$T/erase.$1" 2>&1 || { cat "$T/erase.$1"; die "erase $2 ($3)"; }
	"$DISPOSE" certify --run-dir "$T/run.$1" --key "$T/k.pem" --cert "$T/c.pem" \
		-o "$T/$1.json" >"$T/certify.$1" 2>&1 || { cat "$T/certify.$1"; die "certify $1"; }
}

size=$((8 << 20))
a=$(mkloop 8) || die "mkloop"
b=$(mkloop 8) || die "mkloop"
z=$(mkloop 8) || die "mkloop"
for d in "$a" "$b" "$z"; do fill_marker "$d" 8; done
certified rnd "$a" random
certified zero "$z" zero

for c in "rnd $a" "zero $z"; do
	set -- $c
	# the default sample (1 %), seed from the test hook, then from the CSPRNG
	DISPOSE_TEST_SEED=00000000c4c4c4c4 "$DISPOSE" verify --ca "$T/c.pem" --device "$2" --json \
		"$T/$1.json" >"$T/v.$1.json" 2>"$T/v.$1.err"
	rc=$?
	[ "$rc" = 0 ] || die "$1: verify --device $2: exit $rc: $(cat "$T/v.$1.err")"
	[ "$(field "$T/v.$1.json" seed)" = 00000000c4c4c4c4 ] || die "$1: seed: $(cat "$T/v.$1.json")"
	[ "$(field "$T/v.$1.json" percent)" = 1 ] || die "$1: percent"
	[ "$(field "$T/v.$1.json" target)" = t1 ] || die "$1: target"
	[ "$(field "$T/v.$1.json" mismatches)" = 0 ] || die "$1: mismatches"
	[ "$(field "$T/v.$1.json" first_mismatch)" = null ] || die "$1: first_mismatch"
	n=$(field "$T/v.$1.json" bytes_read)
	[ "$n" -ge $((size / 100)) ] && [ "$n" -le "$size" ] && [ $((n % 512)) = 0 ] ||
		die "$1: bytes_read $n"
	"$DISPOSE" verify --ca "$T/c.pem" --device "$2" --json "$T/$1.json" >"$T/v2.$1.json" 2>&1 ||
		die "$1: verify (random seed): $(cat "$T/v2.$1.json")"
	s=$(field "$T/v2.$1.json" seed)
	[[ $s =~ ^[0-9a-f]{16}$ ]] && [ "$s" != 00000000c4c4c4c4 ] || die "$1: CSPRNG seed: $s"
	"$DISPOSE" verify --ca "$T/c.pem" --device "$2" "$T/$1.json" >"$T/v3.$1" 2>&1 ||
		die "$1: verify: $(cat "$T/v3.$1")"
	grep -q "^$T/$1.json: valid: certificate-of-sanitization" "$T/v3.$1" || die "$1: $(cat "$T/v3.$1")"
	ok "$1: verify --device $2: valid, seed reported, >= 1 % read, no mismatch"
done

# another device of the same size: refused before anything is read from it
udevadm settle >/dev/null 2>&1
before=$(sectors_read "$b")
"$DISPOSE" verify --ca "$T/c.pem" --device "$b" "$T/rnd.json" >"$T/other.out" 2>"$T/other.err"
rc=$?
after=$(sectors_read "$b")
[ "$rc" = 4 ] || die "another device: exit $rc (want 4): $(cat "$T/other.out" "$T/other.err")"
grep -q "invalid: $b: not the certified medium (target t1): device number was .*, is .*backing file was .*, is .*; nothing read" \
	"$T/other.out" || die "another device: $(cat "$T/other.out")"
[ "$before" = "$after" ] || die "another device: $((after - before)) sectors read from $b"
[ "$(count_marker "$b")" -gt 0 ] || die "another device: its data changed"
ok "another device of the same size: refused (exit 4) naming what differs, nothing read"

# one sector written after the erase: a full re-read names it
for c in "rnd $a 4194304" "zero $z 6291456"; do
	set -- $c
	printf 'changed after the erase' | dd of="$2" bs=512 seek=$(($3 / 512)) conv=notrunc,fsync \
		status=none || die "dd"
	"$DISPOSE" verify --ca "$T/c.pem" --device "$2" --sample 100 "$T/$1.json" >"$T/m.$1" 2>&1
	rc=$?
	[ "$rc" = 3 ] || die "$1: changed sector: exit $rc (want 3): $(cat "$T/m.$1")"
	grep -Eq "invalid: $2: [0-9]+ of $size bytes read differ from the final pass of target t1, the first at offset $3" \
		"$T/m.$1" || die "$1: changed sector: $(cat "$T/m.$1")"
	"$DISPOSE" verify --ca "$T/c.pem" --device "$2" --sample 100 --json "$T/$1.json" >"$T/m.$1.json" 2>/dev/null
	[ "$(field "$T/m.$1.json" first_mismatch)" = "$3" ] && [ "$(field "$T/m.$1.json" bytes_read)" = $size ] ||
		die "$1: report: $(cat "$T/m.$1.json")"
	ok "$1: a sector written after the erase: exit 3, offset $3 named"
done
