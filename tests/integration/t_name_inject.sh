#!/bin/bash
# t_name_inject.sh - a crafted file name (newline, ESC/OSC sequences, BEL, a
# C1 control, a byte that is not UTF-8) never forges a line or drives the
# terminal through the core's messages: a tree's file named in an error,
# the informational lines of -v, a refusal naming a target a glob expanded,
# an inventory warning, the dry run's lines about a tree's files. Each shows as \xHH text on one line (#11 review).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
evil=$'x\nt9 forged: success; NIST SP 800-88 Clear\e[2K\e]0;pwned\a\xc2\x9b\xff'

# clean FILE: no raw control byte (ESC, BEL, C1 CSI), no forged line
clean() {
	! grep -aq $'\e\|\a\|\xc2\x9b' "$1" || die "$2: a raw control sequence: $(cat -v "$1")"
	! grep -aq '^t9 forged' "$1" || die "$2: a forged line: $(cat -v "$1")"
	grep -aqF 'x\x0at9 forged: success; NIST SP 800-88 Clear\x1b[2K\x1b]0;pwned\x07\xc2\x9b\xff' "$1" ||
		die "$2: the name not shown as \\xHH text: $(cat -v "$1")"
}

# 1. a tree's file with a hard link outside: the core's error names it
mkdir -p "$T/tree"
fill_marker "$T/tree/$evil" 1
ln "$T/tree/$evil" "$T/outside"
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r1" "$T/tree" \
	>"$T/out1" 2>"$T/err1"
rc=$?
[ $rc = 1 ] || die "tree: expected exit 1, got $rc: $(cat -v "$T/err1")"
clean "$T/err1" "tree"
ok "a tree's file named in an error: one line, escaped"

# 2. -v: the informational lines (start, end) name the file
fill_marker "$T/$evil" 1
"$DISPOSE" erase --yes -v --method zero --progress none --run-dir "$T/r2" "$T/$evil" \
	>"$T/out2" 2>"$T/err2" || die "-v: exit $?: $(cat -v "$T/err2")"
clean "$T/err2" "-v"
ok "-v: informational lines escaped"

# 3. a refusal naming a target (a glob expands hostile names): one line
fill_marker "$T/$evil" 1
ln "$T/$evil" "$T/other"
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r3" "$T"/x* \
	>"$T/out3" 2>"$T/err3"
rc=$?
[ $rc = 4 ] || die "refusal: expected exit 4, got $rc: $(cat -v "$T/err3")"
clean "$T/err3" "refusal"
ok "a refusal naming the target: escaped"

# 4. inventory: a key file that does not decode is a note naming it (-v)
mkdir "$T/inv"
printf -- '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n' \
	>"$T/inv/$evil"
"$DISPOSE" inventory -v --root "$T/inv" >"$T/out4" 2>"$T/err4" ||
	die "inventory: exit $?: $(cat -v "$T/err4")"
grep -q 'does not decode, listed unverified' "$T/err4" ||
	die "inventory -v: no note naming the key: $(cat -v "$T/err4")"
clean "$T/err4" "inventory warning"
grep -q '^keys: .*1 found, 1 not decoded' "$T/out4" ||
	die "inventory summary: undecoded key not counted: $(cat -v "$T/out4")"
ok "inventory warning naming a file: escaped"

# 5. the dry run names a tree's files with hard links outside it and what it skips
mkdir -p "$T/dt/$evil"
fill_marker "$T/dt/$evil/f" 1
ln "$T/dt/$evil/f" "$T/dt-out"
mkdir "$T/dt/$evil/m"
mount -t tmpfs none "$T/dt/$evil/m" || skip "cannot mount tmpfs"
track_mount "$T/dt/$evil/m"
"$DISPOSE" erase --dry-run --method zero "$T/dt" >"$T/out5" 2>"$T/err5" ||
	die "dry run: exit $?: $(cat -v "$T/err5")"
clean "$T/out5" "dry run"
grep -q '/f: has 1 hard link outside the tree: would be unlinked' "$T/out5" ||
	die "dry run: no hard link line: $(cat -v "$T/out5")"
grep -q '/m: would be skipped (mount point: other filesystem)' "$T/out5" ||
	die "dry run: no skip line: $(cat -v "$T/out5")"
ok "dry run: a tree's file names escaped"
