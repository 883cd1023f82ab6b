#!/bin/bash
# t_run_resume.sh - dispose run killed with SIGKILL at the start and at the
# end of every step (a first run, then each --resume killed at the next
# boundary), and in the middle of a device's erase after a checkpoint; the
# last --resume completes: one record (chain intact, one run_start, every
# archive created once, one erase_start, every target started once), one
# certificate that verifies, every target erased as planned.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
srv=$T/srv
make_signer "$T/signer"

# run_killed DIR HOOK [ENV...] -- ARGS: dispose run killed by the test hook at HOOK
run_killed() {
	local dir=$1 hook=$2 rc
	shift 2
	env DISPOSE_TEST_RUN_KILL="$hook" "$@" >"$T/out" 2>&1
	rc=$?
	[ $rc = 137 ] || { cat "$T/out"; die "$hook: not killed (exit $rc)"; }
	events "$dir" run_end >/dev/null && die "$hook: run_end before the kill"
	ok "killed at $hook"
}

# done_once DIR: nothing that must happen once happened twice
done_once() {
	python3 - "$1/events.jsonl" <<'PY' || die "$1: something was done twice"
import collections, json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert sum(e["event"] == "erase_start" for e in evs) == 1, "erase_start twice"
# a tree's own event comes again on resume (its walk goes on); each file, each device once
started = collections.Counter(e["target"] for e in evs
                              if e["event"] == "target" and e.get("kind") != "tree")
assert started and all(n == 1 for n in started.values()), ("a target started twice", started)
assert sum(e["event"] == "run_end" for e in evs) == 1, "run_end twice"
PY
}

# finish DIR DEV: the last --resume completes; everything as planned
finish() {
	local rc
	"$DISPOSE" run --resume --yes --progress none --run-dir "$1" >"$T/out" 2>&1
	rc=$?
	[ $rc = 0 ] || { cat "$T/out"; die "$1: last resume: exit $rc"; }
	check_run_record "$1"
	done_once "$1"
	check_erased "$srv" "$2"
	"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$1" "$1/certificate.json" \
		>"$T/v" 2>&1 || die "$1: certificate: $(cat "$T/v")"
	[ "$(ls "$1"/archives/*.tar.zst | wc -l)" = 1 ] || die "$1: archives: $(ls "$1/archives")"
	# a resume of the ended run: nothing more is done
	"$DISPOSE" run --resume --yes --progress none --run-dir "$1" >"$T/out" 2>&1 ||
		die "$1: resume of the ended run: $(cat "$T/out")"
	done_once "$1"
}

dev=$(mkloop 4) || die "mkloop"
make_server "$srv"
fill_marker "$dev" 4
write_policy "$T/p.json" "$srv" "$dev" "$T/signer"
run_killed "$T/r" inventory:start "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/r"
for hook in inventory:end plan:start plan:end archive:start archive:end verify:start \
	    verify:end erase:start erase:end; do
	run_killed "$T/r" "$hook" "$DISPOSE" run --resume --yes --progress none --run-dir "$T/r"
done
finish "$T/r" "$dev"
n=$(events "$T/r" run_resumed | wc -l); [ "$n" = 10 ] || die "expected 10 run_resumed, got $n"
ok "kill -9 at the start and the end of every step, then --resume: one complete run"

# in the middle of a device's pass, after a checkpoint: continued from the checkpoint
big=$(mkloop 32) || die "mkloop 32"
rm -rf "$srv" "$srv.orig"
make_server "$srv"
fill_marker "$big" 32
write_policy "$T/p2.json" "$srv" "$big" "$T/signer"
# only the device: the kill lands in its pass, never between a file's last rename and removal
python3 - "$T/p2.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["erase"] = [r for r in p["erase"] if r["name"] == "disk"]
json.dump(p, open(sys.argv[1], "w"))
PY
run_killed "$T/m" erase:write:16777216 DISPOSE_TEST_RUN_CHECKPOINT=2097152 \
	"$DISPOSE" run --policy "$T/p2.json" --yes --progress none --run-dir "$T/m"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/m" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "mid-erase: resume: exit $?"; }
check_run_record "$T/m"
done_once "$T/m"
[ "$(count_marker "$big")" = 0 ] || die "mid-erase: marker bytes left on $big"
"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$T/m" "$T/m/certificate.json" \
	>"$T/v" 2>&1 || die "mid-erase: certificate: $(cat "$T/v")"
python3 - "$T/m/events.jsonl" <<'PY' || die "mid-erase: not continued from a checkpoint"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
i = next(k for k, e in enumerate(evs) if e["event"] == "run_resumed")
assert any(e["event"] == "checkpoint" for e in evs[:i]), "no checkpoint before the kill"
assert any(e["event"] == "pass_start" and e.get("offset", 0) > 0 for e in evs[i:]), \
    "no pass resumed at an offset"
PY
ok "kill -9 mid-erase after a checkpoint, then --resume: continued from the checkpoint"

# SIGINT in the middle of the erase: exit 130, run_end interrupted, and --resume continues it
fill_marker "$big" 32
env DISPOSE_TEST_RUN_KILL=erase:write:16777216:INT DISPOSE_TEST_RUN_CHECKPOINT=2097152 \
	"$DISPOSE" run --policy "$T/p2.json" --yes --progress none --run-dir "$T/i" >"$T/out" 2>&1
rc=$?
[ $rc = 130 ] || { cat "$T/out"; die "SIGINT: expected exit 130, got $rc"; }
grep -q "resume with: dispose run --resume --run-dir $T/i" "$T/out" || die "no resume hint: $(cat "$T/out")"
events "$T/i" run_end | grep -q '"interrupted"' || die "SIGINT: run_end not interrupted"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/i" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "SIGINT: resume: exit $?"; }
check_run_record "$T/i"
[ "$(count_marker "$big")" = 0 ] || die "SIGINT: marker bytes left on $big"
"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$T/i" "$T/i/certificate.json" \
	>"$T/v" 2>&1 || die "SIGINT: certificate: $(cat "$T/v")"
ok "SIGINT mid-erase: exit 130, then --resume completes the erase"

# killed after the last target ended but before erase_end (the record cut there):
# the resumed session has nothing left, writes erase_end, and the run completes
fill_marker "$big" 32
env DISPOSE_TEST_RUN_KILL=erase:end "$DISPOSE" run --policy "$T/p2.json" --yes --progress none \
	--run-dir "$T/e" >"$T/out" 2>&1
[ $? = 137 ] || die "not killed at erase:end"
python3 - "$T/e/events.jsonl" <<'PY' || die "cannot cut the record before erase_end"
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines(keepends=True)
names = [json.loads(l)["event"] for l in lines[-2:]]
assert names == ["erase_end", "step_end"], names
open(sys.argv[1], "wb").write(b"".join(lines[:-2]))
PY
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/e" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "nothing left: resume: exit $?"; }
check_run_record "$T/e"
done_once "$T/e"
[ "$(events "$T/e" erase_end | wc -l)" = 1 ] || die "nothing left: erase_end count"
[ "$(count_marker "$big")" = 0 ] || die "nothing left: marker bytes on $big"
"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$T/e" "$T/e/certificate.json" \
	>"$T/v" 2>&1 || die "nothing left: certificate: $(cat "$T/v")"
ok "killed between the last target and erase_end: the resume ends the erase step"
