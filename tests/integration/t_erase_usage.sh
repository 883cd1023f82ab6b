#!/bin/bash
# t_erase_usage.sh - usage errors of dispose erase: exit 2 and a first line
# "dispose: THING: what is wrong" naming the option or value at fault.
. "$(dirname "$0")/lib.sh"
fill_marker "$T/f" 1
# check WANT_THING ARGS...: exit 2, first stderr line names WANT_THING
check() {
	local want=$1 first; shift
	"$DISPOSE" erase "$@" 2>"$T/err" >/dev/null
	local rc=$?
	[ $rc = 2 ] || die "erase $*: expected exit 2, got $rc"
	first=$(head -n 1 "$T/err")
	case $first in
	"dispose: $want: "*) ;;
	*) die "erase $*: first line '$first' does not start with 'dispose: $want: '" ;;
	esac
}
check --bogus --yes --bogus "$T/f"
check -z --yes -z "$T/f"
check --jobs --yes "$T/f" --jobs
check --jobs --yes --jobs 0 "$T/f"
check --verify --yes --verify sample:0 "$T/f"
check --verify --yes --verify sample:101 "$T/f"
"$DISPOSE" erase --yes --verify sample:0 "$T/f" 2>&1 | head -n 1 | grep -q "(0, 100\]" ||
	die "sample:0: message does not give the range"
check --verify --yes --verify bogus "$T/f"
check nope --yes --method nope "$T/f"
check --progress --yes --progress loud "$T/f"
[ "$(count_marker "$T/f")" -gt 0 ] || die "written after a usage error"
ok "usage errors: exit 2, one line naming the thing"
