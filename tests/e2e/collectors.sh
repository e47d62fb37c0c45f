#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two collectors on one session never double-count: each segment is locked
# by one of them, and together they see every call exactly once.
. "$(dirname "$0")/lib.sh"
"$TMCOLLECT" --session two --until-idle --summary "$WORK/a.json" &
a=$!
"$TMCOLLECT" --session two --until-idle --summary "$WORK/b.json" &
b=$!
for i in 1 2 3 4 5 6; do
	LD_PRELOAD="$SHIM" TM_SESSION=two TM_SYMBOLS=work_noop "$TARGETS/forker" 1000 2 500 >/dev/null
done
wait $a
wait $b
total=$(($(calls "$WORK/a.json" work_noop) + $(calls "$WORK/b.json" work_noop)))
expect_eq "calls seen by both together" $total $((6 * (2000 + 2 * 500)))
procs=$(($(jqv "$WORK/a.json" .totals.processes) + $(jqv "$WORK/b.json" .totals.processes)))
expect_eq "processes" $procs 18
expect_no_segments
