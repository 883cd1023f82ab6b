#!/bin/bash
# t_erase_methods.sh - every method in profiles/methods leaves no marker on a
# loop device, and the device holds exactly the last pass's bytes (read back
# with O_DIRECT by dd, expected bytes made by python3 / openssl enc). A method
# of another technique (crypto-luks, sanitize, auto) is refused with exit 5
# until it is wired in: nothing written, no run record, never an overwrite.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
dev=$(mkloop 16) || die "mkloop"
n=0
nt=0
for f in "$SRCDIR"/profiles/methods/*.json; do
	m=$(basename "$f" .json)
	"$DISPOSE" methods "$m" >/dev/null || die "dispose methods $m"
	fill_marker "$dev" 16
	[ "$(count_marker "$dev")" -gt 0 ] || die "marker not written"
	rm -rf "$T/run"
	t=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("technique", "overwrite"))' "$f")
	if [ "$t" != overwrite ]; then
		sha_before=$(sha256sum <"$dev")
		for dry in "" --dry-run; do
			"$DISPOSE" erase --yes --progress none --method "$m" $dry \
				--run-dir "$T/run" "$dev" >"$T/out" 2>"$T/err"
			rc=$?
			[ "$rc" = 5 ] || die "$m $dry: exit $rc, want 5: $(cat "$T/err")"
			[ "$(cat "$T/err")" = "dispose: $m: technique $t is not available yet" ] ||
				die "$m $dry: message: $(cat "$T/err")"
			[ ! -e "$T/run" ] || die "$m $dry: run record made"
		done
		[ "$(sha256sum <"$dev")" = "$sha_before" ] || die "$m: the device was written"
		nt=$((nt + 1))
		ok "$m: technique $t refused (exit 5), device untouched"
		continue
	fi
	"$DISPOSE" erase --yes --progress none --method "$m" --verify last \
		--run-dir "$T/run" "$dev" >"$T/out" 2>&1 ||
		{ cat "$T/out"; die "$m: erase failed"; }
	[ "$(count_marker "$dev")" = 0 ] || die "$m: marker left on $dev"
	check_last_pass "$dev" "$T/run" t1
	check_chain "$T/run"
	npasses=$(events "$T/run" pass_end | wc -l)
	want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["passes"]))' "$f")
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
