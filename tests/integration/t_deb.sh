#!/bin/bash
# run alone: installs and purges the dispose package system-wide
# t_deb.sh - the Debian package (#16): $DISPOSE_DEB (make check builds it;
# unset or empty: `make deb` into $T) is the release build, installs with
# apt-get, the INSTALLED /usr/sbin/dispose is the Makefile's VERSION, lists the
# methods it ships in /usr/share/dispose, finds its policies there, has its man
# pages and bash completion, erases a loop device (0xFF on every byte, read
# back from the backing image), and `apt-get purge` leaves none of its files
# and dpkg saying not installed. A dispose package this test did not install
# is never replaced or purged: the test skips. The trap purges what it
# installed and detaches the loop device, also on failure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
for t in apt-get dpkg dpkg-deb dpkg-query readelf man; do
	command -v "$t" >/dev/null || skip "$t not installed"
done
export DEBIAN_FRONTEND=noninteractive
unset DISPOSE_METHODS_DIR
inst=/usr/sbin/dispose
version=$(sed -n 's/^VERSION *:= *//p' "$SRCDIR/Makefile")
[ -n "$version" ] || die "no VERSION in $SRCDIR/Makefile"

# one test at a time installs the package (t_ansible*.sh take this lock too)
exec 9>/run/lock/dispose-deb-test.lock || die "cannot open the package test lock"
flock -w 900 9 || skip "another test has held /run/lock/dispose-deb-test.lock for 15 minutes"
status() { dpkg-query -W -f='${db:Status-Abbrev}' dispose 2>/dev/null; }
# absent, or skip: a dispose package this test did not install is never replaced or purged
need_absent() {
	local st
	st=$(status)
	case $st in "" | "un "* | "pn "*) return 0 ;; esac
	skip "a dispose package is on this system already (dpkg status '$st'," \
		"version $(dpkg-query -W -f='${Version}' dispose 2>/dev/null)), not installed by this test: remove it first"
}
need_absent

installed=0 debver=
deb_cleanup() {
	# only what this test installed (its version), never someone else's package
	if [ "$installed" = 1 ] && [ -n "$(status | grep -v '^[up]n')" ] &&
		[ "$(dpkg-query -W -f='${Version}' dispose 2>/dev/null)" = "$debver" ]; then
		apt-get purge -y -q dispose >/dev/null 2>&1 || dpkg --purge dispose >/dev/null 2>&1
	fi
	cleanup
}
trap deb_cleanup EXIT

deb=${DISPOSE_DEB:-}
if [ -z "$deb" ]; then
	make -s -C "$SRCDIR" deb B="$T/b" >"$T/make.out" 2>&1 ||
		die "make deb: $(tail -15 "$T/make.out")"
	deb=$T/b/deb/dispose_${version}_$(dpkg --print-architecture).deb
	grep -q '^E: ' "$T/make.out" && die "make deb: lintian errors: $(grep '^E: ' "$T/make.out")"
	ok "make deb built $(basename "$deb") ($(grep -c '^W: ' "$T/make.out") lintian warnings)"
fi
deb=$(readlink -f "$deb")
[ -f "$deb" ] || die "no package at $deb (DISPOSE_DEB=${DISPOSE_DEB:-})"
[ "$(dpkg-deb -f "$deb" Package)" = dispose ] || die "$deb: not the dispose package"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] ||
	die "$deb: version $(dpkg-deb -f "$deb" Version), the Makefile's is $version"
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || die "$deb: no shlibs Depends: $(dpkg-deb -f "$deb" Depends)"

# the release build: no sanitizer runtime, no test fault hooks
dpkg-deb -x "$deb" "$T/x" || die "dpkg-deb -x $deb"
readelf -d "$T/x$inst" >"$T/needed" || die "$inst in the package: not an ELF binary"
! grep -qE 'lib(a|ub|t)san' "$T/needed" || die "$inst in the package links a sanitizer"
! grep -qa 'DISPOSE_TEST_FAULT' "$T/x$inst" || die "$inst in the package has the test fault hooks"
grep -q BIND_NOW "$T/needed" || die "$inst in the package: not linked with -z now"

debver=$(dpkg-deb -f "$deb" Version)
need_absent	# again: the build took minutes
installed=1
apt-get install -y -q "$deb" >"$T/apt.out" 2>&1 || die "apt-get install $deb: $(tail -10 "$T/apt.out")"
[ "$(status)" = "ii " ] || die "after apt-get install: dpkg status '$(status)'"
dpkg -L dispose | sort >"$T/files" || die "dpkg -L dispose"
for f in "$inst" /usr/share/dispose/policies/demo.json /usr/share/dispose/schemas/dispose-certificate-1.schema.json \
	/usr/share/man/man8/dispose.8.gz /usr/share/bash-completion/completions/dispose \
	/usr/share/doc/dispose/copyright; do
	grep -qxF "$f" "$T/files" && [ -f "$f" ] || die "the installed package has no $f"
