# erase_lib.sh - checks shared by the t_erase_*.sh tests (sourced after lib.sh).
# Everything here reads the run record and the device independently of
# dispose: python3 hashlib for the chain, openssl enc for random passes.

# check_chain DIR: every line's prev is the SHA-256 of the line before, seq 1..n
check_chain() {
	python3 - "$1/events.jsonl" <<'PY' || die "hash chain of $1 does not verify"
import hashlib, json, sys
prev = "0" * 64
n = 0
with open(sys.argv[1], "rb") as f:
    for raw in f:
        assert raw.endswith(b"\n"), "torn last line"
        line = raw[:-1]
        ev = json.loads(line)
        n += 1
        assert ev["seq"] == n, ("seq", n, ev["seq"])
        assert ev["prev"] == prev, ("prev", n)
        prev = hashlib.sha256(line).hexdigest()
assert n > 0
PY
}

# events DIR NAME: the events named NAME, one JSON a line
events() { grep "\"event\": *\"$2\"" "$1/events.jsonl"; }

# check_last_pass DEV DIR TARGET_ID: the device holds exactly what the last
# pass wrote (pattern from the record regenerated here; random via openssl)
check_last_pass() {
	local dev=$1 dir=$2 id=$3 kind key iv bytes size
	size=$(blockdev --getsize64 "$dev")
	read -r kind key iv bytes < <(python3 - "$dir/events.jsonl" "$id" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev.get("event") == "pass_start" and ev.get("target") == sys.argv[2]:
        if last is None or ev["pass"] >= last["pass"]:
            last = ev
p = last["pattern"]
if p["kind"] == "random":
    print("random", p["key"], p["iv"], "-")
else:
    print("pattern", "-", "-", p["bytes"])
PY
	) || die "$dir: no pass_start for $id"
	dd if="$dev" of="$T/dump" bs=1M iflag=direct status=none || die "cannot read $dev"
	[ "$(stat -c %s "$T/dump")" = "$size" ] || die "short read of $dev"
	if [ "$kind" = random ]; then
		head -c "$size" /dev/zero |
			openssl enc -aes-128-ctr -K "$key" -iv "$iv" -nosalt >"$T/expect" ||
			die "openssl enc failed"
	else
		python3 - "$bytes" "$size" "$T/expect" <<'PY'
import sys
pat, size = bytes.fromhex(sys.argv[1]), int(sys.argv[2])
blk = pat * ((1 << 20) // len(pat) + 2)
with open(sys.argv[3], "wb") as f:
    off = 0
    while off < size:
        n = min(1 << 20, size - off)
        s = off % len(pat)
        f.write(blk[s:s + n])
        off += n
PY
	fi
	cmp -s "$T/dump" "$T/expect" || die "$dev: content is not the last pass ($kind)"
	rm -f "$T/dump" "$T/expect"
}

# check_coverage DIR TARGET_ID NPASSES: every pass started at 0 or resumed
# at or below a durable checkpoint of the same pass, and ended
check_coverage() {
	python3 - "$1/events.jsonl" "$2" "$3" <<'PY' || die "$1: record does not show every pass covering every byte"
import json, sys
path, tid, npasses = sys.argv[1], sys.argv[2], int(sys.argv[3])
cp, started, ended = {}, {}, set()
end = None
for line in open(path):
    ev = json.loads(line)
    if ev.get("target") != tid:
        continue
    e, p = ev["event"], ev.get("pass")
    if e == "pass_start":
        off = ev.get("offset", 0)
        if p not in started:
            assert off == 0, ("pass", p, "first start at", off)
        else:
            assert off <= cp.get(p, 0), ("pass", p, "resumed at", off, "checkpoint", cp.get(p))
        started[p] = True
    elif e == "checkpoint":
        cp[p] = max(cp.get(p, 0), ev["offset"])
    elif e == "pass_end":
        ended.add(p)
    elif e == "target_end":
        end = ev
assert ended == set(range(1, npasses + 1)), ("ended", sorted(ended))
assert end is not None and end["status"] == "success", end
PY
}
