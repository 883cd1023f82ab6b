#!/bin/bash
# t_syslog_long.sh - a long path (about 3500 bytes, within PATH_MAX) does not
# cut the verdict off a target's syslog end line, nor a core message's
# reason off the terminal: each line is whole, ending with "(target t1)" or
# its reason. Sampled verification keeps its seed in the syslog line
# (#11 review: lines were cut at 2048 / 1024 bytes, the reason at 300).
# A run directory given relative is named absolute in syslog (erase,
# archive create and verify): the run id must name one place. A run whose
# only target succeeded unverified ends with a warning, as its target's line.
# A target that ends with no end in a full run record says why in syslog.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
cc -shared -fPIC -O2 -o "$T/shim.so" "$SRCDIR/tests/integration/syslog_shim.c" ||
	skip "cannot build the syslog shim (no C compiler)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:verify_asan_link_order=0"

comp=$(printf 'd%.0s' $(seq 250))
d=$T/top
for _ in $(seq 14); do d=$d/$comp; done
mkdir -p "$d" || die "mkdir"
f=$d/file.bin
[ ${#f} -gt 3500 ] || die "path only ${#f} bytes"

# 1. syslog: the end line of a file erased with sampled verification is whole
fill_marker "$f" 2
: >"$T/sys.log"
SYSLOG_CAPTURE="$T/sys.log" LD_PRELOAD="$T/shim.so" "$DISPOSE" erase --yes --progress none \
	--method zero --verify sample:50 --run-dir "$T/r1" "$f" >"$T/out1" 2>"$T/err1" ||
	die "erase: exit $?: $(tail -c 300 "$T/err1")"
grep -Fq "$f: erase success; no NIST category: file-level overwrite; verified: sampled 50% of the last pass read back" \
	"$T/sys.log" || die "syslog end line: $(grep -F 'erase ' "$T/sys.log" | tail -c 600)"
grep -Eq "splitmix64 seed [0-9a-f]{16}\) \(target t1\)$" "$T/sys.log" ||
	die "syslog end line cut: $(grep -F 'erase success' "$T/sys.log" | tail -c 300)"
grep -Eq "erase ended: success, 1 of 1 target erased, exit 0, run $T/r1, record head [0-9a-f]{64}$" \
	"$T/sys.log" || die "syslog run end: $(tail -n 1 "$T/sys.log")"
ok "syslog: a long path keeps the whole verdict and seed on the target's end line"

# 2. terminal: a core message naming a long path keeps its reason
fill_marker "$f" 1
ln "$f" "$T/other"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r2" "$T/top" \
	>"$T/out2" 2>"$T/err2"
rc=$?
[ $rc = 1 ] || die "tree: expected exit 1, got $rc: $(tail -c 300 "$T/err2")"
grep -Fq "$f: has 1 hard link outside the tree: name removed, data not overwritten" "$T/err2" ||
	die "message cut: $(grep -F 'dispose: ' "$T/err2" | tail -c 300)"
ok "terminal: a core message with a long path keeps its reason"

# 3. a relative --run-dir: syslog names it absolute (erase, archive create, verify)
fill_marker "$T/rel.bin" 1
: >"$T/rel.log"
(cd "$T" && SYSLOG_CAPTURE="$T/rel.log" LD_PRELOAD="$T/shim.so" "$DISPOSE" erase --yes \
	--progress none --method zero --run-dir r3 rel.bin) >"$T/out3" 2>"$T/err3" ||
	die "erase: exit $?: $(cat "$T/err3")"
grep -Eq " erase started by [^ ]+: target rel.bin, method zero, verify [a-z]+, run $T/r3\$" "$T/rel.log" ||
	die "erase start line: $(cat "$T/rel.log")"
grep -Eq " erase ended: success, 1 of 1 target erased, exit 0, run $T/r3, record head [0-9a-f]{64}\$" \
	"$T/rel.log" || die "erase end line: $(cat "$T/rel.log")"
mkdir "$T/src"
echo one >"$T/src/a"
: >"$T/arc.log"
(cd "$T" && SYSLOG_CAPTURE="$T/arc.log" LD_PRELOAD="$T/shim.so" "$DISPOSE" archive create \
	--root src -o a.tar.zst --run-dir ar &&
	SYSLOG_CAPTURE="$T/arc.log" LD_PRELOAD="$T/shim.so" "$DISPOSE" archive verify \
	--run-dir ar a.tar.zst) >"$T/out4" 2>"$T/err4" || die "archive: $(cat "$T/err4")"
grep -Eq " archive create a.tar.zst started by [^ ]+: root src, not encrypted, run $T/ar\$" "$T/arc.log" ||
	die "archive start line: $(cat "$T/arc.log")"
grep -Eq " archive create ended: success, exit 0, run $T/ar, record head [0-9a-f]{64}\$" "$T/arc.log" ||
	die "archive end line: $(cat "$T/arc.log")"
grep -Eq " archive verify a.tar.zst: ok, 1 file, 4 payload bytes, run $T/ar, record head [0-9a-f]{64}\$" \
	"$T/arc.log" || die "archive verify line: $(cat "$T/arc.log")"
ok "a relative run directory is named absolute in syslog"

# 4. --verify none: the target's line and the run's end line are warnings
fill_marker "$T/nv.bin" 1
: >"$T/nv.log"
SYSLOG_CAPTURE="$T/nv.log" LD_PRELOAD="$T/shim.so" "$DISPOSE" erase --yes --progress none \
	--method zero --verify none --run-dir "$T/r4" "$T/nv.bin" >"$T/out5" 2>"$T/err5" ||
	die "verify none: exit $?: $(cat "$T/err5")"
grep -Eq "^10 4 dispose $T/nv.bin: erase written, not verified; .* \(target t1\)\$" "$T/nv.log" ||
	die "verify none: target line: $(cat "$T/nv.log")"
grep -Eq "^10 4 dispose erase ended: success, 1 of 1 target erased, exit 0, run $T/r4, record head [0-9a-f]{64}\$" \
	"$T/nv.log" || die "verify none: end line not a warning: $(cat "$T/nv.log")"
ok "--verify none: the run's end line is a warning too"

# 5. the run record fills up: the target's err line gives the cause, as the terminal did
mkdir "$T/small"
mount -t tmpfs -o size=6k none "$T/small" || skip "cannot mount tmpfs"
track_mount "$T/small"
dev=$(mkloop 64)
: >"$T/full.log"
SYSLOG_CAPTURE="$T/full.log" LD_PRELOAD="$T/shim.so" "$DISPOSE" erase --yes --progress none \
	--method zero --checkpoint-interval 1M --run-dir "$T/small/r" "$dev" >"$T/out6" 2>"$T/err6"
rc=$?
[ $rc = 1 ] || die "full record: expected exit 1, got $rc: $(cat "$T/err6")"
grep -q "cannot write the run record: No space left on device" "$T/err6" ||
	die "full record: terminal: $(cat "$T/err6")"
grep -Eq "^10 3 dispose $dev: erase failed: .*; the run record could not be written: No space left on device \(target t1\)\$" \
	"$T/full.log" || die "full record: syslog line without the cause: $(cat "$T/full.log")"
ok "a full run record: the syslog line says why the target has no end"
