#!/bin/bash
# run.sh - run every tests/integration/t_*.sh (or those named) and print the
# closing "N passed, N failed, N skipped" line. Exit 77 from a test = skipped.
cd "$(dirname "$0")/../.." || exit 1
: "${DISPOSE:?set DISPOSE to the dispose binary}"
export DISPOSE DISPOSE_REL SRCDIR=$PWD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
pass=0 fail=0 skip=0 failed=""
if [ $# -gt 0 ]; then tests=("$@"); else tests=(tests/integration/t_*.sh); fi
for t in "${tests[@]}"; do
	[ -e "$t" ] || continue
	n=$(basename "$t" .sh)
	log=build/integration/$n.log
	mkdir -p build/integration
	start=$(date +%s)
	bash "$t" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $n (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $n: $(tail -1 "$log")" ;;
	*) fail=$((fail + 1)); failed="$failed $n"
	   echo "FAIL $n (exit $rc, ${secs}s); last lines of $log:"
	   tail -25 "$log" | sed 's/^/    /' ;;
	esac
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
