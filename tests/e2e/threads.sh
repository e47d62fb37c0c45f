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
# no TM_RING: one core's L2 of records, 16384 to 65536 (docs/CONFIG.md)
l2=$(getconf LEVEL2_CACHE_SIZE 2>/dev/null || true)
top=16384
while [ $top -lt 65536 ] && [ $((top * 2 * 32)) -le "${l2:-0}" ]; do top=$((top * 2)); done
ring=$(jqv "$WORK/s.json" '.processes[0].ring_records')
case $ring in 16384 | 32768 | 65536) ;; *) fail "ring_records: $ring" ;; esac
[ "$ring" -le $top ] || fail "ring_records $ring: more than L2 ($l2 bytes) holds"
echo "ok: ring_records = $ring (L2 ${l2:-unknown} bytes)"

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
