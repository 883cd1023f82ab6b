#!/bin/bash
# t_cert_inputs.sh - a FIFO without a writer named as certify's --key, --cert,
# --chain, --passphrase-file or --inventory, or as verify's --ca, is refused
# (exit 2, one line naming it, no file) instead of hanging; a pipe that
# delivers (<(...)) still works.
. "$SRCDIR/tests/integration/lib.sh"
need_root
command -v openssl >/dev/null || skip "needs openssl"
. "$SRCDIR/tests/integration/cert_lib.sh"
P=$T/pki
pki_make || die "pki"
cert_erase_runs || die "erase runs"
mkfifo "$T/fifo" || die "mkfifo"
F=$T/fifo
K=(--key "$P/ec.key" --cert "$P/ec.crt")

# refused WHAT ARGS...: certify with ARGS exits 2 within 20 s naming the FIFO; no file
refused() {
	local what=$1 rc; shift
	rm -f "$T/o.json" "$T/o.json.p7s"
	timeout 20 "$DISPOSE" certify --run-dir "$T/r-ok" "$@" -o "$T/o.json" >"$T/o.out" 2>"$T/o.err"
	rc=$?
	[ $rc = 2 ] || die "$what: certify exit $rc (124: it hung): $(cat "$T/o.err")"
	grep -q "^dispose: $F: " "$T/o.err" && [ "$(wc -l <"$T/o.err")" = 1 ] ||
		die "$what: $(cat "$T/o.err")"
	[ ! -e "$T/o.json" ] && [ ! -e "$T/o.json.p7s" ] || die "$what: a file was left"
}
refused --key --key "$F" --cert "$P/ec.crt"
refused --cert --key "$P/ec.key" --cert "$F"
refused --chain "${K[@]}" --chain "$F"
refused --passphrase-file "${K[@]}" --passphrase-file "$F"
refused --inventory "${K[@]}" --inventory "$F"
ok "certify: a FIFO as key, cert, chain, passphrase file or inventory: exit 2, no hang, no file"

timeout 20 "$DISPOSE" certify --run-dir "$T/r-ok" --key <(cat "$P/ec.key") --cert <(cat "$P/ec.crt") \
	--chain <(cat "$P/chain.pem") -o "$T/pipe.json" >/dev/null 2>"$T/p.err" ||
	die "certify from pipes: $(cat "$T/p.err")"
verify_out --ca <(cat "$P/root.crt") "$T/pipe.json"
[ $vrc = 0 ] || die "verify --ca from a pipe: exit $vrc: $(cat "$T/v.out" "$T/v.err")"
ok "pipes that deliver (<(...)) still work for certify and verify --ca"

timeout 20 "$DISPOSE" verify --ca "$F" "$T/pipe.json" >"$T/v.out" 2>"$T/v.err"
rc=$?
[ $rc = 2 ] || die "verify --ca FIFO: exit $rc (124: it hung): $(cat "$T/v.err")"
grep -q "^dispose: $F: " "$T/v.err" || die "verify --ca FIFO: $(cat "$T/v.err")"
ok "verify --ca FIFO: exit 2, no hang"
