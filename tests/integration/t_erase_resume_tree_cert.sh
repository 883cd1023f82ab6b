#!/bin/bash
# t_erase_resume_tree_cert.sh - a tree erase interrupted in the middle of a
# file's pass (SIGINT after a checkpoint), then --resume: the file goes on
# under its own target id from its checkpoint (target_resumed, pass_end
# covering the whole file), not redone under a new id that leaves the
# interrupted pass in the record; the certificate is a certificate of
# sanitization and verifies. Also a tree killed (SIGKILL, test hook) between
# a file's last rename and its unlink: the file is finished under its id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"

# certified DIR: a certificate of sanitization that verifies; every file's pass complete
certified() {
	check_chain "$1"
	python3 - "$1/events.jsonl" <<'PY' || die "$1: record"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
files = {e["target"] for e in ev if e["event"] in ("target", "target_resumed") and e.get("parent")}
done = {e["target"] for e in ev if e["event"] == "pass_end" and e.get("complete")}
gone = {e["target"] for e in ev if e["event"] == "file_removed"}
assert files and files == done == gone, (files, done, gone)
assert len(files) == 2, files
assert ev[-1]["event"] == "run_end" and ev[-1]["exit"] == 0, ev[-1]
PY
	"$DISPOSE" certify --run-dir "$1" --key "$T/signer.key" --cert "$T/signer.crt" \
		-o "$1.cert.json" >"$T/out" 2>&1 || die "$1: certify: $(cat "$T/out")"
	grep -q "certificate-of-sanitization" "$T/out" || die "$1: not a certificate: $(cat "$T/out")"
	"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$1" "$1.cert.json" >"$T/out" 2>&1 ||
		die "$1: verify: $(cat "$T/out")"
}

mkdir "$T/tree"
fill_marker "$T/tree/a" 32
fill_marker "$T/tree/b" 32
"$DISPOSE" erase --yes --method zero --progress none --test-delay-ms 200 \
	--checkpoint-interval 1M --run-dir "$T/r" "$T/tree" >"$T/out1" 2>&1 &
pid=$!
for _ in $(seq 200); do
	grep -q '"event":"checkpoint"' "$T/r/events.jsonl" 2>/dev/null && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || die "first session: expected exit 130, got $rc: $(cat "$T/out1")"
grep -q '"event":"pass_end"' "$T/r/events.jsonl" && die "interrupted after a pass ended; slow it down"
"$DISPOSE" erase --yes --resume --progress none --run-dir "$T/r" >"$T/out2" 2>&1 ||
	die "resume: $(cat "$T/out2")"
[ ! -e "$T/tree" ] || die "the tree is still there"
certified "$T/r"
ok "a tree interrupted mid-pass, resumed: the file goes on under its id; certificate verifies"

mkdir "$T/tree2"
fill_marker "$T/tree2/a" 4
fill_marker "$T/tree2/b" 4
DISPOSE_TEST_ERASE_KILL=renamed "$DISPOSE" erase --yes --method zero --progress none \
	--run-dir "$T/k" "$T/tree2" >"$T/out1" 2>&1
rc=$?
[ $rc = 137 ] || die "tree: not killed (exit $rc): $(cat "$T/out1")"
"$DISPOSE" erase --yes --resume --progress none --run-dir "$T/k" >"$T/out2" 2>&1 ||
	die "tree resume: $(cat "$T/out2")"
[ ! -e "$T/tree2" ] || die "tree2 is still there: $(ls -A "$T/tree2")"
certified "$T/k"
ok "a tree killed between a file's rename and unlink, resumed: removed under its id"
