#!/bin/bash
# t_archive_interrupt.sh - SIGINT / SIGTERM stop archive create within a second:
# exit 130 / 143, nothing half-written left to pass for an archive, and the
# run record says "interrupted" (archive_failed, then run_end with the exit code).
. "$SRCDIR/tests/integration/lib.sh"
D=$DISPOSE
mkdir -p "$T/src"
# a 40 GiB sparse image: hashing its holes alone takes far longer than the test
truncate -s 40G "$T/src/huge.img"
printf data | dd of="$T/src/huge.img" bs=1 seek=1000000 conv=notrunc 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
	-keyout "$T/r.key" -out "$T/r.crt" -subj /CN=interrupt -days 2 2>/dev/null ||
	die "openssl req"

run() {	# SIGNAL WANT_EXIT NAME [create options]
	local sig=$1 want=$2 name=$3 pid rc start end sfx=.tar.zst
	shift 3
	[[ " $* " == *" --recipient "* ]] && sfx=.tar.zst.enc
	$D archive create --run-dir "$T/run-$name" --root "$T/src" "$@" \
		-o "$T/$name$sfx" >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	# its handlers are in place once run_start is written (a loaded machine
	# can take more than a second to get there)
	for _ in $(seq 600); do
		grep -q '"event":"run_start"' "$T/run-$name/events.jsonl" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	sleep 1
	start=$(date +%s)
	kill -"$sig" $pid
	timeout 30 tail --pid=$pid -f /dev/null || { kill -9 $pid; die "$name: still running 30 s after SIG$sig"; }
	wait $pid
	rc=$?
	end=$(date +%s)
	[ $rc -eq "$want" ] || die "$name: exit $rc after SIG$sig, want $want: $(cat "$T/$name.err")"
	[ $((end - start)) -le 10 ] || die "$name: took $((end - start)) s to stop"
	grep -q "interrupted; nothing of it was kept" "$T/$name.err" || die "$name: message: $(cat "$T/$name.err")"
	ls -a "$T" | grep -q "^$name\.tar\.zst" && die "$name: left $(ls "$T" | grep "^$name")"
	ls -a "$T/run-$name" | grep -q "archive-items" && die "$name: left its item list"
	tail -2 "$T/run-$name/events.jsonl" | head -1 |
		grep -q '"event":"archive_failed".*"result":"interrupted"' ||
		die "$name: run record: $(tail -2 "$T/run-$name/events.jsonl")"
	# the run ends in its own record, with the exit code
	tail -1 "$T/run-$name/events.jsonl" |
		grep -q "\"event\":\"run_end\".*\"status\":\"interrupted\",\"exit\":$want}" ||
		die "$name: run_end: $(tail -1 "$T/run-$name/events.jsonl")"
	ok "SIG$sig stops create ($name): exit $rc, nothing left, recorded"
}

run INT 130 plain
run TERM 143 enc --recipient "$T/r.crt"
