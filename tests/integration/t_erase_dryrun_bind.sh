#!/bin/bash
# t_erase_dryrun_bind.sh - --dry-run shows what the real run will do with a
# tree holding same-filesystem bind mounts (a directory and a file): the
# files and bytes it counts are those the run's record says were erased,
# and every entry it says would be skipped is a "skipped" event of the run
# with the same reason (the run completes with errors: exit 1); nothing
# behind a bind mount is written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
mkdir -p "$T/tree/sub" "$T/tree/inner" "$T/outside"
head -c 3000 /dev/urandom >"$T/tree/f1"
head -c 2144 /dev/urandom >"$T/tree/sub/f2"
: >"$T/tree/sub/over"
fill_marker "$T/outside/data" 1
fill_marker "$T/outside/file" 1
# same filesystem as the tree: st_dev alone does not tell the mounts apart
[ "$(stat -c %d "$T/outside")" = "$(stat -c %d "$T/tree")" ] || die "setup: one filesystem"
mount --bind "$T/outside" "$T/tree/inner" || skip "mount --bind"
track_mount "$T/tree/inner"
mount --bind "$T/outside/file" "$T/tree/sub/over" || die "mount --bind of a file"
track_mount "$T/tree/sub/over"

"$DISPOSE" erase --dry-run --method zero --verify none "$T/tree" >"$T/dry" 2>"$T/err"
[ $? = 0 ] || die "dry run: exit $? ($(cat "$T/err"))"
[ "$(count_marker "$T/outside/data")" -gt 0 ] && [ "$(count_marker "$T/outside/file")" -gt 0 ] ||
	die "the dry run wrote"
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r" \
	"$T/tree" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] || die "real run: expected exit 1 (completed with errors), got $rc ($(cat "$T/err"))"
[ "$(count_marker "$T/outside/data")" -gt 0 ] || die "a bind-mounted directory was crossed"
[ "$(count_marker "$T/outside/file")" -gt 0 ] || die "a bind-mounted file was written"
[ ! -e "$T/tree/f1" ] && [ ! -e "$T/tree/sub/f2" ] || die "the tree's own files were not erased"
check_chain "$T/r"

python3 - "$T/dry" "$T/r/events.jsonl" "$T/tree" <<'PY' || die "dry run and real run disagree"
import json, re, sys
dry = open(sys.argv[1]).read()
evs = [json.loads(l) for l in open(sys.argv[2])]
tree = sys.argv[3]
m = re.search(r"t1 (\S+): directory tree, (\d+) files?, ([0-9.]+ \w+)", dry)
assert m, dry
dry_files, dry_size = int(m.group(2)), m.group(3)
w = re.search(r"would write ([0-9.]+ \w+) in 1 pass", dry).group(1)
assert w == dry_size, (w, dry_size)
dry_skips = sorted(re.findall(r"^   (\S+): would be skipped \((.*)\): completed-with-errors$",
                              dry, re.M))
end = [e for e in evs if e["event"] == "target_end" and e["target"] == "t1"][-1]
def human(n):
    units = ["B", "KiB", "MiB", "GiB"]
    v, i = float(n), 0
    while v >= 1024 and i + 1 < len(units):
        v, i = v / 1024, i + 1
    return "%d B" % n if i == 0 else "%.1f %s" % (v, units[i])
assert end["files"] == dry_files == 2, (end, dry_files)
assert end["bytes_written"] == 5144 and human(end["bytes_written"]) == dry_size, (end, dry_size)
run_skips = sorted((e["path"], e["reason"]) for e in evs if e["event"] == "skipped")
assert run_skips == dry_skips, (run_skips, dry_skips)
assert run_skips == sorted([(tree + "/inner", "mount point: other filesystem"),
                            (tree + "/sub/over", "mount point: other filesystem")]), run_skips
assert end["status"] == "completed-with-errors", end
PY
ok "dry run and real run agree on files, bytes and skipped bind mounts"
