#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two collectors on one session never double-count: each segment is locked
# by one of them, and together they see every call exactly once.
. "$(dirname "$0")/lib.sh"
"$TMCOLLECT" --session two --until-idle --summary "$WORK/a.json" &
a=$!
"$TMCOLLECT" --session two --until-idle --summary "$WORK/b.json" &
b=$!
# one monitored shell spans all six runs, so neither collector can find the
# session idle in between (the shell's own image is reported, with 0 calls)
LD_PRELOAD="$SHIM" TM_SESSION=two TM_SYMBOLS=work_noop \
	sh -c 'for i in 1 2 3 4 5 6; do "$1" 1000 2 500 >/dev/null; done' sh "$TARGETS/forker"
# The first to find the session idle has seen every segment finished and
# removed; the other then has nothing left but may never have seen the
# session at all (it would wait for it): stop it, it drains and writes.
wait -n $a $b || true
kill -TERM $a $b 2>/dev/null || true
wait $a $b || true
[ -s "$WORK/a.json" ] && [ -s "$WORK/b.json" ] || fail "a collector wrote no summary"
total=$(($(calls "$WORK/a.json" work_noop) + $(calls "$WORK/b.json" work_noop)))
expect_eq "calls seen by both together" $total $((6 * (2000 + 2 * 500)))
procs=$(($(jqv "$WORK/a.json" .totals.processes) + $(jqv "$WORK/b.json" .totals.processes)))
expect_eq "processes (6 x 3 + the shell)" $procs 19
expect_no_segments
