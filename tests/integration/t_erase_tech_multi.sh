#!/bin/bash
# t_erase_tech_multi.sh - per-target methods: two loop devices, "-m zero A
# -m one B" in one run. Each device holds its own method's bytes (read back
# with dd), run_start and each target event name that target's method, the
# dry run and the confirmation show one method line per target (auto: its
# choice and reason). Interrupted (SIGINT at a
# checkpoint) and --resume: each target finishes with its own method, from
# the record. Usage: several -m with a target before the first, or one with
# no target after it, is exit 2, as is --method on --resume; one -m placed
# after the targets still applies to every one (today's behaviour).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
a=$(mkloop 32) || die "mkloop"
b=$(mkloop 32) || die "mkloop"

# all_bytes DEV HEX: every byte of DEV is 0xHEX
all_bytes() {
	python3 - "$1" "$2" <<'PY'
import sys
want = bytes([int(sys.argv[2], 16)]) * (1 << 20)
with open(sys.argv[1], "rb", buffering=0) as f:
    while True:
        blk = f.read(1 << 20)
        if not blk:
            break
        assert blk == want[:len(blk)], "other bytes"
PY
}

# record RUN A B: run_start and every target event name the method of each target
record() {
	python3 - "$1/events.jsonl" "$2" "$3" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
want = {sys.argv[2]: "zero", sys.argv[3]: "one"}
rs = [e for e in ev if e["event"] == "run_start"][0]
ids = {}
for t in rs["targets"]:
    assert t["method_arg"] == want[t["path"]], t
    assert t["technique"] == "overwrite" and t["category_requested"] == "clear", t
    ids[t["id"]] = want[t["path"]]
tg = [e for e in ev if e["event"] in ("target", "target_resumed")]
assert {e["target"] for e in tg} == set(ids), tg
for e in tg:
    assert e["method"]["name"] == ids[e["target"]], e
ends = {e["target"]: e["status"] for e in ev if e["event"] == "target_end"}
assert ends == {i: "success" for i in ids}, ends
PY
}

fill_marker "$a" 32
fill_marker "$b" 32
"$DISPOSE" erase --dry-run --progress none -m zero "$a" -m one "$b" >"$T/out" 2>&1 ||
	die "dry run: $(cat "$T/out")"
grep -q "^method:" "$T/out" && die "dry run: one method line for two methods: $(cat "$T/out")"
[ "$(grep -c '^   method: zero (1 pass: 0x00), verify: ' "$T/out")" = 1 ] &&
	[ "$(grep -c '^   method: one (1 pass: 0xFF), verify: ' "$T/out")" = 1 ] ||
	die "dry run: per-target methods: $(cat "$T/out")"
python3 - "$T/out" "$a" "$b" <<'PY' || die "dry run: method not under its target: $(cat "$T/out")"
import sys
lines = open(sys.argv[1]).read().splitlines()
ia = next(i for i, l in enumerate(lines) if l.startswith("t1 " + sys.argv[2] + ":"))
ib = next(i for i, l in enumerate(lines) if l.startswith("t2 " + sys.argv[3] + ":"))
assert lines[ia + 1].startswith("   method: zero "), lines
assert lines[ib + 1].startswith("   method: one "), lines
PY
[ "$(count_marker "$a")" -gt 0 ] && [ "$(count_marker "$b")" -gt 0 ] || die "dry run wrote"
ok "dry run: each target under its own method"

# the confirmation shows the same, auto's choice and reason too; a wrong answer writes nothing
if command -v script >/dev/null; then
	printf 'wrong\n' | script -qec "$DISPOSE erase --progress none --run-dir $T/r0 -m zero $a -m auto $b" \
		/dev/null >"$T/out" 2>&1
	grep -q "^   method: zero (1 pass: 0x00), verify: " "$T/out" &&
		grep -q "^   method: auto chose nist-clear (" "$T/out" &&
		grep -q "^   reason: ." "$T/out" && grep -q "Type '$a'" "$T/out" ||
		die "confirmation: $(cat "$T/out")"
	[ ! -e "$T/r0" ] && [ "$(count_marker "$a")" -gt 0 ] && [ "$(count_marker "$b")" -gt 0 ] ||
		die "confirmation refused but something was written"
	ok "confirmation: each target's method, auto's choice and reason"
