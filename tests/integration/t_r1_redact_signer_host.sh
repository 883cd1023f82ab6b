#!/bin/bash
# t_r1_redact_signer_host.sh - R1 (#15): dispose keygen's default subject is
# "/CN=<hostname> dispose signer"; the redacted copy's .p7s carries that certificate and
# dispose show / show --pdf of the copy print "signed by CN=<hostname> dispose signer":
# the host the copy hides is named by its signature. certify --redact host with such a
# signer must at least warn (a line naming the signer), or the copy must not show it.
. "$(dirname "$0")/lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare missing"
H=r1leakyhost
D=$DISPOSE
cd "$T" || die "cd"
echo data >"$T/f.txt"
# everything under a UTS namespace whose hostname is $H
unshare -u /bin/sh -c "hostname $H && \"$D\" keygen -o \"$T/k\" >\"$T/kg.out\" 2>&1 &&
	\"$D\" erase --yes --progress none --method zero --verify last --run-dir \"$T/r\" \"$T/f.txt\" \
		>\"$T/e.out\" 2>&1 &&
	\"$D\" certify --run-dir \"$T/r\" --key \"$T/k.key\" --cert \"$T/k.crt\" --redact host \
		-o \"$T/c.json\" >\"$T/c.out\" 2>\"$T/c.err\""
rc=$?
openssl x509 -in "$T/k.crt" -noout -subject 2>/dev/null | grep -q "$H" ||
	skip "keygen's default subject does not name the host any more"
if [ $rc = 0 ] && [ -s "$T/c.redacted.json" ]; then
	grep -q "$H" "$T/c.json" || die "the full certificate does not name $H: vacuous"
	! grep -q "$H" "$T/c.redacted.json" || die "the hostname in the copy's JSON"
	"$D" show "$T/c.redacted.json" >"$T/show.out" 2>&1
	if grep -q "$H" "$T/c.redacted.json.p7s" || grep -q "$H" "$T/show.out"; then
		grep -qi "signer" "$T/c.err" ||
			die "the copy's signature names the host ($(grep -m1 "$H" "$T/show.out")) and certify said nothing: $(cat "$T/c.err")"
	fi
	ok "a signer naming the host: not in the copy, or certify warns"
else
	# refused: then nothing written and the reason names the signer
	[ ! -e "$T/c.redacted.json" ] && [ ! -e "$T/c.json" ] || die "exit $rc but files left"
	grep -qi "signer" "$T/c.err" || die "certify exit $rc: $(cat "$T/c.err" "$T/e.out" "$T/kg.out")"
	ok "certify --redact host refuses a signer whose subject names the host"
fi
