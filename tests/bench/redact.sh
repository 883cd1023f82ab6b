#!/bin/bash
# redact.sh - benchmark the redacted copy (#15): certify --redact paths against a
# plain certify of the same run record of N erased files, in the same run.
# Goal: the copy costs at most 3x the plain certificate (R1 found the walk
# quadratic: 3000 targets took 50 s against 6 s). Prints the ratio.
# Usage: tests/bench/redact.sh build/dispose   (REDACT_BENCH_N=3000)
set -u
DISPOSE=${1:-build/dispose}
N=${REDACT_BENCH_N:-3000}
[ -x "$DISPOSE" ] || { echo "redact bench: $DISPOSE: not executable" >&2; exit 2; }
command -v openssl >/dev/null || { echo "redact bench: openssl missing" >&2; exit 2; }
W=$(mktemp -d /tmp/dispose-bench-redact.XXXXXX)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/s.key" \
	-out "$W/s.crt" -days 30 -subj '/CN=redact bench signer/O=Bench' \
	-addext keyUsage=critical,digitalSignature 2>/dev/null || { echo "redact bench: openssl req" >&2; exit 1; }
mkdir -p "$W/f"
for i in $(seq 1 "$N"); do echo "$i" >"$W/f/customer-file-$i.txt"; done
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$W/r" "$W"/f/* \
	>"$W/e.out" 2>&1 || { tail -3 "$W/e.out"; echo "redact bench: erase failed" >&2; exit 1; }
s=$(now)
"$DISPOSE" certify -q --run-dir "$W/r" --key "$W/s.key" --cert "$W/s.crt" -o "$W/a.json" >"$W/a.out" 2>&1 ||
	[ $? = 3 ] || { cat "$W/a.out"; exit 1; }
m=$(now)
"$DISPOSE" certify -q --run-dir "$W/r" --key "$W/s.key" --cert "$W/s.crt" --redact paths -o "$W/b.json" \
	>"$W/b.out" 2>&1 || [ $? = 3 ] || { cat "$W/b.out"; exit 1; }
e=$(now)
[ -s "$W/b.redacted.json" ] || { echo "redact bench: no copy" >&2; exit 1; }
plain=$(secs "$s" "$m") red=$(secs "$m" "$e")
ratio=$(python3 -c "print(f'{$red / $plain:.2f}')")
echo "redact: $N targets: certify ${plain} s, certify --redact paths ${red} s (full + copy): ratio ${ratio}"
python3 -c "import sys; sys.exit(0 if $red <= 3 * $plain + 1 else 1)" ||
	{ echo "redact bench: the copy costs more than 3x the certificate" >&2; exit 1; }
