#!/bin/bash
# t_progress.sh - erase's progress (dispose(8) PROGRESS): without a
# terminal a line at least every 10 s, with the overall percentage, current
# and average rate and ETA, even when one chunk takes longer than that; a
# target waiting for --jobs shows "waiting", not "waitin 0/0"; --progress
# json lines say "event":"progress". (Archive and inventory: t_progress_cmds.)
# run alone: timing: a progress line at least every 10 s
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || skip "script(1) (util-linux) is needed for a terminal"

# --- erase, no terminal: lines from a timer, not from the engine's callbacks ---
# 1 MiB, one pass, no read-back: two engine callbacks 10 s apart (the most
# --test-delay-ms allows), as on a device that takes 10 s per chunk
f=$T/slow.bin
fill_marker "$f" 1
python3 - "$DISPOSE" "$f" "$T/run-slow" <<'PY' || die "erase progress lines"
import re, subprocess, sys, time
dispose, path, run = sys.argv[1:]
t0 = time.monotonic()
p = subprocess.Popen([dispose, "erase", "--yes", "--method", "zero", "--verify", "none",
                      "--test-delay-ms", "10000", "--run-dir", run, path],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
lines = []
for raw in p.stderr:
    lines.append((time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n")))
out = p.stdout.read().decode()
rc = p.wait()
t1 = time.monotonic()
# --verify none may end with a caveat (exit 1); anything else is a failure
assert rc in (0, 1), (rc, out, lines)
pat = re.compile(r"^dispose: (.+): (\d+)%, (write|verify) pass (\d+)/(\d+) (\d+)%, "
                 r"(\d+\.\d) MB/s now, (\d+\.\d) MB/s average, ETA (\d+:\d\d|--:--)$")
prog = [(t, pat.match(l)) for t, l in lines if l.startswith("dispose: " + path + ": ")
        and "%," in l]
assert prog and all(m for _, m in prog), lines
assert len(prog) >= 3, lines
times = [t0] + [t for t, _ in prog] + [t1]
gaps = [b - a for a, b in zip(times, times[1:])]
assert max(gaps) <= 10.0, (gaps, lines)
pcts = [int(m.group(2)) for _, m in prog]
assert pcts == sorted(pcts) and 0 <= pcts[0] and pcts[-1] <= 100, pcts
for _, m in prog:
    assert m.group(1) == path and m.group(4) == "1" and m.group(5) == "1", m.group(0)
    assert float(m.group(8)) >= 0 and float(m.group(7)) >= 0, m.group(0)
print("gaps", ["%.1f" % g for g in gaps])
PY
[ ! -e "$f" ] || die "slow file not erased"

# --- erase --jobs 1 on a terminal: the second target waits, said as such ---
fill_marker "$T/j1.bin" 4
fill_marker "$T/j2.bin" 4
script -qec "cd $T && $DISPOSE erase --yes --method zero --jobs 1 --test-delay-ms 200 \
	--run-dir run-jobs j1.bin j2.bin" /dev/null >"$T/tty" 2>&1 ||
	die "erase --jobs 1: $(cat -v "$T/tty" | tail -5)"
grep -aq "j2.bin  *waiting" "$T/tty" || die "no 'waiting' line: $(cat -v "$T/tty" | head -5)"
! grep -aq "waitin \|waiting *0/0\| 0/0 " "$T/tty" || die "waitin 0/0: $(grep -a "0/0" "$T/tty" | cat -v | head -3)"
grep -aq "j2.bin.*verify.*100% success" "$T/tty" || die "j2 never finished on the bar"

# a name that would drive the terminal is shown, not obeyed (bytes not UTF-8 as \xHH)
evil=$'ev\e[31mil\xff.bin'
fill_marker "$T/$evil" 1
script -qec "cd $T && $DISPOSE erase --yes --method zero --test-delay-ms 100 \
	--run-dir run-evil ev*.bin" /dev/null >"$T/tty" 2>&1 ||
	die "erase of a crafted name: $(cat -v "$T/tty" | tail -3)"
grep -aq 'ev?\[31mil\\xff\.bin  *verify' "$T/tty" || die "bar label: $(cat -v "$T/tty" | tail -3)"
! grep -aq $'\e\[31m' "$T/tty" || die "a raw escape reached the terminal"

# a narrow terminal: every bar row fits (a row that wraps breaks the redraw)
fill_marker "$T/n1.bin" 2
fill_marker "$T/n2.bin" 2
script -qec "stty cols 40; cd $T && $DISPOSE erase --yes --method zero --jobs 1 \
	--test-delay-ms 100 --run-dir run-narrow n1.bin n2.bin" /dev/null >"$T/tty" 2>&1 ||
	die "erase on a narrow terminal: $(cat -v "$T/tty" | tail -5)"
python3 - "$T/tty" <<'PY' || die "narrow terminal: a bar row is wider than 39 columns"
import sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
rows = [seg.split("\n")[0].rstrip("\r") for seg in data.split("\x1b[2K")[1:]]
assert rows, "no bar rows"
wide = [r for r in rows if len(r) > 39]
assert not wide, wide[:3]
PY

# --- erase --progress json: every line says it is progress, the last one the run ---
fill_marker "$T/ej.bin" 2
"$DISPOSE" erase --yes --method zero --progress json --run-dir "$T/run-ej" "$T/ej.bin" \
	>"$T/ej.out" 2>"$T/ej.err" || die "erase json: $(cat "$T/ej.err")"
python3 - "$T/ej.out" <<'PY' || die "erase json: $(cat "$T/ej.out")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
# progress lines, the verdict, and last the run: each says what it is
assert all(o.get("event") in ("progress", "verdict") for o in objs[:-1]), objs
assert "event" not in objs[-1] and "run_dir" in objs[-1], objs[-1]
prog = [o for o in objs if o.get("event") == "progress"]
assert len(prog) >= 2 and all(o["id"] == "t1" for o in prog), prog
end = prog[-1]
assert end["status"] == "success" and end["all_done"] == end["all_total"] > 0, end
# eta: null while not known (the first update), never a 0 that reads as finished
assert prog[0]["eta"] is None, prog[0]
assert end["eta"] == 0, end
assert all(o["eta"] is None or (isinstance(o["eta"], int) and o["eta"] >= 0) for o in prog), prog
PY
expect_exit 2 "$DISPOSE" erase --yes --progress sometimes "$T/none.bin"

ok "erase progress: lines every <=10 s with overall %, rates and ETA; 'waiting' with --jobs 1; JSON events"
