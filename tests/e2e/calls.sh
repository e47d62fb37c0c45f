#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Call structure on tests/targets/nest (known nesting): edges and their
# counts exact; self time exact per call (each function's self time is its
# total minus the edges under it, to the rounding of the ns figures); the
# folded stacks by calls exact; tmrun --folded, tmcollect --folded and
# tmreport folded agree; recursion, a C++ exception and a longjmp across
# monitored frames keep all of it.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/nest"
TMREPORT="$TM_BUILD/tools/tmreport"
N=200

# edge CALLER CALLEE FIELD (CALLER "" = no monitored caller)
edge() {
	jq -r --arg a "$2" --arg b "$3" \
		"[.edges[] | select((.caller // \"\") == \$a and .callee == \$b) | .$4] | add // 0" "$1"
}
# |self(f) - (total(f) - sum of the edges under f)| in ns
self_gap() {
	jq -r --arg f "$2" '
		([.symbols[] | select(.name == $f)][0]) as $s |
		([.edges[] | select(.caller == $f) | .total_ns] | add // 0) as $inner |
		($s.self_ns - ($s.total_ns - $inner)) | fabs' "$1"
}
expect_le() { awk -v a="$2" -v b="$3" 'BEGIN { exit !(a <= b) }' || fail "$1: $2 > $3"; }

run() { # MODE OUT [FOLDED-BY-CALLS]
	"$bin" "$1" $N >"$WORK/native"
	"$TMRUN" -q -s 'nest_*' -o "$2" --folded "$2.folded" --folded-weight calls \
		-- "$bin" "$1" $N >"$WORK/shim"
	cmp "$WORK/native" "$WORK/shim" || fail "$1: output differs"
	expect_eq "$1: no inexact self time" \
		"$(jqv "$2" '[.symbols[].self_inexact_calls] | add')" 0
	expect_eq "$1: nothing unplaced" \
		"$(jqv "$2" '.call_structure | .mismatched_records + .unplaced_records + .restarts + .stacks_dropped_calls + .edges_dropped_calls')" 0
	for f in $(jqv "$2" '.symbols[].name'); do
		# one rounding per figure (self, total and each edge)
		expect_le "$1: self time of $f exact" "$(self_gap "$2" "$f")" 8
		expect_eq "$1: $f self time for every call" "$(field "$2" "$f" self_calls)" \
			"$(field "$2" "$f" calls)"
		expect_le "$1: $f self <= total" "$(field "$2" "$f" self_ns)" "$(field "$2" "$f" total_ns)"
	done
	# the roots' time is everyone's self time
	expect_le "$1: self times add up to the roots' time" "$(jq -r '
		([.symbols[].self_ns] | add) - ([.edges[] | select(.caller == null) | .total_ns] | add)
		| fabs' "$2")" 16
}

# a() calls b() twice and c() once, b() calls c()
run a "$WORK/a.json"
expect_eq "a: edges" "$(jqv "$WORK/a.json" '.edges | length')" 4
expect_eq "-> a" "$(edge "$WORK/a.json" "" nest_a calls)" $N
expect_eq "a -> b" "$(edge "$WORK/a.json" nest_a nest_b calls)" $((2 * N))
expect_eq "a -> c" "$(edge "$WORK/a.json" nest_a nest_c calls)" $N
expect_eq "b -> c" "$(edge "$WORK/a.json" nest_b nest_c calls)" $((2 * N))
expect_eq "a -> b time = b's total" "$(edge "$WORK/a.json" nest_a nest_b total_ns)" \
	"$(field "$WORK/a.json" nest_b total_ns)"
printf 'nest_a %d\nnest_a;nest_b %d\nnest_a;nest_b;nest_c %d\nnest_a;nest_c %d\n' \
	$N $((2 * N)) $((2 * N)) $N >"$WORK/a.want"
sort "$WORK/a.json.folded" | cmp - "$WORK/a.want" || fail "a: folded by calls: $(cat "$WORK/a.json.folded")"
"$TMREPORT" folded --folded-weight calls "$WORK/a.json" | cmp - "$WORK/a.want" ||
	fail "a: tmreport folded by calls differs"
# by self time: the lines' weights are the functions' self times
"$TMREPORT" folded "$WORK/a.json" >"$WORK/a.self"
expect_le "a: folded self time adds up" "$(awk '{ s += $NF } END { print s }' "$WORK/a.self" |
	awk -v t="$(jqv "$WORK/a.json" '[.symbols[].self_ns] | add')" '{ d = $1 - t; print d < 0 ? -d : d }')" 8
expect_eq "a: stack a;b;c by self = c's self under a;b" \
	"$(awk '$1 == "nest_a;nest_b;nest_c" { print $2 }' "$WORK/a.self")" \
	"$(jqv "$WORK/a.json" '.stacks[] | select(.stack == ["nest_a","nest_b","nest_c"]) | .self_ns')"

python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$WORK/a.json" || fail "summary schema"

