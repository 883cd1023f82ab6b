#!/bin/bash
# t_archive_owner.sh - archive extract as root: an archive needs no signature to
# be encrypted to you, so without --same-owner / --preserve-permissions files
# belong to the extracting user and lose setuid/setgid bits and capabilities;
# with them, owners, bits and capabilities are restored.
. "$SRCDIR/tests/integration/lib.sh"
need_root
command -v setcap >/dev/null && command -v getcap >/dev/null || skip "needs setcap, getcap"
D=$DISPOSE
S=$T/src
mkdir -p "$S" && chmod 2775 "$S"
echo suid > "$S/suid" && chmod 4755 "$S/suid"
echo mine > "$S/foreign" && chown 12345:12345 "$S/foreign" && chmod 2750 "$S/foreign"
echo cap > "$S/cap" && chmod 755 "$S/cap" && setcap cap_net_raw+ep "$S/cap" || die "setcap"
A=$T/p.tar.zst
$D archive create --run-dir "$T/run" --root "$S" -o "$A" >/dev/null || die "create"

mkdir "$T/x0"
expect_exit 0 $D archive extract "$A" -C "$T/x0"
X=$T/x0/p/data$S
[ "$(stat -c %a:%u:%g "$X/suid")" = 755:0:0 ] || die "default: suid is $(stat -c %a:%u:%g "$X/suid")"
[ "$(stat -c %a:%u:%g "$X/foreign")" = 750:0:0 ] || die "default: foreign is $(stat -c %a:%u:%g "$X/foreign")"
[ "$(stat -c %a "$X")" = 775 ] || die "default: setgid directory kept"
[ -z "$(getcap "$X/cap")" ] || die "default: capability restored: $(getcap "$X/cap")"
cmp "$S/suid" "$X/suid" && cmp "$S/cap" "$X/cap" || die "default: content"
ok "default: no setuid/setgid, no capability, owned by root"

mkdir "$T/x1"
expect_exit 0 $D archive extract "$A" -C "$T/x1" --same-owner
X=$T/x1/p/data$S
[ "$(stat -c %a:%u:%g "$X/foreign")" = 750:12345:12345 ] ||
	die "--same-owner: foreign is $(stat -c %a:%u:%g "$X/foreign")"
[ "$(stat -c %a "$X/suid")" = 755 ] || die "--same-owner alone restored setuid"
ok "--same-owner: owners, no privileged bits"

mkdir "$T/x2"
expect_exit 0 $D archive extract "$A" -C "$T/x2" --same-owner --preserve-permissions
X=$T/x2/p/data$S
[ "$(stat -c %a:%u:%g "$X/suid")" = 4755:0:0 ] || die "asked: suid is $(stat -c %a:%u:%g "$X/suid")"
[ "$(stat -c %a:%u:%g "$X/foreign")" = 2750:12345:12345 ] ||
	die "asked: foreign is $(stat -c %a:%u:%g "$X/foreign")"
[ "$(stat -c %a "$X")" = 2775 ] || die "asked: setgid directory not restored"
getcap "$X/cap" | grep -q cap_net_raw || die "asked: capability not restored"
ok "--same-owner --preserve-permissions: all restored"

# extract-only options
for sub in verify; do
	$D archive $sub "$A" --same-owner 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] || die "$sub --same-owner: exit $rc"
	grep -q -- '--same-owner: not an option of archive verify' "$T/err" || die "$(cat "$T/err")"
done
ok "the options belong to extract only"
