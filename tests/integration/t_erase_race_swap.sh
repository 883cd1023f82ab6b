#!/bin/bash
# t_erase_race_swap.sh - a path checked, then swapped before its turn: in a
# run whose first target is erased slowly (--jobs 1, --test-delay-ms), the
# second target's directory, or a parent directory of the next targets, is
# replaced by a symlink to a victim tree. The swapped targets are refused
# (exit 4), the victim's bytes never change, and the directory that was
# checked is not written either.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
W=$T/w

mk() {
	rm -rf "$W"
	mkdir -p "$W/p/tree/sub" "$W/v/tree/sub"
	fill_marker "$W/p/tree/a" 1
	fill_marker "$W/p/tree/sub/b" 1
	fill_marker "$W/p/file" 1
	# the victim: same layout, other bytes
	for f in tree/a tree/sub/b file; do
		python3 -c 'import sys; open(sys.argv[1], "wb").write(b"victim!\n" * 65536)' "$W/v/$f"
	done
	fill_marker "$W/slow" 32
}
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# start_slow RUN TARGETS...: erase in order, the first one slowly; returns
# once the first target is being written
start_slow() {
	local run=$1; shift
	"$DISPOSE" erase --yes --progress none --method zero --verify none --jobs 1 \
		--checkpoint-interval 1M --test-delay-ms 150 --run-dir "$run" "$W/slow" "$@" \
		>"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 400); do
		grep -q '"event":"checkpoint"' "$run/events.jsonl" 2>/dev/null && return 0
		sleep 0.05
	done
	die "the first target never started"
}

# 1. a parent directory of a tree and a file target becomes a symlink
mk
vsum=$(sums "$W/v")
psum=$(sums "$W/p")
start_slow "$T/r2" "$W/p/tree" "$W/p/file"
mv "$W/p" "$W/p.moved" && ln -s "$W/v" "$W/p" || die "swap"
wait "$pid"
rc=$?
[ "$(sums "$W/v")" = "$vsum" ] || die "the victim was written through a swapped parent (exit $rc)"
[ $rc = 4 ] || die "swapped parent: expected exit 4, got $rc ($(cat "$T/err"))"
[ "$(sums "$W/p.moved")" = "$psum" ] || die "the checked targets were written although refused"
grep -q "^dispose: $W/p/tree: is no longer the directory that was checked" "$T/err" &&
	grep -q "^dispose: $W/p/file: is no longer the file that was checked" "$T/err" ||
	die "messages: $(cat "$T/err")"
ok "a parent swapped for a symlink after the check: its targets refused; victim untouched"

# 2. the tree itself becomes a symlink to the victim's tree
mk
vsum=$(sums "$W/v")
tsum=$(sums "$W/p/tree")
start_slow "$T/r1" "$W/p/tree"
mv "$W/p/tree" "$W/p/tree.moved" && ln -s "$W/v/tree" "$W/p/tree" || die "swap"
wait "$pid"
rc=$?
[ "$(sums "$W/v")" = "$vsum" ] || die "the victim tree was written (exit $rc)"
[ $rc = 4 ] || die "swapped tree: expected exit 4, got $rc ($(cat "$T/err"))"
grep -q "^dispose: $W/p/tree: is no longer the directory that was checked" "$T/err" ||
	die "message: $(cat "$T/err")"
[ "$(sums "$W/p/tree.moved")" = "$tsum" ] || die "the checked tree was written although refused"
[ ! -e "$W/slow" ] || die "the first target was not erased"
check_chain "$T/r1"
python3 - "$T/r1/events.jsonl" <<'PY' || die "record: refusal of t2 not recorded"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
ends = [e for e in evs if e["event"] == "target_end" and e["target"] == "t2"]
assert len(ends) == 1 and ends[0].get("refused") and ends[0]["status"] == "failed", ends
assert not [e for e in evs if e["event"] == "file_removed" and "/v/" in e["path"]]
run_end = [e for e in evs if e["event"] == "run_end"][-1]
assert [t["status"] for t in run_end["targets"]] == ["success", "refused"], run_end
PY
ok "a tree swapped for a symlink after the check is refused; victim untouched"

# 3. a symlink in a parent component at the check: refused before anything
mk
ln -s "$W/v" "$W/lnk"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r3" "$W/lnk/tree" 2>"$T/err"
[ $? = 4 ] || die "symlink in a component: expected exit 4 ($(cat "$T/err"))"
grep -q "^dispose: $W/lnk/tree: $W/lnk is a symbolic link" "$T/err" || die "message: $(cat "$T/err")"
[ "$(sums "$W/v")" = "$vsum" ] && [ ! -e "$T/r3" ] || die "written after a refusal"
ok "a path through a symlink is refused at the check"
