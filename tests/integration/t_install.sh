#!/bin/bash
# t_install.sh - `make install DESTDIR=… PREFIX=/usr` of a plain `make` build
# (built for /usr/local): the installed binary finds its methods, policies and
# schemas in PREFIX/share/dispose from its own location (also after the whole
# tree is moved), the man pages and the bash completion are installed, and
# the completion knows every option each command's --help lists.
. "$(dirname "$0")/lib.sh"
bin=$(readlink -f "${DISPOSE_REL:-$DISPOSE}")
B=$(dirname "$bin")
[ "$(basename "$bin")" = dispose ] || skip "no build directory holding dispose: $bin"
# -o: install what the build holds, never rebuild it (make check built it)
make -s -C "$SRCDIR" -o "$B/dispose" install B="$B" DESTDIR="$T/root" PREFIX=/usr \
	>"$T/make.out" 2>&1 || die "make install: $(tail -5 "$T/make.out")"
inst=$T/root/usr/sbin/dispose
data=$T/root/usr/share/dispose
[ -x "$inst" ] || die "make install: no $inst"
cmp -s "$bin" "$inst" || die "make install: $inst is not the build's binary"

# the data: every shipped file, byte for byte
for d in methods policies schemas; do
	n=0
	for f in "$SRCDIR"/profiles/$d/*.json; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$data/$d/$(basename "$f")" || die "make install: $d/$(basename "$f") not installed"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || die "profiles/$d: nothing shipped to install"
	[ "$(ls "$data/$d" | wc -l)" = "$n" ] || die "make install: $data/$d holds other files"
done
for m in "$SRCDIR"/man/*.[58]; do
	s=${m##*.}
	cmp -s "$m" "$T/root/usr/share/man/man$s/$(basename "$m")" ||
		die "make install: man page $(basename "$m") not installed in man$s"
done
comp=$T/root/usr/share/bash-completion/completions/dispose
cmp -s "$SRCDIR/contrib/bash-completion/dispose" "$comp" || die "make install: no bash completion at $comp"

# the installed binary, run outside the source tree, finds its own data
nmeth=$(ls "$SRCDIR"/profiles/methods/*.json | wc -l)
check_finds() {	# BIN DATA: BIN lists every shipped method from DATA/methods
	local b=$1 d
	d=$(readlink -f "$2")
	(cd / && "$b" methods -v) >"$T/m.out" 2>"$T/m.err" ||
		die "$b methods: exit $?: $(cat "$T/m.err")"
	grep -qxF "dispose: methods: shipped $d/methods; user (none: DISPOSE_METHODS_DIR not set)" \
		"$T/m.err" || die "$b methods: not looking in $d/methods: $(cat "$T/m.err")"
	for f in "$SRCDIR"/profiles/methods/*.json; do
		m=$(basename "$f" .json)
		grep -q "^$m " "$T/m.out" || die "$b methods: $m not listed"
	done
	(cd / && "$b" methods nist-clear) >/dev/null 2>"$T/m.err" ||
		die "$b methods nist-clear: $(cat "$T/m.err")"
	# the demo policy is found by name in DATA/policies (its variables unset: exit 2 naming it)
	(cd / && "$b" plan --policy demo) >"$T/p.out" 2>"$T/p.err"
	rc=$?
	(cd / && "$b" plan --policy no-such-policy) >/dev/null 2>"$T/q.err"
	[ $? = 2 ] || die "$b plan --policy no-such-policy: not exit 2: $(cat "$T/q.err")"
	grep -q "no-such-policy" "$T/q.err" || die "$b plan: an unknown policy not named: $(cat "$T/q.err")"
	grep -qF "$d/policies/demo.json: " "$T/p.err" ||
		die "$b plan --policy demo: not $d/policies/demo.json (exit $rc): $(cat "$T/p.err")"
}
unset DISPOSE_METHODS_DIR
check_finds "$inst" "$data"
# moved whole to another prefix: still its own data
mkdir -p "$T/elsewhere"
mv "$T/root/usr" "$T/elsewhere/opt"
check_finds "$T/elsewhere/opt/sbin/dispose" "$T/elsewhere/opt/share/dispose"
mv "$T/elsewhere/opt" "$T/root/usr"
ok "installed binary (built for /usr/local, installed to /usr) finds its $nmeth methods and the demo policy"

# the completion: commands, options, dynamic method and policy names
complete_line() {	# WORDS...: what the completion offers for the last word
	PATH=$T/root/usr/sbin:$PATH bash -c '
		complete() { :; }
		compopt() { :; }
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_dispose
		printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@"
}
# the long options of a --help: those its option lines begin with (several on one line too)
helpopts() {
	sed -n '/^ \{1,8\}\(-[[:alnum:]], \)\{0,1\}--[a-z]/p' | grep -oE '(^ *|  |, )--[a-z][a-z-]*' |
		grep -oE -- '--[a-z-]+' | sort -u
}
bash -n "$comp" || die "completion: syntax error"
complete_line dispose me | grep -qx methods || die "completion: 'dispose me' does not offer methods"
complete_line dispose erase --method nist-c | grep -qx nist-clear ||
	die "completion: --method does not offer nist-clear"
complete_line dispose run --policy de | grep -qx demo || die "completion: --policy does not offer demo"
complete_line dispose archive c | grep -qx create || die "completion: archive subcommands"
for c in run plan erase methods inventory keygen certify verify show \
	"archive create" "archive verify" "archive extract" "archive status"; do
	# shellcheck disable=SC2086
	"$inst" $c --help 2>&1 | helpopts >"$T/help"
	# shellcheck disable=SC2086
	complete_line dispose $c -- | sort -u >"$T/comp"
	[ -s "$T/help" ] || die "dispose $c --help: lists no option"
	missing=$(comm -23 "$T/help" "$T/comp" | tr '\n' ' ')
	extra=$(comm -13 "$T/help" "$T/comp" | tr '\n' ' ')
	[ -z "$missing" ] || die "completion: dispose $c: options of --help not offered: $missing"
	[ -z "$extra" ] || die "completion: dispose $c: options offered that --help does not list: $extra"
done
ok "man pages, schemas and the bash completion installed; the completion knows every option"
