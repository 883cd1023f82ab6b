#!/bin/bash
# t_erase_methods.sh - every method in profiles/methods leaves no marker on a
# loop device, and the device holds exactly the last pass's bytes (read back
# with O_DIRECT by dd, expected bytes made by python3 / openssl enc). auto on
# a loop device (no sanitize, no LUKS) is a verified overwrite: nist-clear,
# recorded as chosen with its reason. crypto-luks on a device without a LUKS
# header and sanitize on a loop device are refused at the check (exit 2 or
# 5): nothing written, no run record, never an overwrite instead.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
# 8 MiB: two of the engine's 4 MiB buffers, so a pattern's phase crosses a chunk
dev=$(mkloop 8) || die "mkloop"
n=0
nt=0
for f in "$SRCDIR"/profiles/methods/*.json; do
	m=$(basename "$f" .json)
	"$DISPOSE" methods "$m" >/dev/null || die "dispose methods $m"
	fill_marker "$dev" 8
	[ "$(count_marker "$dev")" -gt 0 ] || die "marker not written"
	rm -rf "$T/run"
	read -r t want < <(python3 -c 'import json,sys; m = json.load(open(sys.argv[1]))
print(m.get("technique", "overwrite"), len(m.get("passes", [])))' "$f")
	if [ "$t" = crypto-luks ] || [ "$t" = sanitize ]; then
		sha_before=$(sha256sum <"$dev")
		for dry in "" --dry-run; do
			"$DISPOSE" erase --yes --progress none --method "$m" $dry \
				--run-dir "$T/run" "$dev" >"$T/out" 2>"$T/err"
			rc=$?
			# no LUKS header: invalid target (2); no sanitize on a loop device: 5
			want=5
			[ "$t" = crypto-luks ] && want="2 5"
			case " $want " in *" $rc "*) ;; *) die "$m $dry: exit $rc, want $want: $(cat "$T/err")" ;; esac
			grep -q "^dispose: $dev: " "$T/err" || die "$m $dry: device not named: $(cat "$T/err")"
			! grep -q "not available yet" "$T/err" || die "$m $dry: still not wired: $(cat "$T/err")"
			[ ! -e "$T/run" ] || die "$m $dry: run record made"
		done
		[ "$(sha256sum <"$dev")" = "$sha_before" ] || die "$m: the device was written"
		nt=$((nt + 1))
		ok "$m: technique $t refused at the check (exit $rc), device untouched"
		continue
	fi
	if [ "$t" = auto ]; then
		"$DISPOSE" erase --dry-run --progress none --method auto "$dev" >"$T/out" 2>&1 ||
			die "auto --dry-run: $(cat "$T/out")"
		grep -q "^   method: auto chose nist-clear (" "$T/out" &&
			grep -q "^   reason: ." "$T/out" ||
			die "auto --dry-run: no choice or reason: $(cat "$T/out")"
		[ "$(count_marker "$dev")" -gt 0 ] || die "auto --dry-run wrote"
		"$DISPOSE" erase --yes --progress none --method auto --run-dir "$T/run" "$dev" \
			>"$T/out" 2>&1 || die "auto: $(cat "$T/out")"
		[ "$(count_marker "$dev")" = 0 ] || die "auto: marker left on $dev"
		check_last_pass "$dev" "$T/run" t1
		check_chain "$T/run"
		python3 - "$T/run/events.jsonl" <<'PY' || die "auto: record"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
tg = [e for e in ev if e["event"] == "target"]
assert len(tg) == 1 and tg[0]["method"]["name"] == "nist-clear", tg
rs = [e for e in ev if e["event"] == "run_start"][0]["targets"][0]
assert rs["method_arg"] == "auto" and rs["chosen"] == "nist-clear" and rs["auto_reason"], rs
PY
		nt=$((nt + 1))
		ok "auto: nist-clear on a loop device, chosen and why recorded"
		continue
	fi
	"$DISPOSE" erase --yes --progress none --method "$m" --verify last \
		--run-dir "$T/run" "$dev" >"$T/out" 2>&1 ||
		{ cat "$T/out"; die "$m: erase failed"; }
	[ "$(count_marker "$dev")" = 0 ] || die "$m: marker left on $dev"
	check_last_pass "$dev" "$T/run" t1
	check_chain "$T/run"
	npasses=$(events "$T/run" pass_end | wc -l)
	[ "$npasses" = "$want" ] || die "$m: $npasses passes recorded, method has $want"
	check_coverage "$T/run" t1 "$want"
	grep -q "run record: $T/run" "$T/out" || die "$m: run dir not printed"
	n=$((n + 1))
	ok "$m: $want passes, last pass on the device"
done
[ "$n" -ge 2 ] || die "only $n methods found"
[ "$nt" -ge 5 ] || die "only $nt methods of other techniques found"
"$DISPOSE" erase --yes --progress none --method nosuch --run-dir "$T/r2" "$dev" 2>"$T/err"
[ $? = 2 ] || die "unknown method: expected exit 2"
grep -q "nosuch" "$T/err" || die "unknown method not named"
[ ! -e "$T/r2" ] || die "run dir made for an unknown method"
ok "unknown method: exit 2"
