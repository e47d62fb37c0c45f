#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: how many of a thread's calls overflow its ring while a
# collector runs (issue 14: <= 2% with the default ring). One thread calls
# an empty function (work_noop) flat out, every call timed, under tmrun
# (the collector is a thread of tmrun, on whichever CPU the scheduler
# gives it); the summary says how each call arrived: a record, or folded
# into the accumulators because the ring was full. Prints the share that
# folded, per run and the median of RUNS runs, with the ring each used.
# usage: overflow.sh BUILD [RUNS] [RING]   (RING: TM_RING, default the shim's)
set -euo pipefail
B=$1 RUNS=${2:-5} RING=${3:-}
. "$(dirname "$0")/lib.sh"
N=10000000
pcts=()
for r in $(seq "$RUNS"); do
	env ${RING:+TM_RING=$RING} TM_DIR="$W/shm" TM_SESSION=ovf "$B/tools/tmrun" -q -s work_noop \
		-o "$W/s$r.json" -- "$B/tests/bench_overhead" $N overflow 0 >/dev/null
	p=$(jq -r '[.symbols[] | select(.name == "work_noop")] | add
		| if .calls > 0 then 100 * .overflowed / .calls else -1 end' "$W/s$r.json")
	echo "RAW run=$r overflowed_pct=$p calls=$(jq '[.symbols[] | select(.name == "work_noop") | .calls] | add' "$W/s$r.json")"
	pcts+=("$p")
done
med=$(printf '%s\n' "${pcts[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
ring=${RING:-default}
printf 'BENCH name=overflow.work_noop value=%.2f unit=%% baseline=- ratio=- target=<=2 ok=%d what=calls_folded_on_a_full_ring_with_a_collector_ring_%s_median_of_%d\n' \
	"$med" "$(awk -v m="$med" 'BEGIN { print (m <= 2) }')" "$ring" "$RUNS"
