#!/bin/bash
# t_cert_redact_signer_run.sh - #15 (R1 F2): a policy whose certificate.redact hides the
# host, signed by dispose keygen's default certificate ("/CN=<hostname> dispose signer"):
# dispose run refuses before anything is done (exit 4, one line naming the signer and
# --subject; the data untouched, no certificate); the same run with a signer that names
# the organisation writes the copy, whose signature and dispose show name no host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare missing"
H=r1signerhost
srv=$T/srv
make_server "$srv"
# policy FILE KEYPREFIX
policy() {
	cat >"$1" <<JSON
{
	"schema": "dispose-policy/1",
	"name": "t-redact-signer",
	"inventory": {"roots": ["$srv"], "categories": ["data"], "hash": true, "sysroot": "$srv"},
	"erase": [{"name": "data", "paths": ["$srv/srv/data/**"], "method": "zero", "verify": "last"}],
	"keep_running_system": true,
	"certificate": {"key": "$2.key", "cert": "$2.crt", "redact": ["host", "paths"]}
}
JSON
}
policy "$T/p1.json" "$T/host"
policy "$T/p2.json" "$T/org"
sha256sum "$srv/srv/data/a.txt" >"$T/before" || die "sha256sum"
unshare -u /bin/sh -c "hostname $H &&
	\"$DISPOSE\" keygen -o \"$T/host\" >\"$T/kg.out\" 2>&1 &&
	\"$DISPOSE\" keygen --subject '/CN=disposal signer/O=Example' -o \"$T/org\" >>\"$T/kg.out\" 2>&1 &&
	{ \"$DISPOSE\" run --policy \"$T/p1.json\" --yes --progress none --run-dir \"$T/run1\" \
		>\"$T/r1.out\" 2>&1; echo \$? >\"$T/r1.rc\"; } &&
	sha256sum \"$srv/srv/data/a.txt\" >\"$T/after1\" &&
	{ \"$DISPOSE\" run --policy \"$T/p2.json\" --yes --progress none --run-dir \"$T/run2\" \
		>\"$T/r2.out\" 2>&1; echo \$? >\"$T/r2.rc\"; }" || die "setup: $(cat "$T/kg.out")"
openssl x509 -in "$T/host.crt" -noout -subject 2>/dev/null | grep -q "$H" ||
	skip "keygen's default subject does not name the host"
[ "$(cat "$T/r1.rc")" = 4 ] || die "run with a signer naming the host: exit $(cat "$T/r1.rc"): $(cat "$T/r1.out")"
grep -q "signer.*$H.*--subject" "$T/r1.out" || die "the refusal does not name the signer: $(cat "$T/r1.out")"
cmp -s "$T/before" "$T/after1" || die "the refused run erased data"
[ ! -e "$T/run1/certificate.json" ] && [ ! -e "$T/run1/certificate.redacted.json" ] ||
	die "a certificate after the refusal"
ok "certificate.redact host with keygen's default signer: refused before anything is done (exit 4)"
[ "$(cat "$T/r2.rc")" = 0 ] || die "run with the organisation's signer: exit $(cat "$T/r2.rc"): $(cat "$T/r2.out")"
c=$T/run2/certificate.redacted.json
[ -s "$c" ] && [ -s "$c.p7s" ] || die "no redacted copy"
grep -q "$H" "$T/run2/certificate.json" || die "the full certificate does not name $H: vacuous"
! grep -q "$H" "$c" "$c.p7s" || die "the copy or its signature names $H"
"$DISPOSE" show "$c" >"$T/show.out" 2>&1
! grep -q "$H" "$T/show.out" || die "dispose show of the copy names $H"
ok "with a signer that names the organisation: the copy, its signature and show name no host"
