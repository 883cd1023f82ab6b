#!/bin/bash
# t_device_identity.sh - a block device's identity in the record comes from
# the device module once: one "partition" field (no engine "is_partition"
# beside it), unknown strings null (never ""), udev's view named ("udev",
# "by_id" null without its database), and a loop device's medium by inode.
. "$(dirname "$0")/lib.sh"
need_root
command -v sfdisk >/dev/null || skip "sfdisk missing"
img=$T/part.img
truncate -s 16M "$img"
dev=$(losetup -f --show -P "$img") || die "losetup -P"
track_loop "$dev"
printf 'label: dos\n,4M\n,\n' | sfdisk -q "$dev" >/dev/null 2>&1 || die "sfdisk"
part_nodes "$dev" 2 || die "no partition ${dev}p2 after sfdisk"
ident() {	# run dir, expected partition (true/false)
	python3 - "$1/events.jsonl" "$2" "$img" <<'PY'
import json, os, sys
want_part = sys.argv[2] == "true"
st = os.stat(sys.argv[3])
found = 0
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e.get("event") != "target":
        continue
    found += 1
    i = e["identity"]
    bad = []
    if "is_partition" in i:
        bad.append("is_partition beside partition")
    if i.get("partition") is not want_part:
        bad.append("partition %r" % i.get("partition"))
    for k, v in i.items():
        if v == "":
            bad.append("%s is \"\"" % k)
    for k in ("serial", "wwn", "sysfs_serial", "sysfs_wwid", "model", "vendor", "id_path",
              "udev", "by_id"):
        if k not in i:
            bad.append("no %s" % k)
    if i.get("udev") is False and i.get("by_id") is not None:
        bad.append("by_id without udev")
    m = i.get("medium") or {}
    if m.get("kind") != "file" or m.get("ino") != st.st_ino or \
       m.get("dev") != "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev)):
        bad.append("medium %r" % m)
    if bad:
        sys.exit("; ".join(bad))
if found != 1:
    sys.exit("%d target events" % found)
PY
}
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r1" \
	"${dev}p2" >/dev/null 2>"$T/err" || die "partition erase: $(cat "$T/err")"
out=$(ident "$T/r1" true) || die "partition identity: $out"
ok "a partition: one partition field, no empty strings"
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r2" \
	"$dev" >/dev/null 2>"$T/err" || die "disk erase: $(cat "$T/err")"
out=$(ident "$T/r2" false) || die "disk identity: $out"
ok "a whole loop device: the same"
