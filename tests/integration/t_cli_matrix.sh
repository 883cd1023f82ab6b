#!/bin/bash
# t_cli_matrix.sh - one option style across commands. Every command and archive
# subcommand x (unknown option, missing argument, empty argument, missing input
# file, bad value, unusable run directory): a usage error is exactly
# "dispose: THING: what" + "Try 'dispose CMD --help' for more information.",
# another error exactly one "dispose: THING: what" line; stdout stays empty; the
# same kind of problem has the same exit code everywhere (2). Then, from the
# binary's behaviour: each letter means the same in every command that takes
# it, -h -v -q everywhere, -J on every report command, and --help lists every
# long option a command accepts.
. "$(dirname "$0")/lib.sh"
D=$DISPOSE
R=${DISPOSE_REL:-$DISPOSE}	# the probes only: many runs, no sanitizer needed
cd "$T" || exit 1
mkdir -p "$T/dir" "$T/src"
echo data >"$T/f"
echo payload >"$T/src/x"
fails=0
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# run CMD ARGS...: CMD is one word or "archive SUB" ("" for dispose itself)
run() {
	local cmd=$1; shift
	# shellcheck disable=SC2086
	timeout 60 "$D" $cmd "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}
# verdict DESC RC PATTERN [LINE2]: exit RC, empty stdout, stderr's first line
# matches the glob PATTERN and, with LINE2, the second is LINE2 (no more lines)
verdict() {
	local desc=$1 want=$2 pat=$3 n first second
	n=$(wc -l <"$T/err")
	first=$(sed -n 1p "$T/err")
	second=$(sed -n 2p "$T/err")
	[ "$rc" = "$want" ] || { bad "$desc: exit $rc, want $want: $(head -3 "$T/err")"; return; }
	[ -s "$T/out" ] && { bad "$desc: stdout not empty: $(head -c 200 "$T/out")"; return; }
	# shellcheck disable=SC2053
	[[ $first == $pat ]] || { bad "$desc: first line '$first', want '$pat'"; return; }
	if [ $# -ge 4 ]; then
		[ "$second" = "$4" ] && [ "$n" = 2 ] ||
			bad "$desc: want 2 lines ending '$4', got $n: $(cat "$T/err")"
	else
		[ "$n" = 1 ] || bad "$desc: want 1 line, got $n: $(cat "$T/err")"
	fi
}
try() { echo "Try 'dispose${1:+ $1} --help' for more information."; }
# usage CMD MESSAGE ARGS...: a usage error, exit 2
usage() {
	local cmd=$1 msg=$2; shift 2
	run "$cmd" "$@"
	verdict "dispose $cmd $*" 2 "dispose: $msg" "$(try "$cmd")"
}
# input CMD MESSAGE ARGS...: invalid input (a missing file...), exit 2, one line
input() {
	local cmd=$1 msg=$2; shift 2
	run "$cmd" "$@"
	verdict "dispose $cmd $*" 2 "dispose: $msg"
}

CMDS=("" erase inventory methods archive "archive create" "archive verify" "archive extract"
      "archive status")

# ---- unknown options ----
for c in "${CMDS[@]}"; do
	usage "$c" "--frob: unknown option" --frob
	usage "$c" "-Z: unknown option" -Z
done
usage "" "frob: unknown command" frob
usage archive "frob: unknown subcommand" frob
usage "archive verify" "-C: not an option of archive verify" -C "$T/dir" "$T/f"
ok "unknown options"

# ---- missing and empty arguments ----
for o in --jobs -m --method --run-dir --verify --progress --checkpoint-interval; do
	usage erase "$o: needs an argument" "$T/f" "$o"
	usage erase "$o: empty argument" "$o" "" "$T/f"
done
usage erase "TARGET: empty argument" --yes ""
usage erase "TARGET: missing" --yes
for o in -r --root -o --output; do
	usage inventory "$o: needs an argument" "$o"
	usage inventory "$o: empty argument" "$o" ""
done
for o in -r --root -o --output --exclude --retain-until --series --authority --organization \
	 --recipient --key --cert --run-dir; do
	usage "archive create" "$o: needs an argument" "$o"
	usage "archive create" "$o: empty argument" -r "$T/src" -o "$T/a0.tar.zst" "$o" ""
done
for o in --key --cert --run-dir; do
	usage "archive verify" "$o: needs an argument" "$T/f" "$o"
	usage "archive verify" "$o: empty argument" "$o" "" "$T/f"
done
for o in -C --directory --key --cert; do
	usage "archive extract" "$o: needs an argument" "$T/f" "$o"
	usage "archive extract" "$o: empty argument" "$o" "" "$T/f"
done
usage "archive verify" "NAME: empty argument" ""
usage "archive verify" "NAME: missing"
usage "archive extract" "NAME: empty argument" -C "$T/dir" ""
usage "archive extract" "-C DIR: missing" "$T/f"
usage "archive status" "DIR: empty argument" ""
usage "archive status" "DIR: missing"
usage "archive create" "-o NAME: missing" -r "$T/src"
ls "$T"/a0* >/dev/null 2>&1 && bad "a usage error of archive create wrote $T/a0"
ok "missing and empty arguments"

# ---- missing input files: exit 2, one line naming the file ----
N="$T/none"
input erase "$N: No such file or directory" --yes "$N"
input erase "$N.json: No such file or directory" --yes -m "$N.json" "$T/f"
input erase "$N: cannot open the run record: No such file or directory" --resume --run-dir "$N"
input inventory "$N: No such file or directory" -r "$N"
input methods "$N.json: *" "$N.json"
input methods "$N.json: *" --check "$N.json"
input "archive create" "$N: No such file or directory" -r "$N" -o "$T/a1.tar.zst"
input "archive create" "$N.pem: No such file or directory" -r "$T/src" -o "$T/a1.tar.zst" --recipient "$N.pem"
input "archive verify" "$N: No such file or directory" "$N"
input "archive verify" "$N.key: No such file or directory" --key "$N.key" --cert "$T/f" "$T/f"
input "archive verify" "$N: no run record there" --run-dir "$N" "$T/f"
input "archive extract" "$N: No such file or directory" -C "$T/dir" "$N"
input "archive extract" "$N: No such file or directory" -C "$N" "$T/f"
input "archive status" "$N: No such file or directory" "$N"
ls "$T"/a1* >/dev/null 2>&1 && bad "archive create with a missing input wrote $T/a1"
[ "$(cat "$T/f")" = data ] || bad "erase with a missing input touched $T/f"
ok "missing input files: exit 2"

# ---- bad values ----
usage erase "--jobs: 0: expected a number from 1 to 1024" --jobs 0 "$T/f"
usage erase "--verify: bogus: expected *" --yes --verify bogus "$T/f"
usage erase "--progress: loud: expected *" --yes --progress loud "$T/f"
usage erase "--checkpoint-interval: abc: not a size" --checkpoint-interval abc "$T/f"
usage erase "--checkpoint-interval: 0: must be more than 0" --yes --checkpoint-interval 0 "$T/f"
input erase "nosuch: unknown method*" --yes -m nosuch "$T/f"
input inventory "$T/f: not a directory" -r "$T/f"
input methods "nosuch*" nosuch
usage "archive create" "--retain-until: 2020-13-45: not a date (YYYY-MM-DD)" -r "$T/src" -o "$T/a2.tar.zst" \
	--retain-until 2020-13-45
input "archive create" "--recipient $T/f: not an X.509 certificate*" -r "$T/src" \
	-o "$T/a2.tar.zst.enc" --recipient "$T/f"
input "archive verify" "$T/f: not an archive of ours: *" "$T/f"
input "archive extract" "$T/f: not a directory" -C "$T/f" "$T/f"
input "archive status" "$T/f: not a directory" "$T/f"
ls "$T"/a2* >/dev/null 2>&1 && bad "archive create with a bad value wrote $T/a2"
[ "$(cat "$T/f")" = data ] || bad "erase with a bad value touched $T/f"
ok "bad values"

# ---- an unusable run directory: exit 2 whatever the errno, nothing written ----
LONG=$T/$(printf 'n%.0s' $(seq 300))
head -c 65536 /dev/urandom >"$T/victim"
cp "$T/victim" "$T/victim.orig"
rundir() {	# DESC DIR
	run erase --yes --progress none -m zero --run-dir "$2" "$T/victim"
	verdict "erase --run-dir ($1)" 2 "dispose: $2: *"
	cmp -s "$T/victim" "$T/victim.orig" || { bad "erase with $1 run directory wrote"; cp "$T/victim.orig" "$T/victim"; }
	run "archive create" -r "$T/src" -o "$T/a3.tar.zst" --run-dir "$2"
	verdict "archive create --run-dir ($1)" 2 "dispose: $2: *"
	rm -f "$T/a3"*
}
rundir ENOTDIR "$T/f/sub"
rundir ENAMETOOLONG "$LONG"
if [ "$(id -u)" = 0 ] && mkdir "$T/ro" "$T/full" &&
   mount -t tmpfs -o size=64k,ro tmpfs "$T/ro" 2>/dev/null; then
	track_mount "$T/ro"
	rundir EROFS "$T/ro/run"
	mount -t tmpfs -o size=64k tmpfs "$T/full" && track_mount "$T/full"
	mkdir "$T/full/run"
	head -c 1M /dev/zero >"$T/full/fill" 2>/dev/null
	rundir ENOSPC "$T/full/run"
	if command -v setpriv >/dev/null; then
		# EACCES: a directory the caller may not write to
		mkdir -m 0755 "$T/locked"
		chmod 0777 "$T"; chown 65534 "$T/victim" "$T/src" "$T/src/x"
		# by path: the shipped directory may sit in a tree the user cannot enter
		"$D" methods -J zero >"$T/zero-m.json" && chmod 0644 "$T/zero-m.json" ||
			bad "methods -J zero"
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$D" erase --yes --progress none -m "$T/zero-m.json" --run-dir "$T/locked/run" "$T/victim" \
			</dev/null >"$T/out" 2>"$T/err"
		rc=$?
		verdict "erase --run-dir (EACCES)" 2 "dispose: $T/locked/run: *"
		cmp -s "$T/victim" "$T/victim.orig" || bad "erase with EACCES run directory wrote"
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$D" archive create -r "$T/src" -o "$T/dir/a4.tar.zst" --run-dir "$T/locked/run" \
			</dev/null >"$T/out" 2>"$T/err"
		rc=$?
		verdict "archive create --run-dir (EACCES)" 2 "dispose: $T/locked/run: *"
		chmod 0700 "$T"
	fi
else
	echo "note: not root or no tmpfs: EROFS/ENOSPC/EACCES rows not run"
fi
ok "unusable run directory"

# ---- JSON reports (-J) parse ----
json_ok() {	# DESC: stdout is one JSON document
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" 2>/dev/null ||
		bad "$1: stdout is not JSON: $(head -c 300 "$T/out")"
}
if command -v python3 >/dev/null; then
	run inventory -J --data -r "$T/src"; [ $rc = 0 ] || bad "inventory -J: exit $rc"; json_ok "inventory -J"
	run methods -J; [ $rc = 0 ] || bad "methods -J: exit $rc"; json_ok "methods -J"
	run "archive status" -J "$T/dir"; [ $rc = 0 ] || bad "archive status -J: exit $rc"
	json_ok "archive status -J"
	if "$D" archive create -q -r "$T/src" -o "$T/dir/arc.tar.zst" --run-dir "$T/run-a" \
		>/dev/null 2>"$T/create.err"; then
		run "archive verify" -J "$T/dir/arc.tar.zst"
		[ $rc = 0 ] || bad "archive verify -J: exit $rc: $(cat "$T/err")"
		json_ok "archive verify -J"
		python3 - "$T/out" <<'PY' || bad "archive verify -J: members: $(cat "$T/out")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["result"] == "ok" and o["files"] >= 1 and o["archive"].endswith("arc.tar.zst"), o
PY
	else
		echo "note: archive create failed, verify -J not run: $(cat "$T/create.err")"
	fi
fi
ok "-J reports"

# ---- -q: no progress display, the result still printed (on a terminal) ----
if command -v script >/dev/null; then
	head -c 4M /dev/urandom >"$T/q1"
	script -qec "$D erase -q --yes -m zero --run-dir $T/run-q $T/q1" /dev/null >"$T/q.out" 2>&1
	rc=$?
	[ $rc = 0 ] || bad "erase -q: exit $rc: $(cat -v "$T/q.out")"
	grep -q "ETA\|MB/s" "$T/q.out" && bad "erase -q drew progress: $(cat -v "$T/q.out")"
	grep -q "^run record: $T/run-q" "$T/q.out" || bad "erase -q: no result: $(cat -v "$T/q.out")"
fi
ok "-q"

# ---- letters and --help, from what the binary accepts ----
declare -A LONG_OF=([h]=help [v]=verbose [q]=quiet [J]=json [o]=output [C]=directory
		    [n]=dry-run [y]=yes [j]=jobs [m]=method [r]=root)
# candidates: every long option any --help, dispose.8 or the CLI sources name
# (test-* options are test hooks, not part of the interface)
{
	for c in "${CMDS[@]}"; do "$R" $c --help 2>/dev/null; done
	cat "$SRCDIR"/man/*.[58]
	sed -n 's/.*{ *"\([a-z][a-z-]*\)", *\(no\|required\|optional\)_argument.*/--\1/p' \
		"$SRCDIR"/src/cli/*.c
} | grep -o -- '--[a-z][a-z-]*[a-z]' | sort -u | grep -v -- '^--test-' >"$T/cands"
[ "$(wc -l <"$T/cands")" -gt 20 ] || bad "too few candidate options: $(cat "$T/cands")"
# accepted CMD OPT: the command takes OPT (its error, if any, is about something else)
# (hundreds of probes: matched in bash, not by one grep process each)
accepted() {
	local perr re="(^|[[:space:]:])$2: (unknown option|not an option)|unrecognized option '$2'|invalid option -- '${2#-}'"
	# shellcheck disable=SC2086
	timeout 30 "$R" $1 "$2" --zz-probe zz-extra </dev/null >/dev/null 2>"$T/perr"
	IFS= read -r -d '' perr <"$T/perr"
	! [[ $perr =~ $re ]]
}
for c in erase inventory methods "archive create" "archive verify" "archive extract" "archive status"; do
	# shellcheck disable=SC2086
	"$R" $c --help >"$T/help" 2>&1 || bad "$c --help: exit $?"
	[ -s "$T/help" ] || bad "$c --help: empty"
	while read -r o; do
		accepted "$c" "$o" || continue
		# listed as such, or an abbreviation of one listed
		grep -q -- "$o" "$T/help" ||
			bad "$c accepts $o but its --help does not list it"
	done <"$T/cands"
	for l in "${!LONG_OF[@]}"; do
		accepted "$c" "-$l" || continue
		grep -qE -- "-$l, --${LONG_OF[$l]}([^a-z-]|$)" "$T/help" ||
			bad "$c: -$l is not -$l, --${LONG_OF[$l]} in its --help"
	done
	for l in h v q; do
		accepted "$c" "-$l" || bad "$c does not take -$l"
	done
	case $c in inventory|methods|"archive verify"|"archive status")
		accepted "$c" -J || bad "$c (a report) does not take -J" ;;
	esac
done
ok "letters and --help"

[ "$fails" = 0 ] || die "$fails cases failed"
ok "one option style across every command"
