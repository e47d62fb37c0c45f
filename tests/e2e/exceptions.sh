#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# C++ exceptions thrown through one and several monitored frames, caught,
# rethrown and caught two levels up: the program behaves exactly as without
# the shim, those calls are recorded with status exception, and later calls
# are recorded normally. An exception escaping a thread terminates the
# program the same way with and without the shim. tmrun's table, and
# tmreport's from the summary, say the same under each row: "exceptions
# N", and "unfinished N" for the call the terminated program had open.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/throws"
N=300
"$bin" $N >"$WORK/native"
"$TMRUN" -s may_throw,relay,level2 -o "$WORK/s.json" -- "$bin" $N >"$WORK/shim" 2>"$WORK/table"
cmp "$WORK/native" "$WORK/shim" || fail "output differs: $(cat "$WORK/shim") vs $(cat "$WORK/native")"
echo "ok: $(cat "$WORK/shim")"
third=$((N / 3))
expect_eq "may_throw calls" "$(calls "$WORK/s.json" may_throw)" $((4 * N))
expect_eq "may_throw exceptions" "$(field "$WORK/s.json" may_throw exceptions)" $((3 * third))
expect_eq "relay calls" "$(calls "$WORK/s.json" relay)" $N
expect_eq "relay exceptions (two frames deep)" "$(field "$WORK/s.json" relay exceptions)" $third
expect_eq "level2 exceptions (rethrown)" "$(field "$WORK/s.json" level2 exceptions)" $third
expect_eq "unwound" "$(jqv "$WORK/s.json" '[.symbols[].unwound] | add')" 0
expect_eq "unfinished" "$(jqv "$WORK/s.json" .totals.unfinished)" 0
# the line under a row of the table (a + marks rows that contain others)
under() { grep -A1 -E "^$1\\+? " "$2" | sed -n 2p; }
# tmreport prints the same table from the summary
"$TM_BUILD/tools/tmreport" "$WORK/s.json" >"$WORK/report"
for t in table report; do
	expect_eq "$t: under may_throw" "$(under may_throw "$WORK/$t")" "    exceptions $((3 * third))"
	expect_eq "$t: under relay" "$(under relay "$WORK/$t")" "    exceptions $third"
	expect_eq "$t: under level2" "$(under level2 "$WORK/$t")" "    exceptions $third"
done

set +e
"$bin" thread >/dev/null 2>"$WORK/native.err"
native_rc=$?
"$TMRUN" -s may_throw -o "$WORK/t.json" -- "$bin" thread >/dev/null 2>"$WORK/shim.err"
shim_rc=$?
set -e
expect_eq "escaping a thread: exit code" $shim_rc $native_rc
# tmrun's table comes after the program's own messages
sed -n '/^function /,$p' "$WORK/shim.err" >"$WORK/t.table"
sed -i '/^function /,$d' "$WORK/shim.err"
expect_eq "escaping a thread: unfinished" "$(field "$WORK/t.json" may_throw unfinished)" 1
"$TM_BUILD/tools/tmreport" "$WORK/t.json" >"$WORK/t.report"
for t in table report; do
	expect_eq "$t: under may_throw, escaping a thread" "$(under may_throw "$WORK/t.$t")" \
		"    unfinished 1"
done
cmp "$WORK/native.err" "$WORK/shim.err" || fail "stderr differs: $(cat "$WORK/shim.err")"
expect_eq "escaping a thread: process status" "$(jqv "$WORK/t.json" '.processes[0].status')" crashed
expect_no_segments
