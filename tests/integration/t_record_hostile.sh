#!/bin/bash
# t_record_hostile.sh - records crafted or mixed by hand: a record holding the
# events of two runs (a second run_start, chained again so the chain holds) is
# refused by erase --resume (exit 4) with the record's bytes and the file
# untouched; archive create's run_start argv is the whole command line, with
# "dispose" first as in erase's, and erase's is in the order typed; a verify
# of a run directory another dispose holds is refused and appends nothing;
# every line written parses as strict UTF-8 JSON.
. "$SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
D=$DISPOSE

# every line of RECORD parses as JSON from strict UTF-8
strict() {
	python3 - "$1/events.jsonl" <<'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1], "rb"), 1):
    json.loads(l.decode("utf-8", "strict"))
PY
}

# an erase stopped after its first checkpoint
head -c 16777216 /dev/urandom > "$T/f"
cp "$T/f" "$T/f.orig"
$D erase --yes --progress none --method dod-5220-22m --checkpoint-interval 4M \
	--test-delay-ms 40 --run-dir "$T/r1" "$T/f" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r1/events.jsonl" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -s INT "$pid"
wait "$pid"
rc=$?
[ $rc = 130 ] || die "interrupt: expected exit 130, got $rc ($(cat "$T/err"))"
strict "$T/r1" || die "interrupted record not strict UTF-8 JSON"
cp "$T/f" "$T/f.mid"

# the same record with a second run_start after its run_end, the chain made whole again
mkdir "$T/r2"
python3 - "$T/r1/events.jsonl" "$T/r2/events.jsonl" <<'PY' || die "rechain"
import hashlib, json, sys
ev = [json.loads(l) for l in open(sys.argv[1], "rb")]
ev.append(dict(ev[0]))
prev, out = "0" * 64, open(sys.argv[2], "wb")
for i, e in enumerate(ev, 1):
    e["seq"], e["prev"] = i, prev
    o = {k: e.pop(k) for k in ("seq", "time", "event", "prev")}
    o.update(e)
    b = json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode()
    out.write(b + b"\n")
    prev = hashlib.sha256(b).hexdigest()
PY
cp "$T/r2/events.jsonl" "$T/r2.before"
expect_exit 4 $D erase --yes --progress none --resume --run-dir "$T/r2"
cmp -s "$T/r2/events.jsonl" "$T/r2.before" || die "a record of two runs was appended to"
cmp -s "$T/f" "$T/f.mid" || die "a record of two runs was resumed: the file was written"
ok "a record holding two run_start is refused by --resume, nothing appended or written"

# the real record still resumes
$D erase --yes --progress none --resume --run-dir "$T/r1" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "resume of the interrupted run failed"; }
[ ! -e "$T/f" ] || die "resumed file not removed"
strict "$T/r1" || die "resumed record not strict UTF-8 JSON"
ok "the interrupted run itself resumes"

# archive create records its whole command line, as erase does
mkdir -p "$T/src" && echo a > "$T/src/a"
$D archive create --root "$T/src" --run-dir "$T/ra" -o "$T/a.tar.zst" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "archive create failed"; }
strict "$T/ra" || die "archive record not strict UTF-8 JSON"
python3 - "$T/ra/events.jsonl" "$T/r1/events.jsonl" "$T" <<'PY' || die "argv of run_start"
import json, sys
a = json.loads(open(sys.argv[1], "rb").readline())
e = json.loads(open(sys.argv[2], "rb").readline())
t = sys.argv[3]
want = ["dispose", "archive", "create", "--root", t + "/src", "--run-dir", t + "/ra",
        "-o", t + "/a.tar.zst"]
assert a["argv"] == want, a["argv"]
assert e["argv"][:2] == ["dispose", "erase"], e["argv"]
PY
ok "archive create's run_start argv is the command line, dispose first"

# erase records argv as typed, not in the order getopt left it (target first here)
echo x > "$T/g"
$D erase "$T/g" --yes --progress none --method zero --run-dir "$T/rg" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "erase of g failed"; }
python3 - "$T/rg/events.jsonl" "$T" <<'PY' || die "erase argv order"
import json, sys
e = json.loads(open(sys.argv[1], "rb").readline())
t = sys.argv[2]
want = ["dispose", "erase", t + "/g", "--yes", "--progress", "none", "--method", "zero",
        "--run-dir", t + "/rg"]
assert e["argv"] == want, e["argv"]
PY
ok "erase's run_start argv in the order typed"

# one writer per record: a verify while another dispose holds the run directory
# (here a flock, as a second verify or the create itself holds it) is refused
# and appends nothing; two at once would chain from the same head
$D archive verify "$T/a.tar.zst" --run-dir "$T/ra" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "verify failed"; }
cp "$T/ra/events.jsonl" "$T/ra.before"
python3 -c 'import fcntl, os, sys, time
fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)' "$T/ra" "$T/held" &
hold=$!
for _ in $(seq 200); do
	[ -e "$T/held" ] && break
	sleep 0.05
done
[ -e "$T/held" ] || die "the run directory was not held"
expect_exit 4 $D archive verify "$T/a.tar.zst" --run-dir "$T/ra" 2>"$T/err"
grep -q "another dispose is using this run directory" "$T/err" || die "why: $(cat "$T/err")"
cmp -s "$T/ra/events.jsonl" "$T/ra.before" || die "a verify appended to a held record"
expect_exit 2 $D archive create --root "$T/src" --run-dir "$T/ra" -o "$T/b.tar.zst" 2>"$T/err"
[ ! -e "$T/b.tar.zst" ] || die "create wrote into a held run directory"
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null
$D archive verify "$T/a.tar.zst" --run-dir "$T/ra" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "verify after the holder left"; }
strict "$T/ra" || die "verified record not strict UTF-8 JSON"
python3 - "$T/ra/events.jsonl" <<'PY' || die "record after verifies"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], "rb")]
assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1))
assert [e["event"] for e in ev].count("archive_verified") == 2, ev
PY
ok "a verify of a held run directory is refused, nothing appended"
