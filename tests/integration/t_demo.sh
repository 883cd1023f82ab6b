#!/bin/bash
# t_demo.sh - `make demo` (scripts/demo.sh) ends with the erase's verdict and
# the run record it kept: the directory named exists, holds an intact chain,
# and the verdict lines are the ones the erase printed (on its stderr).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
bin=${DISPOSE_REL:-$DISPOSE}
kept=""
trap 'rm -rf "$kept"; cleanup' EXIT
"$SRCDIR/scripts/demo.sh" "$bin" >"$T/out" 2>"$T/err" </dev/null ||
	die "demo: exit $?: $(tail -5 "$T/err")"
# what follows the last "== done" heading (the headings are bold: match the text)
awk '/== done/ { n = NR } { l[NR] = $0 } END { for (i = n + 1; i <= NR; i++) print l[i] }' \
	"$T/out" >"$T/end"
[ -s "$T/end" ] || die "demo: nothing after its done heading: $(tail -5 "$T/out")"
dir=$(sed -n 's/^run record: //p' "$T/end")
[ -n "$dir" ] || die "demo: the end names no run record: $(cat "$T/end")"
kept=$(dirname "$dir")
case $kept in /tmp/dispose-demo.*) ;; *) kept=""; die "demo: record outside its work directory: $dir" ;; esac
[ -s "$dir/events.jsonl" ] || die "demo: $dir/events.jsonl: not kept"
check_chain "$dir"
[ ! -e "$kept/disk.img" ] || die "demo: the 64 MiB image was left behind"
grep -v '^run record: \|^open it with: ' "$T/end" >"$T/verdict"
[ -s "$T/verdict" ] || die "demo: no verdict line at the end: $(cat "$T/end")"
# each is a line the erase printed (its verdicts go to stderr, "run record:" to stdout)
while IFS= read -r l; do
	grep -qxF -- "$l" "$T/err" || die "demo: '$l' is not what the erase printed"
done <"$T/verdict"
[ "$(grep -cxF "run record: $dir" "$T/out")" = 2 ] || die "demo: the erase's 'run record:' line differs"
grep -q '"status":"success"' "$dir/events.jsonl" || die "demo: the record holds no success"
ok "demo: ends with the erase's verdict and the kept run record $dir"
