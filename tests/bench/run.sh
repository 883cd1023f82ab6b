#!/bin/bash
# run.sh - run every tests/bench/*.sh except this one with the dispose binary.
# Usage: tests/bench/run.sh [path/to/dispose]
cd "$(dirname "$0")/../.." || exit 1
bin=$(readlink -f "${1:-build/dispose}")
[ -x "$bin" ] || { echo "bench: $bin: not executable" >&2; exit 2; }
rc=0
for b in tests/bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b" .sh)"
	bash "$b" "$bin" || { echo "bench: $b failed" >&2; rc=1; }
done
exit $rc
