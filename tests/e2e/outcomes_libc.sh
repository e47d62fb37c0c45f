#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The built-in libc outcomes: read, accept4, recv and write on non-blocking
# descriptors that return EAGAIN are would_block — in calls, not in failed,
# errors or the error rate — while a read of a closed descriptor (EBADF)
# stays a failure. The target makes each kind of call a known number of
# times, checks every result itself and prints its own counts: the oracle.
. "$(dirname "$0")/lib.sh"
N=7 M=5 A=4 R=6 W=3 B=2
"$TMRUN" -s 'read,accept4,recv,write' -o "$WORK/s.json" -- \
	"$TARGETS/nonblock" $N $M $A $R $W $B >"$WORK/out" 2>"$WORK/err"
sed -n '/^function /,$p' "$WORK/err" >"$WORK/table"
s=$WORK/s.json
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$s" >/dev/null || fail "schema"

# the target's own counts (the write that finds the pipe full ends the fill)
own() { awk -v k="$1" '$1 == k {print $2}' "$WORK/out"; }
expect_eq "target: read would_block" "$(own read_would_block)" $N
expect_eq "target: read ok" "$(own read_ok)" $M
expect_eq "target: read EBADF" "$(own read_failed)" $B
expect_eq "target: accept4 would_block" "$(own accept4_would_block)" $A
expect_eq "target: recv would_block" "$(own recv_would_block)" $R
expect_eq "target: write would_block" "$(own write_would_block)" $((W + 1))
wok=$(own write_ok)
[ "$wok" -gt "$M" ] || fail "target: the pipe took no write before it was full"

# fn OK FAILED WOULD_BLOCK ERROR_RATE
check() {
	local fn=$1 ok=$2 failed=$3 wb=$4 rate=$5
	expect_eq "$fn calls" "$(calls "$s" "$fn")" $((ok + failed + wb))
	expect_eq "$fn would_block = the target's EAGAINs" \
		"$(field "$s" "$fn" 'outcomes.would_block.calls // 0')" "$wb"
	expect_eq "$fn would_block codes" "$(field "$s" "$fn" 'outcomes.would_block.codes.EAGAIN // 0')" "$wb"
	expect_eq "$fn outcome_calls" "$(field "$s" "$fn" 'outcome_calls // 0')" "$wb"
	expect_eq "$fn ok" "$(field "$s" "$fn" ok)" "$ok"
	expect_eq "$fn failed" "$(field "$s" "$fn" failed)" "$failed"
	expect_eq "$fn errors name no EAGAIN" "$(field "$s" "$fn" 'errors.EAGAIN // 0')" 0
	expect_eq "$fn error_rate" "$(field "$s" "$fn" error_rate)" "$rate"
	expect_eq "$fn process failed" "$(jq --arg n "$fn" '.processes[0].symbols[$n].failed' "$s")" \
		"$failed"
	# the table: the failed column, then the outcome under the row
	expect_eq "table: $fn failed" "$(awk -v n="$fn" '$1 == n || $1 == n "*" {print $4}' "$WORK/table")" \
		"$failed"
	grep -A1 -E "^$fn\\*? " "$WORK/table" | tail -1 |
		grep -q "^    would_block $wb (EAGAIN, not failures)" ||
		fail "table: under $fn: $(grep -A1 -E "^$fn\\*? " "$WORK/table")"
}
check read $M $B $N "$(jq -n "$B / ($M + $B)")"
check accept4 0 0 $A null
check recv 0 0 $R null
check write "$wok" 0 $((W + 1)) 0
expect_eq "read errors.EBADF" "$(field "$s" read 'errors.EBADF')" $B
grep -q '^read .*  EBADF '$B'$' "$WORK/table" || fail "table: read's errors: $(cat "$WORK/table")"
expect_eq "totals.failed: the EBADF reads only" "$(jqv "$s" .totals.failed)" $B
expect_eq "totals.outcome_calls" "$(jqv "$s" .totals.outcome_calls)" $((N + A + R + W + 1))
grep -q '^note: outcomes' "$WORK/table" || fail "table: no outcomes note"
expect_no_segments
