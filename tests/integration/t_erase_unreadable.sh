#!/bin/bash
# t_erase_unreadable.sh - a block device whose read-back cannot read 4 KiB
# (test build fault eio-read): the verdict and the record's target_end do
# not claim "every byte of the last pass read back"; they say how many bytes
# were unreadable and not verified, as verify_end holds; a tree too (#11 review).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
dev=$(mkloop 8)
DISPOSE_TEST_FAULT=eio-read@1M+4096 "$DISPOSE" erase --yes --progress none --method zero \
	--verify last --run-dir "$T/r" "$dev" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] || die "expected exit 1, got $rc: $(cat "$T/err")"
grep -q "^t1 $dev: completed with errors: .*; verified: every byte of the last pass read back, except 4096 unreadable bytes (not verified); caveats:" \
	"$T/err" || die "verdict: $(cat "$T/err")"
check_chain "$T/r"
python3 - "$T/r/events.jsonl" <<'PY' || die "record"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
v = [e for e in ev if e["event"] == "verify_end"][-1]
end = [e for e in ev if e["event"] == "target_end"][-1]
assert v["unreadable_bytes"] == 4096, v
assert end["verification"].endswith("except 4096 unreadable bytes (not verified)"), end
assert end["bytes_verified"] == 8 * 1048576 - 4096, end
assert end["nist_category"] == "none", end
PY
ok "unreadable on read-back: the verification text says 4096 bytes were not verified"

# a tree whose file could not be read back in part: the tree's verification says so too
mkdir "$T/tree"
fill_marker "$T/tree/a" 1
DISPOSE_TEST_FAULT=eio-read@8192+4096 "$DISPOSE" erase --yes --progress none --method zero \
	--verify last --run-dir "$T/r2" "$T/tree" >"$T/out2" 2>"$T/err2"
rc=$?
[ $rc = 1 ] || die "tree: expected exit 1, got $rc: $(cat "$T/err2")"
grep -q "^t1 $T/tree: completed with errors: .*; each file: every byte of the last pass read back, except 4096 bytes in bad ranges; caveats:" \
	"$T/err2" || die "tree verdict: $(cat "$T/err2")"
ok "a tree: its verification text does not claim every byte either"
