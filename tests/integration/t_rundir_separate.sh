#!/bin/bash
# t_rundir_separate.sh - one run directory holds one command's record: an erase
# and an archive create started in the same second with default run directories
# (staggered, and at once) get a directory each, each record with one
# run_start and its own events; archive verify --run-dir against the erase's
# record is refused and appends nothing; a usage error leaves no run directory.
# run alone: the default run directory, two commands started in one second
. "$SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
D=$DISPOSE
RUNS=/var/lib/dispose/runs	# the default base (no option moves it)
mkdir -p "$RUNS" 2>/dev/null && [ -w "$RUNS" ] || skip "needs to write $RUNS"
mkdir -p "$T/tree/d" && echo retained > "$T/tree/d/f"
# the run directories this test made, removed whatever happens
: > "$T/.runs"
trap 'while read -r d; do case $d in "$RUNS"/?*) rm -rf -- "$d" ;; esac; done < "$T/.runs"; cleanup' EXIT
run_dir_of() { sed -n 's/^run record: //p' "$1" | tail -1 | tee -a "$T/.runs"; }
next_second() { python3 -c 'import time; time.sleep(1.02 - time.time() % 1)'; }

# RECORD COMMAND: one run_start, of COMMAND, and a run_end last
own_record() {
	python3 - "$1/events.jsonl" "$2" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
names = [e["event"] for e in ev]
assert names.count("run_start") == 1 and names[0] == "run_start", names
assert ev[0]["command"] == sys.argv[2], ev[0]["command"]
assert names[-1] == "run_end", names
others = {"erase": "archive_", "archive create": "target"}[sys.argv[2]]
assert not any(n.startswith(others) for n in names), names
if sys.argv[2] == "archive create":
    assert names.count("archive_created") == 1, names
PY
}

# erase first, archive create while it runs (its record exists by then), in one second
for try in 1 2 3 4 5 6 7 8 9 10; do
	head -c 65536 /dev/urandom > "$T/victim$try"
	next_second
	$D erase --yes "$T/victim$try" > "$T/e.out" 2>&1 &
	pe=$!
	sleep 0.3
	$D archive create --root "$T/tree" -o "$T/a$try.tar.zst" > "$T/a.out" 2>&1 ||
		die "archive create: $(cat "$T/a.out")"
	wait $pe || die "erase: $(cat "$T/e.out")"
	E=$(run_dir_of "$T/e.out") A=$(run_dir_of "$T/a.out")
	[ -n "$E" ] && [ -n "$A" ] || die "no run directory named: $(cat "$T/e.out" "$T/a.out")"
	# both named in one second: <UTC time>-<host>[-N]
	[ "$(basename "$E" | cut -c1-16)" = "$(basename "$A" | cut -c1-16)" ] && break
	[ $try -lt 10 ] || die "could not start both within one second"
done
[ "$E" != "$A" ] || die "erase and archive create share $E"
own_record "$E" erase || die "the erase's record: $(cut -c1-120 "$E/events.jsonl")"
own_record "$A" "archive create" || die "the archive's record: $(cut -c1-120 "$A/events.jsonl")"
ok "same second, archive create while erase runs: $E and $A"
ARCHIVE=$T/a$try.tar.zst

# both at once
for try in 1 2 3; do
	head -c 8192 /dev/urandom > "$T/cvictim$try"
	next_second
	$D erase --yes "$T/cvictim$try" > "$T/ce.out" 2>&1 &
	pe=$!
	$D archive create --root "$T/tree" -o "$T/c$try.tar.zst" > "$T/ca.out" 2>&1 &
	pa=$!
	wait $pe || die "erase at once: $(cat "$T/ce.out")"
	wait $pa || die "archive create at once: $(cat "$T/ca.out")"
	CE=$(run_dir_of "$T/ce.out") CA=$(run_dir_of "$T/ca.out")
	[ "$(basename "$CE" | cut -c1-16)" = "$(basename "$CA" | cut -c1-16)" ] && break
done
[ "$CE" != "$CA" ] || die "at once: both in $CE"
own_record "$CE" erase || die "at once, the erase's record"
own_record "$CA" "archive create" || die "at once, the archive's record"
ok "same second, at once: $CE and $CA"

# verify against the erase's record: refused, one line, nothing appended
cp "$E/events.jsonl" "$T/before"
$D archive verify "$ARCHIVE" --run-dir "$E" > "$T/v.out" 2> "$T/v.err"; rc=$?
cat "$T/v.err"
[ $rc -eq 4 ] || die "verify against an erase's record: exit $rc, want 4"
[ "$(wc -l < "$T/v.err")" -eq 1 ] && grep -q "^dispose: $E: " "$T/v.err" ||
	die "verify against an erase's record: message"
cmp -s "$T/before" "$E/events.jsonl" || die "the erase's record changed"
[ ! -s "$T/v.out" ] || die "verify said ok"
# and against its own it passes and is recorded there
expect_exit 0 $D archive verify "$ARCHIVE" --run-dir "$A" > /dev/null
[ "$(grep -c '"event":"archive_verified"' "$A/events.jsonl")" -eq 1 ] || die "no archive_verified"
ok "archive verify against an unrelated record is refused, nothing appended"

# usage errors: no run directory made (every mkdir traced, or the base listed)
usage() {	# WHAT CMD...: exit 2, and no directory made under $RUNS
	local what=$1 rc; shift
	if command -v strace >/dev/null; then
		# LeakSanitizer cannot run under ptrace
		ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=mkdir,mkdirat -o "$T/trace" \
			"$@" > /dev/null 2>&1; rc=$?
		grep -E "\"$RUNS/[^\"]+\".* = 0$" "$T/trace" && die "$what: made a run directory"
	else
		ls "$RUNS" > "$T/ls0"
		"$@" > /dev/null 2>&1; rc=$?
		ls "$RUNS" | comm -13 "$T/ls0" - | while read -r n; do
			grep -qs "$T" "$RUNS/$n/events.jsonl" && die "$what: left $RUNS/$n"
			[ -n "$(ls -A "$RUNS/$n" 2>/dev/null)" ] || echo "$RUNS/$n" >> "$T/.empty"
		done
		[ ! -s "$T/.empty" ] || die "$what: left an empty run directory: $(cat "$T/.empty")"
	fi
	[ $rc -eq 2 ] || die "$what: exit $rc, want 2"
}
echo junk > "$T/notacert.pem"
head -c 4096 /dev/urandom > "$T/uvictim"
usage "archive create: bad date" $D archive create --root "$T/tree" --retain-until 2020-02-30 -o "$T/u1.tar.zst"
usage "archive create: unknown option" $D archive create --root "$T/tree" --bogus -o "$T/u2.tar.zst"
usage "archive create: no -o" $D archive create --root "$T/tree"
usage "archive create: not a certificate" $D archive create --root "$T/tree" \
	--recipient "$T/notacert.pem" -o "$T/u3.tar.zst.enc"
usage "erase: unknown option" $D erase --bogus "$T/uvictim"
usage "erase: unknown method" $D erase --yes --method nosuch "$T/uvictim"
usage "erase: bad --verify" $D erase --yes --verify bogus "$T/uvictim"
usage "erase: no such target" $D erase --yes "$T/nosuch"
usage "archive verify: no record there" $D archive verify "$ARCHIVE" --run-dir "$T/norun"
ls "$T"/u[0-9].tar.zst* 2>/dev/null && die "a usage error wrote an archive"
ok "a usage error leaves no run directory"