# recursion a -> a -> a -> a
run r "$WORK/r.json"
expect_eq "-> r" "$(edge "$WORK/r.json" "" nest_r calls)" $N
expect_eq "r -> r" "$(edge "$WORK/r.json" nest_r nest_r calls)" $((3 * N))
printf 'nest_r %d\nnest_r;nest_r %d\nnest_r;nest_r;nest_r %d\nnest_r;nest_r;nest_r;nest_r %d\n' \
	$N $N $N $N >"$WORK/r.want"
sort "$WORK/r.json.folded" | cmp - "$WORK/r.want" || fail "r: folded: $(cat "$WORK/r.json.folded")"

# an exception thrown by x (under t) after x called c
run t "$WORK/t.json"
expect_eq "x exceptions" "$(field "$WORK/t.json" nest_x exceptions)" $N
expect_eq "t -> x" "$(edge "$WORK/t.json" nest_t nest_x calls)" $N
expect_eq "x -> c" "$(edge "$WORK/t.json" nest_x nest_c calls)" $N
printf 'nest_t %d\nnest_t;nest_b %d\nnest_t;nest_b;nest_c %d\nnest_t;nest_x %d\nnest_t;nest_x;nest_c %d\n' \
	$N $N $N $N $N >"$WORK/t.want"
sort "$WORK/t.json.folded" | cmp - "$WORK/t.want" || fail "t: folded: $(cat "$WORK/t.json.folded")"

# a longjmp out of k (under j) after k called c
run j "$WORK/j.json"
expect_eq "k unwound" "$(field "$WORK/j.json" nest_k unwound)" $N
expect_eq "j -> k" "$(edge "$WORK/j.json" nest_j nest_k calls)" $N
expect_eq "k -> c" "$(edge "$WORK/j.json" nest_k nest_c calls)" $N
expect_eq "j -> c" "$(edge "$WORK/j.json" nest_j nest_c calls)" $N
printf 'nest_j %d\nnest_j;nest_c %d\nnest_j;nest_k %d\nnest_j;nest_k;nest_c %d\n' \
	$N $N $N $N >"$WORK/j.want"
sort "$WORK/j.json.folded" | cmp - "$WORK/j.want" || fail "j: folded: $(cat "$WORK/j.json.folded")"

# the differential form: the union of both runs' stacks, two columns
"$TMREPORT" folded --folded-weight calls --diff "$WORK/a.json" "$WORK/r.json" >"$WORK/diff"
expect_eq "diff: a;b;c" "$(awk '$1 == "nest_a;nest_b;nest_c" { print $2, $3 }' "$WORK/diff")" "$((2 * N)) 0"
expect_eq "diff: r;r" "$(awk '$1 == "nest_r;nest_r" { print $2, $3 }' "$WORK/diff")" "0 $N"
expect_eq "diff: lines" "$(wc -l <"$WORK/diff")" 8

# /metrics (here its textfile): the edges as counters, promtool-clean
"$TMRUN" -q --calls -s 'nest_*' --textfile "$WORK/m.prom" -- "$bin" a $N >/dev/null
prom_edge() { awk -v k="caller=\"$1\",callee=\"$2\"}" 'index($1, "tm_call_edge_calls_total{") == 1 && index($1, k) { print $2 }' "$WORK/m.prom"; }
expect_eq "metrics: [none] -> a" "$(prom_edge '[none]' nest_a)" $N
expect_eq "metrics: a -> b" "$(prom_edge nest_a nest_b)" $((2 * N))
expect_eq "metrics: b -> c" "$(prom_edge nest_b nest_c)" $((2 * N))
expect_eq "metrics: self time families" "$(grep -c '^tm_call_self_seconds_total{' "$WORK/m.prom")" 3
if command -v promtool >/dev/null; then
	promtool check metrics <"$WORK/m.prom" || fail "promtool check metrics"
fi
# without --calls (or --folded, --trace, workflows) the structure is not kept:
# the summary says so and the families are absent
"$TMRUN" -q -s 'nest_*' -o "$WORK/off.json" --textfile "$WORK/off.prom" -- "$bin" a $N >/dev/null
expect_eq "off: call_structure" "$(jq -c .call_structure "$WORK/off.json")" '{"enabled":false}'
expect_eq "off: no edges, no self time" "$(jq '[has("edges"), (.symbols[0] | has("self_ns"))] | any' "$WORK/off.json")" false
expect_eq "off: no edge families" "$(grep -c '^tm_call_edge\|^tm_call_self' "$WORK/off.prom")" 0
expect_eq "off: counts still exact" "$(calls "$WORK/off.json" nest_b)" $((2 * N))

# tmcollect --folded: the same stacks from a collector started afterwards
TM_SESSION=calls TM_SYMBOLS='nest_*' LD_PRELOAD="$SHIM" "$bin" a $N >/dev/null
"$TMCOLLECT" --session calls --until-idle --folded "$WORK/c.folded" --folded-weight calls
sort "$WORK/c.folded" | cmp - "$WORK/a.want" || fail "tmcollect --folded: $(cat "$WORK/c.folded")"
expect_no_segments
echo "ok: edges, self time and stacks exact through recursion, an exception and a longjmp"
