#!/bin/bash
# verify.sh - benchmark batch certificate verification: ONE `dispose verify
# --ca` over N distinct signed certificates against a shell loop of the stock
# openssl recipe over the same files, in the same run. Goal: >= 10x.
# Usage: tests/bench/verify.sh build/dispose   (VERIFY_BENCH_N=1000)
set -u
DISPOSE=${1:-build/dispose}
N=${VERIFY_BENCH_N:-1000}
[ -x "$DISPOSE" ] || { echo "verify bench: $DISPOSE: not executable" >&2; exit 2; }
command -v openssl >/dev/null || { echo "verify bench: openssl missing" >&2; exit 2; }
W=$(mktemp -d /tmp/dispose-bench-verify.XXXXXX)
trap 'rm -rf "$W"' EXIT

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

# one small file erase (no root needed), one signer, N certificates: certify
# with N different --time values (each a distinct document and id)
echo data >"$W/victim"
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$W/run" "$W/victim" \
	>"$W/erase.out" 2>&1 || { cat "$W/erase.out"; echo "verify bench: erase failed" >&2; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/s.key" -out "$W/s.crt" \
	-days 30 -subj "/CN=bench signer" -addext "keyUsage=critical,digitalSignature" 2>/dev/null ||
	{ echo "verify bench: openssl req failed" >&2; exit 1; }
mkdir "$W/c"
echo "verify: certifying $N certificates ..."
for ((i = 0; i < N; i++)); do
	printf -v t '2026-01-01T%02d:%02d:%02dZ' $((i / 3600 % 24)) $((i / 60 % 60)) $((i % 60))
	"$DISPOSE" certify -q --run-dir "$W/run" --key "$W/s.key" --cert "$W/s.crt" --time "$t" \
		-o "$W/c/$i.json" || { echo "verify bench: certify $i failed" >&2; exit 1; }
done
[ "$(cat "$W"/c/*.json | grep -c '"certificate_id"')" = "$N" ] ||
	{ echo "verify bench: not $N certificates" >&2; exit 1; }

# warm the cache for both, then time each once
"$DISPOSE" verify -q --ca "$W/s.crt" "$W"/c/*.json >/dev/null
t0=$(now)
"$DISPOSE" verify --ca "$W/s.crt" "$W"/c/*.json >"$W/verify.out"
drc=$?
t1=$(now)
d=$(secs "$t0" "$t1")
[ "$drc" = 0 ] && [ "$(tail -1 "$W/verify.out")" = "$N certificates: $N valid" ] ||
	{ tail -3 "$W/verify.out"; echo "verify bench: dispose verify exit $drc" >&2; exit 1; }
ok=0
t0=$(now)
for f in "$W"/c/*.json; do
	openssl cms -verify -binary -inform DER -in "$f.p7s" -content "$f" -CAfile "$W/s.crt" \
		-purpose any -out /dev/null 2>/dev/null && ok=$((ok + 1))
done
t1=$(now)
o=$(secs "$t0" "$t1")
[ "$ok" = "$N" ] || { echo "verify bench: the recipe accepted $ok of $N" >&2; exit 1; }
ratio=$(python3 -c "print(f'{$o / max($d, 1e-6):.1f}')")
echo "verify: $N certificates: one dispose verify ${d}s vs a shell loop of openssl cms -verify ${o}s: ratio ${ratio}x (>= 10x wanted)"
python3 -c "import sys; sys.exit(0 if $ratio >= 10 else 1)"
