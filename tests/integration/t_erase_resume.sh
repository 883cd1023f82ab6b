#!/bin/bash
# t_erase_resume.sh - kill -9 in the middle of a pass, then --resume: the
# device holds the last pass, the record shows every pass covering every
# byte, and the hash chain verifies (python3 hashlib). SIGINT and SIGTERM
# (and SIGHUP, a dropped ssh session) stop at a checkpoint with exit
# 130 / 143 / 129 and a resume hint.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
method=dod-5220-22m
[ -e "$SRCDIR/profiles/methods/$method.json" ] || method=random
npasses=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["passes"]))' \
	"$SRCDIR/profiles/methods/$method.json")
dev=$(mkloop 64) || die "mkloop"

# start_slow RUN_DIR: an erase slowed down (hidden test options) in the background
start_slow() {
	"$DISPOSE" erase --yes --progress none --method "$method" --verify last \
		--checkpoint-interval 4M --test-delay-ms 40 --run-dir "$1" "$dev" \
		>"$T/out" 2>"$T/err" &
	pid=$!
}
# wait_checkpoint RUN_DIR: until a checkpoint is durable in the record
wait_checkpoint() {
	for _ in $(seq 300); do
		grep -q '"event":"checkpoint"' "$1/events.jsonl" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	die "no checkpoint appeared in $1 ($(cat "$T/err"))"
}

fill_marker "$dev" 64
start_slow "$T/r1"
wait_checkpoint "$T/r1"
sleep 0.3
kill -9 "$pid"
wait "$pid" 2>/dev/null
grep -q '"event":"run_end"' "$T/r1/events.jsonl" && die "run ended before the kill; slow it down"
# a crash can tear the last line: resume must repair it, not give up
printf '{"seq":999,"time":"2026-' >>"$T/r1/events.jsonl"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r1" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "resume after kill -9 failed"; }
[ "$(count_marker "$dev")" = 0 ] || die "marker left after resume"
check_last_pass "$dev" "$T/r1" t1
check_chain "$T/r1"
check_coverage "$T/r1" t1 "$npasses"
events "$T/r1" run_resumed >/dev/null || die "no run_resumed event"
events "$T/r1" ledger_repaired >/dev/null || die "torn line not recorded as repaired"
# the resume really continued mid-pass from a checkpoint
python3 - "$T/r1/events.jsonl" <<'PY' || die "resume did not continue from a checkpoint"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
i = next(k for k, e in enumerate(evs) if e["event"] == "run_resumed")
assert any(e["event"] == "pass_start" and e.get("offset", 0) > 0 for e in evs[i:]), "no pass resumed at an offset"
PY
events "$T/r1" run_end | grep -q '"success"' || die "run_end not success"
ok "kill -9 then --resume: device and record complete"

# nothing left to resume
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r1" >"$T/out" 2>&1 ||
	die "second resume: expected exit 0"
grep -q "nothing to resume" "$T/out" || die "second resume: $(cat "$T/out")"

for sig in INT TERM HUP; do
	case $sig in INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; esac
	fill_marker "$dev" 64
	start_slow "$T/r-$sig"
	wait_checkpoint "$T/r-$sig"
	kill -s $sig "$pid"
	wait "$pid"
	rc=$?
	[ $rc = $want ] || die "SIG$sig: expected exit $want, got $rc ($(cat "$T/err"))"
	grep -q "resume with: dispose erase --resume --run-dir $T/r-$sig" "$T/err" ||
		die "SIG$sig: no resume hint: $(cat "$T/err")"
	events "$T/r-$sig" run_end | grep -q '"interrupted"' || die "SIG$sig: run_end not interrupted"
	check_chain "$T/r-$sig"
	"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r-$sig" "$dev" >"$T/out" 2>&1 ||
		{ cat "$T/out"; die "SIG$sig: resume failed"; }
	[ "$(count_marker "$dev")" = 0 ] || die "SIG$sig: marker left"
	check_last_pass "$dev" "$T/r-$sig" t1
	check_coverage "$T/r-$sig" t1 "$npasses"
	check_chain "$T/r-$sig"
	ok "SIG$sig: exit $want, resumed to completion"
done

# --jobs 1 interrupted in the first target: the second never started, and
# resume without targets finishes both
dev2=$(mkloop 16) || die "mkloop"
fill_marker "$dev" 64
fill_marker "$dev2" 16
"$DISPOSE" erase --yes --progress none --method "$method" --jobs 1 \
	--checkpoint-interval 4M --test-delay-ms 40 --run-dir "$T/r3" "$dev" "$dev2" \
	>"$T/out" 2>"$T/err" &
pid=$!
wait_checkpoint "$T/r3"
kill -s INT "$pid"
wait "$pid"
rc=$?
[ $rc = 130 ] || die "jobs 1: expected 130, got $rc"
[ "$(count_marker "$dev2")" -gt 0 ] || die "second target written although never started"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r3" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "jobs 1: resume failed"; }
grep -q "t1 $dev: success" "$T/out" && grep -q "t2 $dev2: success" "$T/out" ||
	die "jobs 1: resume did not finish both: $(cat "$T/out")"
[ "$(count_marker "$dev")" = 0 ] && [ "$(count_marker "$dev2")" = 0 ] || die "jobs 1: marker left"
check_last_pass "$dev2" "$T/r3" t2
check_coverage "$T/r3" t1 "$npasses"
check_coverage "$T/r3" t2 "$npasses"
check_chain "$T/r3"
ok "never-started target resumed with the interrupted one"

# a method file named by a relative path is found again from another cwd,
# and a changed method file is refused
mkdir "$T/m"
cp "$SRCDIR/profiles/methods/$method.json" "$T/m/mine.json"
fill_marker "$dev" 64
(cd "$T" && exec "$DISPOSE" erase --yes --progress none --method m/mine.json \
	--checkpoint-interval 4M --test-delay-ms 40 --run-dir "$T/r4" "$dev" >"$T/out" 2>"$T/err") &
pid=$!
wait_checkpoint "$T/r4"
kill -s INT "$pid"
wait "$pid"
[ $? = 130 ] || die "method file: expected 130"
events "$T/r4" run_start | grep -q "\"method_arg\":\"$T/m/mine.json\"" || die "method file path not absolute in run_start"
cp "$T/m/mine.json" "$T/m/orig.json"
sed -i 's/"description": "/"description": "changed /' "$T/m/mine.json"
(cd / && "$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r4" 2>"$T/err")
[ $? = 2 ] || die "changed method file: expected exit 2"
grep -q "changed" "$T/err" || die "changed method file: message: $(cat "$T/err")"
cp "$T/m/orig.json" "$T/m/mine.json"
(cd / && "$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r4" >"$T/out" 2>&1) ||
	{ cat "$T/out"; die "method file: resume failed"; }
check_last_pass "$dev" "$T/r4" t1
check_coverage "$T/r4" t1 "$npasses"
ok "method file by relative path: resumed from another directory; a changed file refused"

# the method cannot change on resume
"$DISPOSE" erase --yes --resume --method zero --run-dir "$T/r1" 2>/dev/null
[ $? = 2 ] || die "--method with --resume: expected 2"
ok "--method with --resume refused"
