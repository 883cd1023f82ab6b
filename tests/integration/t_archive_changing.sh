#!/bin/bash
# t_archive_changing.sh - archive create and files that change while they are
# read (grow, shrink, rewritten in place, removed, replaced): as GNU tar, exit 1
# with "dispose: PATH: file changed as we read it" and the archive kept whole;
# the run record names each such file and its item list marks it, so it covers
# nothing. The change is made by a test hook at a fixed point of the copy (no
# race with a writer); the release binary ignores the hook.
. "$SRCDIR/tests/integration/lib.sh"
command -v bsdtar >/dev/null && command -v zstd >/dev/null && command -v python3 >/dev/null ||
	skip "needs bsdtar, zstd, python3"
D=$DISPOSE

n=0
for mode in grow:grew rewrite:modified shrink:shrank remove:removed replace:replaced; do
	hook=${mode%%:*} change=${mode#*:}
	n=$((n + 1))
	S=$T/src$n
	mkdir -p "$S/sub"
	head -c 300000 /dev/urandom > "$S/sub/live.log"
	printf 'steady\n' > "$S/steady.txt"
	A=$T/a$n.tar.zst
	DISPOSE_TEST_ARCHIVE_CHANGE=$hook:live.log $D archive create --run-dir "$T/run$n" \
		--root "$S" -o "$A" >"$T/out" 2>"$T/err"; rc=$?
	cat "$T/err"
	[ $rc -eq 1 ] || die "$hook: exit $rc, want 1"
	grep -qx "dispose: $S/sub/live.log: file changed as we read it" "$T/err" ||
		die "$hook: no 'file changed as we read it' line"
	grep -qx "dispose: $A: 1 file changed as it was read: archived as read, but not counted as retained" \
		"$T/err" || die "$hook: no summary line"
	[ "$(grep -c 'changed as we read it' "$T/err")" -eq 1 ] || die "$hook: steady.txt reported too"
	grep -q "^read back: every entry matches the manifest" "$T/out" || die "$hook: not read back"
	# the archive is kept and whole
	[ -f "$A" ] && [ -f "$A.bag-info.txt" ] && [ ! -e "$A.failed" ] || die "$hook: archive not kept"
	expect_exit 0 $D archive verify "$A"
	zstd -dcq "$A" | bsdtar -tf - | grep -q "data$S/sub/live.log$" || die "$hook: file not in the archive"
	python3 - "$T/run$n" "$S" "$change" <<'PY' || die "$hook: run record"
import glob, json, sys
run, src, change = sys.argv[1:4]
ev = [json.loads(l) for l in open(run + "/events.jsonl")]
ch = [e for e in ev if e["event"] == "archive_file_changed"]
assert len(ch) == 1, ch
assert ch[0]["path"] == src + "/sub/live.log" and ch[0]["change"] == change, ch[0]
assert ch[0]["size_archived"] == 300000, ch[0]
cr = [e for e in ev if e["event"] == "archive_created"]
assert len(cr) == 1 and cr[0]["changed_files"] == 1 and cr[0]["verified"] is True, cr
assert not [e for e in ev if e["event"] == "archive_failed"]
items = [json.loads(l) for l in open(run + "/" + cr[0]["items_file"])]
live = [i for i in items if i["path"].endswith("/live.log")]
steady = [i for i in items if i["path"].endswith("/steady.txt")]
assert live[0].get("changed") is True and "changed" not in steady[0], items
PY
	ok "$hook: exit 1, named, recorded as $change, archive kept"
done

# nothing changes: exit 0, no such line
S=$T/src$n
DISPOSE_TEST_ARCHIVE_CHANGE=grow:absent.log $D archive create --run-dir "$T/runq" --root "$S" \
	-o "$T/quiet.tar.zst" >/dev/null 2>"$T/err" || die "steady tree: exit $?"
grep -q 'changed as we read it' "$T/err" && die "steady tree: reported a change"
grep -q '"archive_file_changed"' "$T/runq/events.jsonl" && die "steady tree: recorded a change"
ok "a tree that holds still: exit 0"

# the release build has no test hooks: the same request changes nothing
if [ -n "${DISPOSE_REL:-}" ]; then
	S=$T/srcrel
	mkdir -p "$S" && head -c 1000 /dev/urandom > "$S/live.log"
	DISPOSE_TEST_ARCHIVE_CHANGE=grow:live.log "$DISPOSE_REL" archive create --run-dir "$T/runrel" \
		--root "$S" -o "$T/rel.tar.zst" >/dev/null 2>"$T/err" || die "release: exit $?"
	[ "$(stat -c %s "$S/live.log")" -eq 1000 ] || die "release: the hook ran"
	ok "release build ignores the hook"
fi
