#!/bin/bash
# t_erase_help.sh - the SYNOPSIS of dispose erase in dispose(8) is the usage
# line of 'dispose erase --help' (whitespace aside).
. "$(dirname "$0")/lib.sh"
command -v mandoc >/dev/null || skip "mandoc missing"
man=$(mandoc -Tascii "$SRCDIR/man/dispose.8" | col -b |
	sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
	awk '/dispose erase/ {on=1} on && /dispose methods/ {exit} on' | tr -s ' \t\n' ' ')
help=$("$DISPOSE" erase --help | awk '/^Usage:/ {on=1; next} on && /^$/ {exit} on' |
	tr -s ' \t\n' ' ')
[ -n "$help" ] || die "no usage in --help"
[ "$man" = "$help" ] || die "SYNOPSIS differs from --help:
 man:  $man
 help: $help"
"$DISPOSE" erase --help | grep -q "dispose(8)" || die "--help does not point to dispose(8)"
"$DISPOSE" erase --help | grep -q "nist-clear" || die "--help does not name the default method"
ok "SYNOPSIS matches --help"
