#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Overload: tiny rings and no collector at all while the program runs. The
# collector started afterwards still gets exact totals from the overflow
# accumulators, and says how many calls overflowed.
. "$(dirname "$0")/lib.sh"
T=4 N=250000
LD_PRELOAD="$SHIM" TM_SESSION=ovl TM_RING=64 TM_SYMBOLS=work_noop,fail_if TM_CONFIG="$DATA/shapes.json" \
	"$TARGETS/threads" $T $N >"$WORK/out"
grep -q "threads=$T" "$WORK/out" || fail "target: $(cat "$WORK/out")"
[ "$(find "$TM_DIR" -name 'ovl.*.tm' | wc -l)" = 1 ] || fail "expected one segment left for the late collector"
"$TMCOLLECT" --session ovl --until-idle --summary "$WORK/s.json"
expect_eq "calls" "$(calls "$WORK/s.json" noop)" $((T * N))
expect_eq "fail_if failed" "$(field "$WORK/s.json" fail_if failed)" $((T * N / 10))
ovf=$(jqv "$WORK/s.json" '.loss.overflowed')
[ "$ovf" -ge $((T * N)) ] || fail "loss.overflowed $ovf: expected nearly every call to overflow a 64-record ring"
echo "ok: loss.overflowed = $ovf"
expect_eq "status" "$(jqv "$WORK/s.json" '.processes[0].status')" exited
expect_eq "ring_records (TM_RING)" "$(jqv "$WORK/s.json" '.processes[0].ring_records')" 64
expect_no_segments

# Small rings while a collector drains them: the threads fill a 256-record
# ring between two drains, fold calls (tramp.S's fold), find room again
# when the collector publishes its tail part by part (every 32 records
# here) and record again. Every call is counted once: a record or a fold.
"$TMRUN" -q -c "$DATA/shapes.json" -s work_noop,fail_if -o "$WORK/live.json" --jsonl "$WORK/live.jsonl" -- \
	env TM_RING=256 "$TARGETS/threads" $T $N >"$WORK/out2"
grep -q "threads=$T" "$WORK/out2" || fail "target under tmrun: $(cat "$WORK/out2")"
expect_eq "calls, draining" "$(calls "$WORK/live.json" noop)" $((T * N))
expect_eq "fail_if failed, draining" "$(field "$WORK/live.json" fail_if failed)" $((T * N / 10))
for f in noop fail_if; do
	expect_eq "$f: records + overflowed = calls" \
		"$(jq --arg n $f '[.symbols[] | select(.name == $n) | .records + .overflowed - .calls] | add' "$WORK/live.json")" 0
done
echo "ok: draining: $(jqv "$WORK/live.json" '[.symbols[] | select(.name == "noop") | .records] | add') records, $(jqv "$WORK/live.json" '.loss.overflowed') folded"
# the stream's loss lines: each interval's new folds, adding up to the
# summary's, the last one's total equal to it
ovf=$(jqv "$WORK/live.json" '.loss.overflowed')
if [ "$ovf" -gt 0 ]; then
	expect_eq "stream: overflow deltas add up" \
		"$(jq -s '[.[] | select(.type == "loss" and .reason == "overflowed") | .delta] | add' "$WORK/live.jsonl")" "$ovf"
	expect_eq "stream: last overflow total" \
		"$(jq -s '[.[] | select(.type == "loss" and .reason == "overflowed") | .total] | last' "$WORK/live.jsonl")" "$ovf"
fi
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:stream:1 "$WORK/live.jsonl" --lines >/dev/null || fail "stream schema"