done
ok "apt-get installed $(basename "$deb"): $(grep -c . "$T/files") paths"

# the installed binary, run outside any source tree
v=$(cd / && "$inst" --version) || die "$inst --version: exit $?"
[[ $v =~ ^dispose\ ${version//./\\.}\ \([0-9a-f]{12}\)$ ]] || die "$inst --version: '$v', want 'dispose $version (<commit>)'"
(cd / && "$inst" methods -v) >"$T/m.out" 2>"$T/m.err" || die "$inst methods: exit $?: $(cat "$T/m.err")"
grep -qxF "dispose: methods: shipped /usr/share/dispose/methods; user (none: DISPOSE_METHODS_DIR not set)" \
	"$T/m.err" || die "$inst methods: not /usr/share/dispose/methods: $(cat "$T/m.err")"
n=0
for f in $(grep '^/usr/share/dispose/methods/.*\.json$' "$T/files"); do
	m=$(basename "$f" .json)
	grep -q "^$m " "$T/m.out" || die "$inst methods: $m (shipped in $f) not listed"
	n=$((n + 1))
done
[ "$n" -ge 10 ] || die "the package ships $n methods"
[ "$(grep -c '^[a-z0-9]' "$T/m.out")" -ge "$n" ] || die "$inst methods: fewer lines than the $n shipped"
grep -q '^nist-clear ' "$T/m.out" || die "$inst methods: no nist-clear"
# a shipped policy by name, from /usr/share/dispose/policies (variables unset: exit 2 naming the file)
(cd / && "$inst" plan --policy demo) >"$T/p.out" 2>"$T/p.err"
rc=$?
[ "$rc" = 2 ] && grep -qF "/usr/share/dispose/policies/demo.json: " "$T/p.err" ||
	die "$inst plan --policy demo: exit $rc, not /usr/share/dispose/policies/demo.json: $(cat "$T/p.err")"
[ "$(man -w dispose)" = /usr/share/man/man8/dispose.8.gz ] || die "man -w dispose: '$(man -w dispose 2>&1)'"
[ "$(man -w 5 dispose-certificate)" = /usr/share/man/man5/dispose-certificate.5.gz ] ||
	die "man -w 5 dispose-certificate: '$(man -w 5 dispose-certificate 2>&1)'"
bash -n /usr/share/bash-completion/completions/dispose || die "bash completion: syntax error"
ok "$v: $n methods and the demo policy from /usr/share/dispose, man dispose, completion"

# an erase with the installed binary: 0xFF on every byte of the device
dev=$(mkloop 8 "$T/disk.img") || die "mkloop"
fill_marker "$dev" 8
[ "$(count_marker "$T/disk.img")" -gt 0 ] || die "marker not written"
(cd / && "$inst" erase --yes --progress none --method one --run-dir "$T/run" "$dev") >"$T/e.out" 2>&1 ||
	die "$inst erase --method one $dev: exit $?: $(tail -5 "$T/e.out")"
check_chain "$T/run"
blockdev --flushbufs "$dev" 2>/dev/null
[ "$(count_marker "$T/disk.img")" = 0 ] || die "erase: marker left in $T/disk.img"
cmp -s -n $((8 << 20)) "$T/disk.img" <(head -c $((8 << 20)) /dev/zero | tr '\0' '\377') ||
	die "erase: $T/disk.img is not 0xFF on every byte"
dd if="$dev" bs=1M iflag=direct status=none | cmp -s -n $((8 << 20)) - <(head -c $((8 << 20)) /dev/zero | tr '\0' '\377') ||
	die "erase: $dev does not read back 0xFF"
ok "the installed dispose erased $dev: 8 MiB of 0xFF on disk, run record chained"

# purge: none of its files left, dpkg says not installed
apt-get purge -y -q dispose >"$T/purge.out" 2>&1 || die "apt-get purge dispose: $(tail -10 "$T/purge.out")"
installed=0
[ -z "$(status | grep -v '^[up]n')" ] || die "after purge: dpkg status '$(status)'"
dpkg -s dispose >"$T/s.out" 2>&1 && die "after purge: dpkg -s dispose: $(cat "$T/s.out")"
grep -q "is not installed" "$T/s.out" || die "after purge: dpkg -s dispose: $(cat "$T/s.out")"
while read -r f; do
	if [ -d "$f" ] && [ ! -L "$f" ]; then
		# a directory stays only when another package owns it or it holds others' files
		[ -z "$(ls -A "$f")" ] && ! dpkg -S "$f" >/dev/null 2>&1 && die "after purge: empty $f left"
		continue
	fi
	[ ! -e "$f" ] && [ ! -L "$f" ] || die "after purge: $f left"
done <"$T/files"
for d in /usr/share/dispose /usr/share/doc/dispose; do
	[ ! -e "$d" ] || die "after purge: $d left"
done
[ ! -e "$inst" ] || die "after purge: $inst left"
ok "apt-get purge dispose: none of its $(grep -c . "$T/files") paths left, dpkg: not installed"
