#!/bin/bash
# t_r1_redact_many.sh - R1 (#15): the redaction compares every string of the certificate
# with every hidden value at every byte (replace_in: strings x length x values), and builds
# the copy twice: quadratic in the number of targets. 3000 files erased in one run: plain
# certify ~6 s, certify --redact paths ~50 s (release build); 10000 files take minutes.
# Bound: --redact may cost at most 3 times the plain certify plus 10 s.
# run alone: timing
. "$(dirname "$0")/lib.sh"
need_root
command -v openssl >/dev/null || skip "openssl missing"
D=${DISPOSE_REL:-$DISPOSE}
N=3000
cd "$T" || die "cd"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout s.key -out s.crt \
	-days 30 -subj '/CN=many test signer' -addext keyUsage=critical,digitalSignature \
	2>/dev/null || die "signer"
mkdir -p "$T/f" || die "mkdir"
for i in $(seq 1 $N); do echo "$i" >"$T/f/customer-file-$i.txt"; done
"$D" erase --yes --progress none --method zero --verify none --run-dir "$T/r" "$T"/f/* \
	>"$T/e.out" 2>&1 || die "erase: $(tail -3 "$T/e.out")"
s=$(date +%s.%N)
"$D" certify -q --run-dir "$T/r" --key s.key --cert s.crt -o "$T/a.json" >"$T/a.out" 2>&1 ||
	[ $? = 3 ] || die "certify: $(cat "$T/a.out")"
m=$(date +%s.%N)
timeout 600 "$D" certify -q --run-dir "$T/r" --key s.key --cert s.crt --redact paths -o "$T/b.json" \
	>"$T/b.out" 2>&1 || [ $? = 3 ] || die "certify --redact: $(cat "$T/b.out")"
e=$(date +%s.%N)
[ -s "$T/b.redacted.json" ] || die "no copy"
plain=$(echo "$m - $s" | bc) red=$(echo "$e - $m" | bc)
echo "plain certify ${plain}s, certify --redact paths ${red}s ($N targets)"
[ "$(echo "$red <= 3 * $plain + 10" | bc)" = 1 ] ||
	die "certify --redact paths of $N targets: ${red}s, plain ${plain}s: the redaction is quadratic"
ok "$N targets: the redaction costs ${red}s (plain ${plain}s)"
