#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGINT stops tmcollect with a final drain, a written summary and exit 0,
# leaving a still-running process's segment in place; a second collector
# takes over and counts only what came after, never anything twice. The
# target makes calls when asked: while the first collector runs, in the
# gap between the two (more than the ring holds: folded into the
# accumulators) and after the second started. Each collector's totals and
# windows hold exactly its own calls, and together the target's count.
. "$(dirname "$0")/lib.sh"
N1=50000 N2=100000 N3=3000
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
# a small ring: a burst of calls overflows it between two drains
LD_PRELOAD="$SHIM" TM_SESSION=ho TM_SYMBOLS=work_noop TM_RING=256 "$TARGETS/ondemand" <&3 >"$WORK/out" &
victim=$!
for _ in $(seq 1 500); do grep -q ready "$WORK/out" && break; sleep 0.01; done
grep -q ready "$WORK/out" || fail "target never got ready"
# ask N: the target makes N calls; waits until it says it did
done_lines=0
ask() {
	echo "$1" >&3
	done_lines=$((done_lines + 1))
	for _ in $(seq 1 1000); do
		[ "$(grep -c '^did ' "$WORK/out")" -ge $done_lines ] && return 0
		sleep 0.01
	done
	fail "the target did not make its $1 calls"
}
# holds SEG: true once some collector holds the segment's lock
holds() { ! flock -n "$1" true; }

"$TMCOLLECT" --session ho --interval 0.25 --summary "$WORK/a.json" &
first=$!
seg=$(find "$TM_DIR" -name 'ho.*.tm')
for _ in $(seq 1 500); do holds "$seg" && break; sleep 0.01; done
holds "$seg" || fail "the first collector never attached"
ask $N1 # more than the ring holds too: the first collector folds some
kill -INT $first
wait $first && rc=0 || rc=$?
expect_eq "tmcollect exit status on SIGINT" $rc 0
expect_eq "first: status" "$(jqv "$WORK/a.json" '.processes[0].status')" running
[ -e "$seg" ] || fail "segment of a running process was removed"

# the gap: nobody drains, the ring fills and the rest is folded
ask $N2
"$TMCOLLECT" --session ho --interval 0.25 --until-idle --summary "$WORK/b.json" &
second=$!
for _ in $(seq 1 500); do holds "$seg" && break; sleep 0.01; done
holds "$seg" || fail "the second collector never attached"
ask $N3
echo q >&3
wait $victim || fail "target exit status"
wait $second || fail "second tmcollect exit status"
total=$(sed -n 's/^did [0-9]* total \([0-9]*\)$/\1/p' "$WORK/out" | tail -n 1)
expect_eq "target: calls" "$total" $((N1 + N2 + N3))

# sym SUMMARY JQ: jq over work_noop's entry
sym() { jq -r "[.symbols[] | select(.name == \"work_noop\") | $2] | add // 0" "$1"; }
expect_eq "first: calls" "$(sym "$WORK/a.json" .calls)" $N1
expect_eq "second: calls (nothing twice)" "$(sym "$WORK/b.json" .calls)" $((N2 + N3))
expect_eq "both: the target's count" $(($(sym "$WORK/a.json" .calls) + $(sym "$WORK/b.json" .calls))) "$total"
[ "$(sym "$WORK/a.json" .overflowed)" -gt 0 ] || fail "the first collector folded nothing"
[ "$(sym "$WORK/b.json" .overflowed)" -gt 0 ] || fail "the gap's calls were not folded: $(sym "$WORK/b.json" .overflowed) overflowed"
echo "ok: folded through the accumulators: first $(sym "$WORK/a.json" .overflowed), second $(sym "$WORK/b.json" .overflowed) calls"
expect_eq "second: totals.calls" "$(jqv "$WORK/b.json" .totals.calls)" $((N2 + N3))
expect_eq "second: the process's calls" "$(jqv "$WORK/b.json" '.processes[0].calls')" $((N2 + N3))
expect_eq "second: status" "$(jqv "$WORK/b.json" '.processes[0].status')" exited
# the windows too: each collector's time axis holds its own calls only
for w in 1m 15m; do
	expect_eq "first: calls in its $w window" "$(sym "$WORK/a.json" ".windows[\"$w\"].calls")" $N1
	expect_eq "second: calls in its $w window" "$(sym "$WORK/b.json" ".windows[\"$w\"].calls")" $((N2 + N3))
done
expect_eq "first: calls in its seconds" "$(sym "$WORK/a.json" '.seconds.calls | add')" $N1
expect_eq "second: calls in its seconds" "$(sym "$WORK/b.json" '.seconds.calls | add')" $((N2 + N3))
expect_no_segments
