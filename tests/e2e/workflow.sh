#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Workflows: tests/targets/nest units runs 1 000 units (nest_handle), 50 of
# which fail at a known step (nest_lookup); the rules file makes
# nest_handle a root. Unit count, failure share and per-step usage exact,
# for "fail_if": "any_step" (the step's failure fails the unit) and
# "root" (only the root's own failure does); the root given in the
# function's own rule ("root": true) instead of workflows[].
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/nest"
DATA="$(dirname "$0")/data"
N=1000
step() { jq -r --arg f "$2" ".workflows[0].steps[] | select(.function == \$f) | .$3" "$1"; }

"$TMRUN" -q -c "$DATA/nest_units.json" -o "$WORK/any.json" -- "$bin" units $N >/dev/null
w="$WORK/any.json"
expect_eq "root" "$(jqv "$w" '.workflows[0].root')" nest_handle
expect_eq "units" "$(jqv "$w" '.workflows[0].units')" $N
expect_eq "failed units (any step)" "$(jqv "$w" '.workflows[0].failed_units')" 50
expect_eq "failed share" "$(jqv "$w" '.workflows[0].failed_share')" 0.05
expect_eq "inexact units" "$(jqv "$w" '.workflows[0].inexact_units')" 0
expect_eq "timed units" "$(jqv "$w" '.workflows[0].timed_units')" $N
expect_eq "steps" "$(jqv "$w" '.workflows[0].steps | length')" 3
expect_eq "parse: calls, units, failed" "$(step "$w" nest_parse calls) $(step "$w" nest_parse units) $(step "$w" nest_parse failed)" "$N $N 0"
expect_eq "lookup: calls, units, failed" "$(step "$w" nest_lookup calls) $(step "$w" nest_lookup units) $(step "$w" nest_lookup failed)" "$N $N 50"
# render: once per unit that found its item, twice for even ones (all found)
expect_eq "render: calls, units, failed" "$(step "$w" nest_render calls) $(step "$w" nest_render units) $(step "$w" nest_render failed)" "1450 950 0"
expect_le() { awk -v a="$2" -v b="$3" 'BEGIN { exit !(a <= b) }' || fail "$1: $2 > $3"; }
expect_le "p50 <= p99" "$(jqv "$w" '.workflows[0].p50_ns')" "$(jqv "$w" '.workflows[0].p99_ns')"
expect_le "p99 <= max" "$(jqv "$w" '.workflows[0].p99_ns')" "$(jqv "$w" '.workflows[0].max_ns')"

# fail_if root: the root returns 0 after a failed lookup (units), or -1 (units-root)
"$TMRUN" -q -c "$DATA/nest_units_root.json" -o "$WORK/r0.json" -- "$bin" units $N >/dev/null
expect_eq "fail_if root, root ok: failed units" "$(jqv "$WORK/r0.json" '.workflows[0].failed_units')" 0
"$TMRUN" -q -c "$DATA/nest_units_root.json" -o "$WORK/r1.json" -- "$bin" units-root $N >/dev/null
expect_eq "fail_if root, root fails: failed units" "$(jqv "$WORK/r1.json" '.workflows[0].failed_units')" 50
expect_eq "fail_if root: units" "$(jqv "$WORK/r1.json" '.workflows[0].units')" $N
expect_eq "fail_if root: lookup failed" "$(step "$WORK/r1.json" nest_lookup failed)" 50

# the same root written in the function's own rule ("root": true): the
# shim takes the fields and leaves them; a bad value and a glob are one
# line each and no workflow
"$TMRUN" -q -c "$DATA/nest_units_sym.json" -o "$WORK/sym.json" -- "$bin" units $N >/dev/null \
	2>"$WORK/sym.err"
expect_eq "root in the rule: workflows" "$(jqv "$WORK/sym.json" '[.workflows[].root] | join(",")')" nest_handle
expect_eq "root in the rule: units, failed" "$(jqv "$WORK/sym.json" '.workflows[0] | "\(.units) \(.failed_units)"')" "$N 50"
expect_eq "root in the rule: lookup failed" "$(step "$WORK/sym.json" nest_lookup failed)" 50
expect_eq "root in the rule: lines" "$(wc -l <"$WORK/sym.err")" 2
grep -q 'symbols "nest_render": expected "root": true' "$WORK/sym.err" || fail "no line for root: \"yes\": $(cat "$WORK/sym.err")"
grep -q 'symbols "nest_\*": a root is one function' "$WORK/sym.err" || fail "no line for a glob root: $(cat "$WORK/sym.err")"
expect_no_segments
