#!/bin/bash
# run_pipeline.sh - `dispose run` against the sum of its steps run one by one
# as separate commands, in the same bench run, on the demo server scaled up:
# a tree of BENCH_FILES files totalling BENCH_SIZE_MIB (records, configuration
# and logs retained; data, homes, keys and an application under /opt erased)
# and one loop device of BENCH_SIZE_MIB. The steps:
#   dispose inventory --data --keys --devices --hash -o
#   dispose archive create (the retained roots) + dispose archive verify
#   dispose erase (the trees, the key files, the device)
#   dispose certify (the erase's record, the inventory)
# against dispose run --yes with a policy written here that does the same.
# Each mode gets a fresh copy of the tree (same seed) and a fresh sparse image;
# rounds alternate which mode goes first.
# Prints each step's seconds and share of the sum, dispose run's own steps
# (from its record), and the ratio run/sum (goal: at most 1.10).
# Not a test: nothing here fails on time. Usage: run_pipeline.sh path/to/dispose
# Env: BENCH_FILES (100000), BENCH_SIZE_MIB (2048), BENCH_RUNS (1),
#      BENCH_DIR (/var/tmp: needs about 2.2 x BENCH_SIZE_MIB free).
set -u
bin=$(readlink -f "${1:-build/dispose}")
[ -x "$bin" ] || { echo "bench: $bin: not executable" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: run_pipeline: needs root (a loop device); skipped"; exit 0; }
command -v python3 >/dev/null || { echo "bench: run_pipeline: needs python3; skipped"; exit 0; }
src=$(cd "$(dirname "$0")/../.." && pwd)
export DISPOSE_METHODS_DIR=${DISPOSE_METHODS_DIR:-$src/profiles/methods}
files=${BENCH_FILES:-100000}
size=${BENCH_SIZE_MIB:-2048}
runs=${BENCH_RUNS:-1}
for v in "$files" "$size" "$runs"; do
	case $v in '' | *[!0-9]* | 0*) echo "bench: BENCH_FILES, BENCH_SIZE_MIB, BENCH_RUNS: numbers from 1" >&2; exit 2 ;; esac
done
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/dispose-bench-run.XXXXXX") || exit 1
dev=""
cleanup() {
	[ -n "$dev" ] && losetup -d "$dev" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "bench: run_pipeline: $*" >&2; exit 1; }

