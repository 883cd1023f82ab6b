#!/bin/bash
# t_archive_hostile.sh - what a stranger holding the recipient's certificate
# can put in an archive beyond its manifests: extended attributes (user.*,
# trusted.*), POSIX ACLs and file flags (immutable, append-only) are not
# restored by extract unless --xattrs, --acls or --fflags ask for them,
# plain and encrypted alike (tests/data/craft_bag.py metadata).
. "$SRCDIR/tests/integration/lib.sh"
need_root
for c in zstd openssl getfattr getfacl lsattr chattr; do
	command -v $c >/dev/null || skip "needs $c"
done
# an immutable file left by a failing run must not outlive the test
# (and the racing loop of another user must not either)
p=
trap '[ -n "$p" ] && kill -KILL $p 2>/dev/null; chattr -R -i -a "$T" 2>/dev/null; cleanup' EXIT
D=$DISPOSE
C=$SRCDIR/tests/data/craft_bag.py
mkdir -p "$T/k"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k/r.key" \
	-out "$T/k/r.crt" -days 2 -subj /CN=hostile 2>/dev/null || die "test certificate"
KEYS=(--key "$T/k/r.key" --cert "$T/k/r.crt")
python3 "$C" "$T/m.tar.zst" metadata || die "craft"
python3 "$C" "$T/e.tar.zst" metadata --encrypt "$T/k/r.crt" || die "craft (encrypted)"
# the extract directory must support what is refused, or the test proves nothing
touch "$T/probe" && setfattr -n trusted.probe -v 1 "$T/probe" && chattr +i "$T/probe" &&
	chattr -i "$T/probe" || skip "no xattrs or file flags on $T"

# meta DIR: one line per payload path with its xattrs, ACL entries and flags
meta() {
	local f
	for f in x.txt imm.txt app.txt d; do
		printf '%s:' "$f"
		getfattr --absolute-names -d -m- "$1/bag/data/$f" 2>/dev/null | grep -v '^#' |
			grep -v '^$' | tr '\n' ' '
		lsattr -d "$1/bag/data/$f" | cut -d' ' -f1 | tr -d -- '-e' | sed 's/^/flags=/'
	done
}

# extract ARCHIVE DIR [OPTIONS...]: exit 0, every payload file with its bytes
extract() {
	local a=$1 x=$2
	shift 2
	mkdir "$x"
	expect_exit 0 $D archive extract "$a" -C "$x" "$@"
	[ "$(cat "$x/bag/data/x.txt")" = x ] && [ "$(cat "$x/bag/data/imm.txt")" = i ] &&
		[ "$(cat "$x/bag/data/app.txt")" = a ] && [ -d "$x/bag/data/d" ] ||
		die "$a: payload not extracted"
}

for a in m e; do
	k=()
	[ $a = e ] && k=("${KEYS[@]}")
	expect_exit 0 $D archive verify "$T/$a.tar.zst" "${k[@]}"
	extract "$T/$a.tar.zst" "$T/x-$a" "${k[@]}"
	m=$(meta "$T/x-$a")
	echo "$m"
	echo "$m" | grep -q 'evil\|b64\|posix_acl' && die "$a: an xattr or ACL no manifest covers was restored"
	echo "$m" | grep -q 'flags=[^ ]' && die "$a: a file flag no manifest covers was restored"
	# and the files can be changed and removed again by their owner
	echo more >> "$T/x-$a/bag/data/app.txt" && rm -rf "$T/x-$a" || die "$a: extracted tree not removable"
	ok "$a: by default no xattr, ACL or file flag"
done

extract "$T/m.tar.zst" "$T/x-x" --xattrs
m=$(meta "$T/x-x")
echo "$m"
echo "$m" | grep -q '^x.txt:.*trusted.evil="payload".*user.b64="payload" user.evil="payload"' ||
	die "--xattrs: not restored"
echo "$m" | grep -q 'posix_acl\|flags=[^ ]' && die "--xattrs: restored ACLs or flags too"
ok "--xattrs restores extended attributes only"

extract "$T/m.tar.zst" "$T/x-a" --acls
getfacl -c "$T/x-a/bag/data/x.txt" | grep -q '^user:nobody:rwx' || die "--acls: access ACL"
getfacl -c "$T/x-a/bag/data/d" | grep -q '^default:user:nobody:rwx' || die "--acls: default ACL"
m=$(meta "$T/x-a")
echo "$m" | grep -q 'evil\|flags=[^ ]' && die "--acls: restored xattrs or flags too"
ok "--acls restores ACLs only"

extract "$T/m.tar.zst" "$T/x-f" --fflags
m=$(meta "$T/x-f")
echo "$m"
echo "$m" | grep -q '^imm.txt:flags=i' && echo "$m" | grep -q '^app.txt:flags=a' &&
	echo "$m" | grep -q '^d:flags=i' || die "--fflags: flags not restored"
echo "$m" | grep -q 'evil\|posix_acl' && die "--fflags: restored xattrs or ACLs too"
ok "--fflags restores file flags only"

expect_exit 2 $D archive verify "$T/m.tar.zst" --xattrs
expect_exit 2 $D archive create --root "$T/k" -o "$T/o.tar.zst" --fflags
ok "--xattrs, --acls, --fflags belong to extract only"

# The bag directory is made by extract, ours alone while it fills, and used
# by its descriptor: an extract into a directory others can write (mode
# 1777) never lands in a directory someone else made at that name in
# between, whatever they race. (The base build did, about 1 run in 30.)
command -v setpriv >/dev/null || skip "needs setpriv"
python3 "$C" "$T/c.tar.zst" clean || die "craft clean"
X=${DISPOSE_REL:-$D}
chmod 755 "$T"	# the other user must reach the race directories
hits=0 made=0 refused=0
for i in $(seq 150); do
	x=$T/race$i
	mkdir -m 1777 "$x"
	setpriv --reuid=65534 --regid=65534 --clear-groups bash -c \
		"while :; do mkdir '$x/bag' 2>/dev/null; rmdir '$x/bag' 2>/dev/null; done" &
	p=$!
	$X archive extract "$T/c.tar.zst" -C "$x" >/dev/null 2>&1; rc=$?
	kill -KILL $p; wait $p 2>/dev/null	# SIGKILL: a TERM before exec can be lost
	if [ -f "$x/bag/data/ok.txt" ]; then
		[ "$(stat -c %u "$x/bag")" = 0 ] || hits=$((hits + 1))
		[ $rc -eq 0 ] && made=$((made + 1))
	elif [ $rc -ne 0 ]; then
		refused=$((refused + 1))
	fi
done
[ $hits -eq 0 ] || die "extracted $hits times into a directory made by another user"
[ $made -gt 0 ] && [ $refused -gt 0 ] || die "no race: $made extracted, $refused refused"
ok "racing the bag directory: $made of 150 extracted, $refused refused, none into another user's directory"

# the bag directory gets the archive's mode and time at the end (its entry, tamed)
mkdir "$T/top"
expect_exit 0 $D archive extract "$T/c.tar.zst" -C "$T/top"
[ "$(stat -c %a "$T/top/bag")" = 755 ] || die "bag directory mode $(stat -c %a "$T/top/bag")"
[ "$(stat -c %Y "$T/top/bag")" = "$(stat -c %Y "$T/top/bag/data/ok.txt")" ] ||
	die "bag directory time not restored"
ok "the bag directory's own mode and time"
