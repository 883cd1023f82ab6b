#!/bin/bash
# t_erase_partition.sh - overwriting one partition is never NIST "clear"
# (standards 8 rule 3: every LBA of the whole device): nist_category
# "none" with a caveat naming the partition; the whole disk, verified, is
# "clear"; with --verify none it is not; a device of size 0 is exit 2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
command -v sfdisk >/dev/null || skip "sfdisk missing"
img=$T/part.img
truncate -s 16M "$img"
dev=$(losetup -f --show -P "$img") || die "losetup -P"
track_loop "$dev"
printf 'label: dos\n,4M\n,\n' | sfdisk -q "$dev" >/dev/null 2>&1 || die "sfdisk"
part_nodes "$dev" 2 || die "no partition ${dev}p2 after sfdisk"
cat_of() {
	python3 - "$1/events.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "target_end" and e["target"] == "t1":
        print(e["status"], e["nist_category"], "|".join(e["caveats"]))
PY
}
"$DISPOSE" erase --yes --progress none --method zero --verify all --run-dir "$T/r1" \
	"${dev}p2" >/dev/null 2>"$T/err" || die "partition erase: $(cat "$T/err")"
read -r st cat rest < <(cat_of "$T/r1")
[ "$st" = success ] || die "partition: status $st"
[ "$cat" = none ] || die "partition labelled '$cat', not 'none'"
echo "$rest" | grep -q "partition, not the whole device" || die "no partition caveat: $rest"
ok "a partition is not NIST clear"
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r2" \
	"$dev" >/dev/null 2>"$T/err" || die "disk erase: $(cat "$T/err")"
read -r st cat rest < <(cat_of "$T/r2")
[ "$cat" = none ] || die "unverified disk labelled '$cat'"
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$T/r3" \
	"$dev" >/dev/null 2>"$T/err" || die "disk erase: $(cat "$T/err")"
read -r st cat rest < <(cat_of "$T/r3")
[ "$cat" = clear ] || die "whole verified disk labelled '$cat'"
ok "whole disk: clear only when verified"

# a device of size 0 (a card reader without a card): nothing to erase,
# never a "success" or "clear" for no bytes
: >"$T/empty.img"
if e=$(losetup -f --show "$T/empty.img" 2>/dev/null); then
	track_loop "$e"
	"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r4" "$e" >/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 2 ] || die "size 0 device: expected exit 2, got $rc"
	grep -q "size 0" "$T/err" || die "message: $(cat "$T/err")"
	[ ! -e "$T/r4" ] || die "run dir made"
	ok "a device of size 0 is not erased"
else
	echo "skip: size 0 device: this losetup cannot attach an empty file"
fi
