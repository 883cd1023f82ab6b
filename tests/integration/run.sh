#!/bin/bash
# run.sh - run every tests/integration/t_*.sh (or those named) and print the
# closing "N passed, N failed, N skipped" line. Exit 77 from a test = skipped.
# JOBS tests run at a time (default 2), each with its own log and $T scratch
# directory. A test whose file has a line "# run alone: WHY" reads or changes
# what every test shares (all block devices, a loop device's number, the
# default run directory, timing): it runs after the others, alone.
# Logs: $LOGDIR/NAME.log (default build/integration).
cd "$(dirname "$0")/../.." || exit 1
: "${DISPOSE:?set DISPOSE to the dispose binary}"
JOBS=${JOBS:-2}
case $JOBS in '' | *[!0-9]* | 0*) echo "run.sh: JOBS: $JOBS: expected a number from 1" >&2; exit 2 ;; esac
export DISPOSE DISPOSE_REL SRCDIR=$PWD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
# the system's tools first: the python3 scripts/deps.sh installs (with
# python3-jsonschema), not a pyenv or virtualenv shim earlier in PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
pass=0 fail=0 skip=0 failed=""
if [ $# -gt 0 ]; then tests=("$@"); else tests=(tests/integration/t_*.sh); fi
LOGDIR=${LOGDIR:-build/integration}
mkdir -p "$LOGDIR" || exit 1

# report NAME RC SECS: the test's line (and the end of its log if it failed)
report() {
	local n=$1 rc=$2 secs=$3 log=$LOGDIR/$1.log
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $n (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $n: $(tail -1 "$log")" ;;
	*) fail=$((fail + 1)); failed="$failed $n"
	   echo "FAIL $n (exit $rc, ${secs}s); last lines of $log:"
	   tail -25 "$log" | sed 's/^/    /' ;;
	esac
}

declare -A name_of start_of	# by pid of a running test
# start T: run test T in the background, its output in its own log
start() {
	local n
	n=$(basename "$1" .sh)
	bash "$1" >"$LOGDIR/$n.log" 2>&1 &
	name_of[$!]=$n
	start_of[$!]=$(date +%s)
}
# reap: wait for one running test to end and report it
reap() {
	local pid rc
	wait -n -p pid
	rc=$?
	[ -n "${pid:-}" ] || return 1
	report "${name_of[$pid]}" "$rc" $(( $(date +%s) - start_of[$pid] ))
	unset "name_of[$pid]" "start_of[$pid]"
}
# interrupted: stop the running tests (their traps clean up), then exit
trap 'for p in "${!name_of[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait; exit 130' INT TERM

serial=()
for t in "${tests[@]}"; do
	[ -e "$t" ] || continue
	if grep -q '^# run alone: ' "$t"; then serial+=("$t"); continue; fi
	while [ "${#name_of[@]}" -ge "$JOBS" ]; do reap || break; done
	start "$t"
done
while [ "${#name_of[@]}" -gt 0 ]; do reap || break; done
for t in "${serial[@]}"; do
	start "$t"
	reap
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
