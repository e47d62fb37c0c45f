#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# C++ exceptions thrown through one and several monitored frames, caught,
# rethrown and caught two levels up: the program behaves exactly as without
# the shim, those calls are recorded with status exception, and later calls
# are recorded normally. An exception escaping a thread terminates the
# program the same way with and without the shim.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/throws"
N=300
"$bin" $N >"$WORK/native"
"$TMRUN" -q -s may_throw,relay,level2 -o "$WORK/s.json" -- "$bin" $N >"$WORK/shim"
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
# the table says them too: a line under each row that had exceptions
"$TMRUN" -s may_throw,relay,level2 -- "$bin" $N >/dev/null 2>"$WORK/table"
for f in "may_throw $((3 * third))" "relay+ $third" "level2+ $third"; do
	row=${f% *}
	expect_eq "table: the line under $row" \
		"$(awk -v r="$row" '$1 == r {getline; print; exit}' "$WORK/table" | xargs)" "exceptions ${f##* }"
done

set +e
"$bin" thread >/dev/null 2>"$WORK/native.err"
native_rc=$?
"$TMRUN" -q -s may_throw -o "$WORK/t.json" -- "$bin" thread >/dev/null 2>"$WORK/shim.err"
shim_rc=$?
set -e
expect_eq "escaping a thread: exit code" $shim_rc $native_rc
cmp "$WORK/native.err" "$WORK/shim.err" || fail "stderr differs: $(cat "$WORK/shim.err")"
expect_eq "escaping a thread: process status" "$(jqv "$WORK/t.json" '.processes[0].status')" crashed
expect_no_segments
