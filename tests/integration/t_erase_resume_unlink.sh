#!/bin/bash
# t_erase_resume_unlink.sh - a file target killed (SIGKILL, test hook
# DISPOSE_TEST_ERASE_KILL) after its last rename and before its unlink, and
# one killed after its unlink before file_removed: --resume finishes each
# (the first under its recorded last name; the second found removed, its
# file_removed says so); one record, a certificate of sanitization that verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"
for when in renamed unlinked; do
	mkdir "$T/$when"
	fill_marker "$T/$when/f" 4
	DISPOSE_TEST_ERASE_KILL=$when "$DISPOSE" erase --yes --method zero --progress none \
		--run-dir "$T/r-$when" "$T/$when/f" >"$T/out" 2>&1
	rc=$?
	[ $rc = 137 ] || die "$when: not killed (exit $rc): $(cat "$T/out")"
	[ -z "$(ls -A "$T/$when")" ] || [ $when = renamed ] || die "$when: a name is left"
	"$DISPOSE" erase --yes --resume --progress none --run-dir "$T/r-$when" >"$T/out" 2>&1 ||
		die "$when: resume failed: $(cat "$T/out")"
	[ -z "$(ls -A "$T/$when")" ] || die "$when: still there: $(ls -A "$T/$when")"
	check_chain "$T/r-$when"
	python3 - "$T/r-$when/events.jsonl" "$when" <<'PY' || die "$when: record"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
rm = [e for e in ev if e["event"] == "file_removed"]
assert len(rm) == 1, rm
assert rm[0].get("found_removed", False) == (sys.argv[2] == "unlinked"), rm
assert sum(e["event"] == "pass_end" for e in ev) == 1, "overwritten twice"
assert ev[-1]["event"] == "run_end" and ev[-1]["exit"] == 0, ev[-1]
PY
	"$DISPOSE" certify --run-dir "$T/r-$when" --key "$T/signer.key" --cert "$T/signer.crt" \
		-o "$T/c-$when.json" >"$T/out" 2>&1 || die "$when: certify: $(cat "$T/out")"
	grep -q "certificate-of-sanitization" "$T/out" || die "$when: not a certificate: $(cat "$T/out")"
	"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$T/r-$when" "$T/c-$when.json" \
		>"$T/out" 2>&1 || die "$when: verify: $(cat "$T/out")"
	ok "killed $when the unlink, resumed: removed once, certificate verifies"
done
