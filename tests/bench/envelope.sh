#!/bin/bash
# envelope.sh - encrypt/decrypt throughput of the CMS envelope vs stock
# `openssl cms -encrypt -stream` / `-decrypt -content` on the same file.
# Usage: tests/bench/envelope.sh [build/dispose]   (ENV_BENCH_MB=1024 default)
# Prints MB/s, maxRSS and the ratio ours/openssl (> 1 means we are faster).
set -e
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MB=${ENV_BENCH_MB:-1024}
# tmpfs when it has room, so the disk does not decide (fsync is free there)
base=/dev/shm
avail=$(df -Pm "$base" 2>/dev/null | awk 'NR==2{print $4}')
[ -n "$avail" ] && [ "$avail" -gt $((MB * 4)) ] || base=${TMPDIR:-/tmp}
T=$(mktemp -d "$base/dsp-envbench.XXXXXX")
trap 'rm -rf "$T"' EXIT

make -s -C "$SRC" build/libdispose.a >/dev/null
cc -O2 -std=c17 -D_GNU_SOURCE -I"$SRC/include" -o "$T/env_bench" \
	"$SRC/tests/bench/env_bench.c" "$SRC/build/libdispose.a" \
	$(pkg-config --libs libcrypto) -lpthread

cd "$T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
	-keyout r.key -out r.crt -subj /CN=bench -days 2 2>/dev/null
# incompressible-looking data, as after zstd
openssl enc -aes-128-ctr -pass pass:bench -pbkdf2 -nosalt -in /dev/zero 2>/dev/null |
	head -c $((MB << 20)) > in.bin

# run NAME CMD...: prints elapsed seconds and max RSS (KiB) into $NAME.t
run() {
	local n=$1; shift
	/usr/bin/time -f '%e %M %U %S' -o "$n.t" "$@"
}
rate() { awk -v mb="$MB" -v s="$1" 'BEGIN{ if (s < 0.01) s = 0.01; printf "%.0f", mb / s }'; }

sync
run ours_enc ./env_bench enc r.crt in.bin ct ct.cms > ct.sha
run ossl_enc openssl cms -encrypt -binary -aes-256-gcm -stream -outform DER \
	-in in.bin -out attached.der -recip r.crt -keyopt ecdh_kdf_md:sha256
run ours_dec sh -c './env_bench dec r.key r.crt ct ct.cms > ours.bin'
cmp -s in.bin ours.bin || { echo "envelope bench: our decrypt differs" >&2; exit 1; }
rm -f ours.bin
run ossl_dec openssl cms -decrypt -binary -inform DER -in ct.cms -content ct \
	-recip r.crt -inkey r.key -out out.bin
cmp -s in.bin out.bin || { echo "envelope bench: stock decrypt differs" >&2; exit 1; }
rm -f out.bin attached.der

cpu() { awk -v u="$1" -v s="$2" 'BEGIN{ printf "%.2f", u + s }'; }
read -r oe om ou os < ours_enc.t; read -r se sm su ss < ossl_enc.t
read -r od odm odu ods < ours_dec.t; read -r sd sdm sdu sds < ossl_dec.t
echo "envelope bench: ${MB} MiB on $base (wall MB/s; CPU s = user+sys)"
printf '  encrypt ours (+SHA-256 of ct, fsync)   %5s MB/s  cpu %ss  maxRSS %s KiB\n' "$(rate "$oe")" "$(cpu "$ou" "$os")" "$om"
printf '  encrypt openssl cms -encrypt -stream   %5s MB/s  cpu %ss  maxRSS %s KiB\n' "$(rate "$se")" "$(cpu "$su" "$ss")" "$sm"
printf '  decrypt ours                           %5s MB/s  cpu %ss  maxRSS %s KiB\n' "$(rate "$od")" "$(cpu "$odu" "$ods")" "$odm"
printf '  decrypt openssl cms -decrypt -content  %5s MB/s  cpu %ss  maxRSS %s KiB\n' "$(rate "$sd")" "$(cpu "$sdu" "$sds")" "$sdm"
awk -v a="$oe" -v b="$se" -v c="$od" -v d="$sd" 'BEGIN{
	if (a < 0.01) a = 0.01; if (c < 0.01) c = 0.01;
	printf "  ratio encrypt ours/openssl %.2f\n  ratio decrypt ours/openssl %.2f\n", b / a, d / c }'
