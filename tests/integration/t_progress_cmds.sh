#!/bin/bash
# t_progress_cmds.sh - archive create/verify/extract and inventory show
# progress (dispose(8) PROGRESS): a bar on a terminal, JSON lines
# ("event":"progress") on stderr with --progress json, their report staying
# alone on stdout; a bad --progress value is a usage error.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || skip "script(1) (util-linux) is needed for a terminal"

# --- archive create / verify / extract --progress json: on stderr, report on stdout ---
mkdir -p "$T/src/sub" "$T/x"
for i in 1 2 3 4 5 6; do head -c $((i * 300000)) /dev/urandom >"$T/src/sub/f$i"; done
payload=$(cat "$T"/src/sub/f* | wc -c)
a=$T/p.tar.zst
"$DISPOSE" archive create --progress json --root "$T/src" -o "$a" --run-dir "$T/run-a" \
	>"$T/c.out" 2>"$T/c.err" || die "create: $(cat "$T/c.err")"
"$DISPOSE" archive verify --progress json "$a" >"$T/v.out" 2>"$T/v.err" ||
	die "verify: $(cat "$T/v.err")"
"$DISPOSE" archive extract --progress json -C "$T/x" "$a" >"$T/x.out" 2>"$T/x.err" ||
	die "extract: $(cat "$T/x.err")"
python3 - "$T" "$a" "$payload" <<'PY' || die "archive progress json"
import json, os, sys
T, a, payload = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = os.path.getsize(a)
def objs(name):
    out = [json.loads(l) for l in open(os.path.join(T, name))]
    assert out and all(o["event"] == "progress" and o["id"] == "archive" and
                       o["target"] == a for o in out), out
    assert out[-1]["phase"] == "end" and out[-1]["status"] == "success", out[-1]
    assert all(o["done"] <= o["total"] or o["total"] == 0 for o in out), out
    return out
c = objs("c.err")
assert all(o["phase"] in ("write", "end") and o["total"] == 0 for o in c), c
assert c[-1]["files"] == 6 and c[-1]["done"] == payload, c[-1]
v = objs("v.err")
assert all(o["phase"] in ("verify", "end") for o in v), v
assert v[-1]["done"] == v[-1]["total"] == size and v[-1]["files"] == 6, (v[-1], size)
x = objs("x.err")
phases = [o["phase"] for o in x]
assert phases.index("verify") < phases.index("extract"), phases
assert all(o["npasses"] == 2 for o in x), x
assert x[-1]["all_done"] == x[-1]["all_total"] == 2 * size and x[-1]["files"] == 6, x[-1]
done = [o["all_done"] for o in x]
assert done == sorted(done), done
for name in ("c.out", "v.out", "x.out"):
    assert "event" not in open(os.path.join(T, name)).read(), name
PY
grep -q "^archive: $a (6 files" "$T/c.out" || die "create report: $(cat "$T/c.out")"
grep -q ": ok (6 files" "$T/v.out" || die "verify report: $(cat "$T/v.out")"
cmp -s "$T/src/sub/f6" "$T/x/p/data$T/src/sub/f6" || die "extracted file differs"
expect_exit 2 "$DISPOSE" archive verify --progress loud "$a"

# on a terminal: a bar for verify, ending in its verdict
script -qec "$DISPOSE archive verify $a" /dev/null >"$T/tty" 2>&1 || die "verify on a tty"
grep -aq "verify .*\[#*\] 100% success" "$T/tty" || die "verify bar: $(cat -v "$T/tty" | tail -3)"

# --- inventory --json --progress json: the document alone on stdout ---
"$DISPOSE" inventory --data --root "$T/src" --json --progress json >"$T/i.out" 2>"$T/i.err" ||
	die "inventory: $(cat "$T/i.err")"
python3 - "$T/i.out" "$T/i.err" <<'PY' || die "inventory progress json: $(head -3 "$T/i.err")"
import json, sys
doc = json.load(open(sys.argv[1]))
prog = [json.loads(l) for l in open(sys.argv[2])]
assert all(o["event"] == "progress" and o["id"] == "inventory" for o in prog), prog
assert prog[0]["phase"] == "files" and prog[-1]["status"] == "success", prog
# every item of the document counted, the files' bytes too
assert prog[-1]["items"] == doc["counts"]["files"] == len(doc["files"]), (prog[-1], doc["counts"])
assert prog[-1]["done"] == sum(f["size"] for f in doc["files"] if f["type"] == "file"), prog[-1]
PY
script -qec "$DISPOSE inventory --data --root $T/src -o $T/i2.json" /dev/null >"$T/tty" 2>&1 ||
	die "inventory on a tty: $(cat -v "$T/tty" | tail -3)"
grep -aq "inventory  *files  *[0-9]* items, .*success" "$T/tty" ||
	die "inventory bar: $(cat -v "$T/tty" | tail -3)"
expect_exit 2 "$DISPOSE" inventory --progress fast --root "$T/src"
ok "archive and inventory progress: bars on a terminal, JSON lines on stderr"
