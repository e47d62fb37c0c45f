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
# no TM_RING: the default ring, 16384 records (docs/CONFIG.md)
expect_eq "ring_records" "$(jqv "$WORK/s.json" '.processes[0].ring_records')" 16384

# More threads than slots: the extra ones share one slot with atomic
# updates; still exact, and said so in loss.noslot.
TM_MAX_THREADS=2 "$TMRUN" -q -s work_noop -o "$WORK/n.json" -- "$TARGETS/threads" 8 200000 >/dev/null
expect_eq "slotless: calls" "$(calls "$WORK/n.json" work_noop)" 1600000
noslot=$(jqv "$WORK/n.json" .loss.noslot)
[ "$noslot" -gt 0 ] || fail "loss.noslot is 0 with 8 threads and 2 slots"
echo "ok: loss.noslot = $noslot"

# Many processes each with many threads (every one claims a slot on its
# first call): totals exact.
"$TMRUN" -q -s work_noop -o "$WORK/m.json" -- sh -c \
	"for i in 1 2 3 4 5 6 7 8 9 10; do '$TARGETS/threads' 40 1000 >/dev/null; done"
expect_eq "400 threads in 10 processes: calls" "$(calls "$WORK/m.json" work_noop)" 400000