fi

"$DISPOSE" erase --yes --progress none --verify last --run-dir "$T/r1" \
	-m zero "$a" -m one "$b" >"$T/out" 2>&1 || die "erase: $(cat "$T/out")"
all_bytes "$a" 00 || die "$a: not all zero"
all_bytes "$b" ff || die "$b: not all 0xFF"
record "$T/r1" "$a" "$b" || die "record of the two methods"
check_chain "$T/r1"
ok "two devices, zero and one in one run: bytes and record match each method"

# interrupted, then resumed: each keeps its method (none given on --resume)
fill_marker "$a" 32
fill_marker "$b" 32
"$DISPOSE" erase --yes --progress none --verify last --checkpoint-interval 2M \
	--test-delay-ms 40 --run-dir "$T/r2" -m one "$b" -m zero "$a" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 400); do
	c=$(grep -c '"event":"checkpoint"' "$T/r2/events.jsonl" 2>/dev/null)
	[ "${c:-0}" -ge 2 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || die "SIGINT: exit $rc, want 130: $(cat "$T/err")"
events "$T/r2" run_end | grep -q '"interrupted"' || die "run did not end interrupted"
[ "$(count_marker "$a")" -gt 0 ] || [ "$(count_marker "$b")" -gt 0 ] ||
	die "both devices done before the interrupt; slow it down"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r2" -m zero >"$T/out" 2>&1
[ $? = 2 ] || die "--method on --resume: want exit 2: $(cat "$T/out")"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r2" --category clear >"$T/out" 2>&1
[ $? = 2 ] || die "--category on --resume: want exit 2: $(cat "$T/out")"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r2" >"$T/out" 2>&1 ||
	die "resume: $(cat "$T/out")"
all_bytes "$a" 00 || die "resume: $a not all zero"
all_bytes "$b" ff || die "resume: $b not all 0xFF"
record "$T/r2" "$a" "$b" || die "record after resume"
events "$T/r2" run_resumed >/dev/null || die "no run_resumed"
check_chain "$T/r2"
ok "SIGINT then --resume: each target finished with its own method"

# usage: a target before the first of several -m
fill_marker "$a" 32
"$DISPOSE" erase --yes --progress none --run-dir "$T/r3" "$a" -m zero "$b" -m one >"$T/out" 2>&1
[ $? = 2 ] || die "target before the first of several -m: want exit 2: $(cat "$T/out")"
grep -q "^dispose: $a: named before the first --method" "$T/out" || die "message: $(cat "$T/out")"
[ ! -e "$T/r3" ] && [ "$(count_marker "$a")" -gt 0 ] || die "usage error wrote"
# a --method with no target after it (before the next one) would be ignored
"$DISPOSE" erase --yes --progress none --run-dir "$T/r3" -m zero -m one "$a" >"$T/out" 2>&1
[ $? = 2 ] || die "-m with no target after it: want exit 2: $(cat "$T/out")"
grep -q "^dispose: --method: zero: no target named after it" "$T/out" || die "message: $(cat "$T/out")"
[ ! -e "$T/r3" ] && [ "$(count_marker "$a")" -gt 0 ] || die "usage error wrote"
# one -m after the targets applies to all of them
"$DISPOSE" erase --yes --progress none --run-dir "$T/r4" "$a" "$b" -m one >"$T/out" 2>&1 ||
	die "one -m after the targets: $(cat "$T/out")"
all_bytes "$a" ff && all_bytes "$b" ff || die "one -m after the targets: not 0xFF on both"
ok "usage: a target before the first of several -m is exit 2; one -m applies to all"
