#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 8 threads x 1M calls with the collector draining: totals exact, failures
# exact, whatever share of the calls overflowed the rings.
. "$(dirname "$0")/lib.sh"
T=8 N=1000000
"$TMRUN" -q -s work_noop,fail_if -c "$DATA/shapes.json" -o "$WORK/s.json" -- "$TARGETS/threads" $T $N >"$WORK/out"
grep -q "threads=$T per=$N" "$WORK/out" || fail "target output: $(cat "$WORK/out")"
expect_eq "work_noop calls" "$(calls "$WORK/s.json" noop)" $((T * N))
expect_eq "fail_if calls" "$(calls "$WORK/s.json" fail_if)" $((T * N / 10))
expect_eq "fail_if EIO" "$(field "$WORK/s.json" fail_if 'errors.EIO')" $((T * N / 10))
rec=$(field "$WORK/s.json" noop records)
ovf=$(field "$WORK/s.json" noop overflowed)
expect_eq "records + overflowed" $((rec + ovf)) $((T * N))
expect_eq "loss.overflowed matches" "$(jqv "$WORK/s.json" '.loss.overflowed')" "$(jqv "$WORK/s.json" '.totals.overflowed')"
expect_no_segments