# make_tree DIR: the server, the same bytes every time (seeded)
make_tree() {
	python3 - "$1" "$files" "$size" <<'PY' || fail "cannot make the tree"
import os, random, sys
root, nfiles, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(14)
pool = rng.randbytes(8 << 20)           # file contents are slices of this
# (directory, share of the files, share of the bytes)
parts = [("etc", .02, .005), ("var/log", .03, .045), ("srv/records", .10, .10),
         ("srv/data", .40, .55), ("home", .35, .25), ("opt/app", .10, .05)]
total = mib << 20
for d, fshare, bshare in parts:
    n = max(1, int(nfiles * fshare))
    w = [rng.expovariate(1) for _ in range(n)]
    scale = total * bshare / sum(w)
    for i in range(n):
        sub = os.path.join(root, d, "u%d" % (i % 10) if d == "home" else "", "d%03d" % (i // 100))
        if i % 100 == 0 or d == "home":
            os.makedirs(sub, exist_ok=True)
        left = int(w[i] * scale)
        with open(os.path.join(sub, "f%06d" % i), "wb") as f:
            while left > 0:
                k = min(left, 1 << 20)
                off = rng.randrange(len(pool) - k + 1)
                f.write(pool[off:off + k])
                left -= k
PY
	mkdir -p "$1/keys"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1/keys/tls.key" 2>/dev/null &&
		ssh-keygen -q -t ed25519 -N '' -C bench -f "$1/keys/id_ed25519" || fail "cannot make the keys"
}
# make_dev: a fresh sparse image on a loop device in $dev
make_dev() {
	rm -f "$work/disk.img"
	truncate -s "${size}M" "$work/disk.img" && dev=$(losetup -f --show "$work/disk.img") ||
		fail "cannot attach a loop device"
}
drop_dev() { losetup -d "$dev"; dev=""; rm -f "$work/disk.img"; }

# t NAME CMD...: run CMD, its wall seconds in secs[NAME] (summed over rounds)
declare -A secs
# work RECORD: "FILES MIB" files removed and MiB written by the erase in RECORD
work() {
	python3 - "$1" <<'PY'
import json, sys
n = b = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    n += e["event"] == "file_removed"
    b += e.get("bytes_written", 0) if e["event"] == "target_end" else 0
print(n, b >> 20)
PY
}
t() {
	local name=$1 s e rc
	shift
	s=$(date +%s.%N)
	"$@" >"$work/$name.out" 2>&1
	rc=$?
	e=$(date +%s.%N)
	[ $rc = 0 ] || { tail -5 "$work/$name.out" >&2; fail "$name: exit $rc: $*"; }
	secs[$name]=$(awk -v a="${secs[$name]:-0}" -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", a + e - s }')
}

"$bin" keygen -q --subject "/CN=bench signer/O=Bench" -o "$work/signer" || fail "keygen"
retained=(etc var/log srv/records)
runsteps=""
# the steps, one by one
mode_steps() {
	local s=$work/steps r
	local -a roots keys
	make_tree "$s"
	make_dev
	sync
	t inventory "$bin" inventory --root "$s" --data --keys --devices --hash --progress none \
		-o "$work/inv.json"
	roots=()
	for r in "${retained[@]}"; do roots+=(-r "$s/$r"); done
	t archive_create "$bin" archive create --progress none "${roots[@]}" \
		-o "$work/records.tar.zst" --retain-until "$(date -d '+7 years' +%F)" \
		--series BENCH-1 --authority "bench disposal authority" --organization "Bench Org" \
		--run-dir "$work/arun"
	t archive_verify "$bin" archive verify --progress none "$work/records.tar.zst"
	# the key files the inventory found outside the other targets
	mapfile -t keys < <(python3 - "$work/inv.json" "$s" <<'PY'
import json, sys
doc, root = json.load(open(sys.argv[1])), sys.argv[2]
for k in doc.get("keys", []):
    p = k.get("path", "")
    if p.startswith(root + "/keys/"):
        print(p)
PY
	)
	[ ${#keys[@]} -gt 0 ] || fail "the inventory found no key in $s/keys"
	t erase "$bin" erase --yes --progress none --method zero --verify last --run-dir "$work/erun" \
		"$s/srv" "$s/home" "$s/opt/app" "${keys[@]}" "$dev"
	t certify "$bin" certify --run-dir "$work/erun" --inventory "$work/inv.json" \
		--key "$work/signer.key" --cert "$work/signer.crt" --operator "Bench Operator" \
		--organization "Bench Org" --media-destination recycling -o "$work/cert.json"
	swork=$(work "$work/erun/events.jsonl")
	drop_dev
	rm -rf "$s" "$work/inv.json" "$work"/records.tar.zst* "$work/arun" "$work/erun" "$work"/cert.json*
}
# dispose run, the same work in one command
mode_run() {
	local s=$work/run-server
	make_tree "$s"
	make_dev
	cat >"$work/policy.json" <<JSON
{
	"schema": "dispose-policy/1",
	"name": "bench",
	"description": "tests/bench/run_pipeline.sh",
	"inventory": {"roots": ["$s"], "categories": ["data", "keys", "devices"], "hash": true,
		      "sysroot": "$s"},
	"retain": [{"name": "records", "paths": ["$s/etc/**", "$s/var/log/**", "$s/srv/records/**"],
		    "retain_until": "7y", "series": "BENCH-1", "authority": "bench disposal authority",
		    "organization": "Bench Org", "legal_hold": false}],
	"erase": [
		{"name": "data", "paths": ["$s/srv/**", "$s/home/**"], "method": "zero", "verify": "last"},
		{"name": "keys", "keys": ["any"], "method": "zero", "verify": "last"},
		{"name": "app", "paths": ["$s/opt/app"], "method": "zero", "verify": "last"},
		{"name": "disk", "devices": ["$dev"], "method": "zero", "verify": "last"}
	],
	"keep_running_system": true,
	"certificate": {"key": "$work/signer.key", "cert": "$work/signer.crt",
			"operator_name": "Bench Operator", "organization": "Bench Org",
			"media_destination": "recycling"}
}
JSON
	sync
	t run "$bin" run --policy "$work/policy.json" --yes --progress none --run-dir "$work/run"
	[ -s "$work/run/certificate.json.p7s" ] || fail "dispose run wrote no certificate"
	# its own steps, from the record (step_start .. step_end)
	runsteps+=$(python3 - "$work/run/events.jsonl" <<'PY'
import datetime, json, sys
def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
start = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "step_start":
        start[e["step"]] = ts(e["time"])
    elif e["event"] == "step_end" and e["step"] in start:
        print("%s %.3f" % (e["step"], ts(e["time"]) - start[e["step"]]))
PY
	)$'\n'
	rwork=$(work "$work/run/events.jsonl")
	drop_dev
	rm -rf "$s" "$work/run"
}
# alternate which goes first (page cache, disk state)
for round in $(seq "$runs"); do
	if [ $((round % 2)) = 1 ]; then mode_steps; mode_run; else mode_run; mode_steps; fi
done

steps=(inventory archive_create archive_verify erase certify)
sum=$(for k in "${steps[@]}"; do echo "${secs[$k]}"; done | awk '{ s += $1 } END { printf "%.3f", s }')
echo "tree: $files files, $size MiB; device: $size MiB; rounds: $runs (seconds summed over rounds)"
set -- $swork $rwork
echo "erased (last round): the steps $1 files, $2 MiB written; dispose run $3 files, $4 MiB written"
printf '%-26s %10s %7s\n' "step (separate commands)" seconds share
for k in "${steps[@]}"; do
	printf '%-26s %10.2f %6.1f%%\n' "$k" "${secs[$k]}" "$(awk -v a="${secs[$k]}" -v s="$sum" 'BEGIN { print 100 * a / s }')"
done
printf '%-26s %10.2f\n' "sum of the steps" "$sum"
printf '%-26s %10.2f\n' "dispose run" "${secs[run]}"
printf '%s' "$runsteps" | awk 'NF == 2 { s[$1] += $2; if (!($1 in o)) o[$1] = ++n; k[o[$1]] = $1 }
	END { for (i = 1; i <= n; i++) printf "  %-24s %10.2f\n", "run: " k[i], s[k[i]] }'
awk -v r="${secs[run]}" -v s="$sum" 'BEGIN { printf "ratio run/sum: %.3f (goal: at most 1.10)\n", r / s }'
