#!/bin/bash
# t_cert_bidi.sh - a right-to-left override, an isolate, a mark or a line
# separator in the signer's subject (made with stock openssl), in an erased
# file's name and in a certificate's own file name never reaches the
# terminal or syslog raw through verify's line, its batch summary, show or
# the audit lines: each is shown as \xHH text, so it cannot reorder a
# verdict (#12 review R2). --json keeps the exact text (JSON is not a terminal).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
cc -shared -fPIC -O2 -o "$T/shim.so" "$SRCDIR/tests/integration/syslog_shim.c" ||
	skip "cannot build the syslog shim (no C compiler)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:verify_asan_link_order=0"

RLO=$'\xe2\x80\xae' LRI=$'\xe2\x81\xa6' PDI=$'\xe2\x81\xa9' RLM=$'\xe2\x80\x8f' LS=$'\xe2\x80\xa8'
# raw FILE WHAT: fail when FILE holds one of them raw
raw() {
	! grep -aq "$RLO\|$LRI\|$PDI\|$RLM\|$LS" "$1" ||
		die "$2: a raw bidi control or line separator: $(od -c "$1" | head -20)"
}

mkdir -p "$P"
(cd "$P" && openssl req -x509 -utf8 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout s.key -out s.crt -days 30 -subj "/CN=a${RLO}gnp.exe${RLM}/O=x${LS}y${LRI}z${PDI}" \
	-addext "keyUsage=critical,digitalSignature" 2>openssl.log) ||
	die "openssl could not make the signer: $(cat "$P/openssl.log")"

victim="$T/v${RLO}fdp.exe"
echo data >"$victim"
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r" "$victim" \
	>"$T/erase.out" 2>&1
[ -s "$T/r/events.jsonl" ] || die "erase: $(cat "$T/erase.out")"
certify_with s "$T/r" "$T/fail.json" || die "certify failed"
cp "$T/fail.json" "$T/c${RLO}nosj.json" && cp "$T/fail.json.p7s" "$T/c${RLO}nosj.json.p7s" ||
	die "cp"

# verify: the failure report's line names the file; the batch summary; syslog
: >"$T/v.log"
SYSLOG_CAPTURE="$T/v.log" LD_PRELOAD="$T/shim.so" "$DISPOSE" verify --ca "$P/s.crt" \
	"$T/fail.json" "$T/c${RLO}nosj.json" >"$T/v.out" 2>"$T/v.err"
vrc=$?
[ $vrc = 3 ] || die "verify: expected exit 3 (failure reports), got $vrc: $(cat -v "$T/v.err")"
grep -aqF 'failure report: valid as signed' "$T/v.out" || die "verify: $(cat -v "$T/v.out")"
grep -aqF 'v\xe2\x80\xaefdp.exe' "$T/v.out" || die "verify: the file not escaped: $(cat -v "$T/v.out")"
grep -aqF 'c\xe2\x80\xaenosj.json: failure report' "$T/v.out" ||
	die "verify: the certificate's name not escaped: $(cat -v "$T/v.out")"
grep -aq '^2 certificates: 0 valid, 2 failure reports$' "$T/v.out" || die "summary: $(cat -v "$T/v.out")"
raw "$T/v.out" "verify"
raw "$T/v.err" "verify stderr"
[ -s "$T/v.log" ] || die "no syslog line captured"
raw "$T/v.log" "verify syslog"
ok "verify: the lines, the summary and syslog show bidi controls as \\xHH"

# a certificate of sanitization signed by the crafted subject: the valid line names the signer
echo data >"$T/w${RLO}"
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$T/r2" "$T/w${RLO}" \
	>"$T/erase2.out" 2>&1 || die "erase 2: $(cat "$T/erase2.out")"
certify_with s "$T/r2" "$T/ok.json" || die "certify 2 failed"
verify_out --ca "$P/s.crt" "$T/ok.json"
[ $vrc = 0 ] || die "verify: expected exit 0, got $vrc: $(cat -v "$T/v.out" "$T/v.err")"
grep -aqF 'signer CN=a\xe2\x80\xaegnp.exe\xe2\x80\x8f, O=x\xe2\x80\xa8y\xe2\x81\xa6z\xe2\x81\xa9, signed' \
	"$T/v.out" || die "verify: the signer not escaped: $(cat -v "$T/v.out")"
raw "$T/v.out" "verify valid"
verify_out --ca "$P/s.crt" --json "$T/ok.json"
grep -aqF "\"signer\": \"CN=a${RLO}gnp.exe${RLM}, O=x${LS}y${LRI}z${PDI}\"" "$T/v.out" ||
	die "verify --json: the signer's exact text lost: $(cat -v "$T/v.out")"
ok "verify: the signer's subject escaped in the line, exact in --json"

# show: what it is, the signature line and the form
for c in fail ok; do
	"$DISPOSE" show "$T/$c.json" >"$T/show-$c.out" 2>"$T/show-$c.err" ||
		die "show $c: exit $?: $(cat -v "$T/show-$c.err")"
	raw "$T/show-$c.out" "show $c"
	grep -aqF 'CN=a\xe2\x80\xaegnp.exe' "$T/show-$c.out" ||
		die "show $c: the signer not escaped: $(cat -v "$T/show-$c.out")"
done
grep -aqF '\xe2\x80\xaefdp.exe' "$T/show-fail.out" || die "show: the file not escaped"
ok "show: the signer and the file names escaped"
