#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A parent that forks children which keep calling: every process gets its
# own segment, per-process and total counts exact, children seen as exited
# (they leave with _exit).
. "$(dirname "$0")/lib.sh"
N=3000 C=4 M=2500
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- "$TARGETS/forker" $N $C $M >"$WORK/out"
grep -q "failed=0" "$WORK/out" || fail "target: $(cat "$WORK/out")"
expect_eq "total calls" "$(calls "$WORK/s.json" work_noop)" $((2 * N + C * M))
expect_eq "processes" "$(jqv "$WORK/s.json" '.totals.processes')" $((C + 1))
parent=$(jqv "$WORK/s.json" '[.processes[] | select(.calls == '$((2 * N))')] | length')
expect_eq "parent with 2N calls" "$parent" 1
kids=$(jqv "$WORK/s.json" '[.processes[] | select(.calls == '$M' and .status == "exited" and .exit_code == 0)] | length')
expect_eq "children with M calls, exited 0" "$kids" $C
ppid=$(jqv "$WORK/s.json" '.processes[] | select(.calls == '$((2 * N))') | .pid')
expect_eq "children's ppid" "$(jqv "$WORK/s.json" '[.processes[] | select(.ppid == '$ppid')] | length')" $C
expect_no_segments
