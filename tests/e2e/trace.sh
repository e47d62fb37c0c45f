#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun --trace / tmcollect --trace on tests/targets/nest (nesting,
# recursion, an exception, a longjmp) and on threads: the file is valid
# Chrome Trace Event JSON, every event within the run, nested as the calls
# were, bounded by --trace-max (a uniform sample past it, and the file says
# so), with counters that add up to every call.
. "$(dirname "$0")/lib.sh"
CHECK="$(dirname "$0")/trace_check.py"
N=200

check() { # SUMMARY TRACE MAX [SPAN_US]
	python3 "$CHECK" "$2" "$3" \
		"${4:-$(jqv "$1" '.duration_ns / 1000')}" "$(jqv "$1" '.totals.calls')" ||
		fail "$2: $(head -c 300 "$2")"
}

"$TMRUN" -q -s 'nest_*' -o "$WORK/all.json" --trace "$WORK/all.trace" \
	-- "$TARGETS/nest" all $N >/dev/null
expect_eq "every call timed" "$(jqv "$WORK/all.json" .totals.calls)" $((19 * N))
check "$WORK/all.json" "$WORK/all.trace" 1000000
expect_eq "x events" "$(jq '[.traceEvents[] | select(.ph == "X")] | length' "$WORK/all.trace")" $((19 * N))
expect_eq "exceptions marked" \
	"$(jq '[.traceEvents[] | select(.ph == "X" and .cat == "exception")] | length' "$WORK/all.trace")" $N
expect_eq "unwound marked" \
	"$(jq '[.traceEvents[] | select(.ph == "X" and .cat == "unwound")] | length' "$WORK/all.trace")" $N

# the cap: a sample of 300 of the 3800 calls, still nested
"$TMRUN" -q -s 'nest_*' -o "$WORK/cap.json" --trace "$WORK/cap.trace" --trace-max 300 \
	-- "$TARGETS/nest" all $N >/dev/null
check "$WORK/cap.json" "$WORK/cap.trace" 300
expect_eq "capped" "$(jq '[.traceEvents[] | select(.ph == "X")] | length' "$WORK/cap.trace")" 300
expect_eq "says sampled" "$(jqv "$WORK/cap.trace" .otherData.sampled)" true

# threads, through a collector started afterwards
T=4 M=2000
TM_SESSION=trace TM_SYMBOLS=work_noop,fail_if LD_PRELOAD="$SHIM" "$TARGETS/threads" $T $M >/dev/null
"$TMCOLLECT" --session trace --until-idle --summary "$WORK/thr.json" --trace "$WORK/thr.trace"
# (the calls came before this collector started: its duration is no bound)
check "$WORK/thr.json" "$WORK/thr.trace" 1000000 3600e6
expect_eq "one named thread per thread" \
	"$(jq '[.traceEvents[] | select(.ph == "M" and .name == "thread_name")] | length' "$WORK/thr.trace")" \
	"$(jq '[.traceEvents[] | select(.ph == "X") | .tid] | unique | length' "$WORK/thr.trace")"
expect_no_segments
