#!/bin/bash
# t_policy_bad.sh - every policy in tests/data/policies-bad is refused by
# `dispose plan` with exit 2 and one line naming the file, the key path and
# what is wrong (NN-what.expect), before anything is scanned or written.
. "$(dirname "$0")/lib.sh"
dir=$SRCDIR/tests/data/policies-bad
ls "$dir"/*.json >/dev/null 2>&1 || die "no tests/data/policies-bad"
n=0
for f in "$dir"/*.json; do
	b=${f%.json}
	want=$(head -n1 "$b.expect")
	args=()
	if [ -f "$b.set" ]; then
		while IFS= read -r s; do args+=(--set "$s"); done <"$b.set"
	fi
	mkdir "$T/run.$n"
	"$DISPOSE" plan --policy "$f" "${args[@]}" --run-dir "$T/run.$n/rd" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 2 ] || die "$(basename "$f"): expected exit 2, got $rc: $(cat "$T/err")"
	grep -qF -- "$want" "$T/err" || die "$(basename "$f"): message \"$(cat "$T/err")\", want \"$want\""
	# one line naming the file (a --set without '=' is a usage error, before the policy is read)
	if [ -f "$b.set" ] && ! grep -q = "$b.set"; then
		grep -q "^Try 'dispose plan --help'" "$T/err" || die "$(basename "$f"): no usage hint"
	else
		grep -qF -- "dispose: $f: " "$T/err" ||
			die "$(basename "$f"): message does not name the file first: $(cat "$T/err")"
		[ "$(wc -l <"$T/err")" = 1 ] || die "$(basename "$f"): not one line: $(cat "$T/err")"
	fi
	[ -s "$T/out" ] && die "$(basename "$f"): printed a plan: $(head -3 "$T/out")"
	# nothing written: no plan.json
	[ -e "$T/run.$n/rd/plan.json" ] && die "$(basename "$f"): wrote a plan"
	n=$((n + 1))
done
[ $n -ge 50 ] || die "only $n bad policies"
ok "$n bad policies: exit 2, one line naming file, key path and fault"
