#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: tm's added cost per call against uftrace's, same program, same
# run of this script. bench_overhead runs under tmrun and under
# `uftrace record --force -F work_noop -F work_100ns` (its PLT hooks, the
# way uftrace traces library calls without recompiling); each run measures
# its own native baseline (dlsym'd twins no tool touches); three
# alternating runs of each, medians. Target: tm's added cost <= 0.25 x
# uftrace's. usage: vs_uftrace.sh BUILD
set -euo pipefail
B=$1
. "$(dirname "$0")/lib.sh"
bench_need uftrace overhead-vs-uftrace
N=1000000 # uftrace writes ~30 bytes per call; 10 rounds of N stay well under 1 GB per run
# three alternating runs of each tool; the median of each one's added cost
for k in 1 2 3; do
	TM_DIR="$W/shm" "$B/tools/tmrun" -q -s work_noop,work_100ns -- "$B/tests/bench_overhead" $N tm >>"$W/tm"
	rm -rf "$W/uftrace.data"
	uftrace record --force -F work_noop -F work_100ns -d "$W/uftrace.data" \
		"$B/tests/bench_overhead" $N uftrace >>"$W/uf" 2>/dev/null
done
raw() { awk -v fn="$2" '$1 == "RAW" && $3 == "fn=" fn {
	split($4, a, "="); split($5, b, "="); print b[2] - a[2] }' "$1" | sort -g | sed -n 2p; }
for fn in work_noop work_100ns; do
	t=$(raw "$W/tm" $fn)
	u=$(raw "$W/uf" $fn)
	awk -v t="$t" -v u="$u" -v fn=$fn 'BEGIN {
		printf "RAW fn=%s tm_added_ns=%.2f uftrace_added_ns=%.2f\n", fn, t, u
		printf "BENCH name=vs_uftrace.%s value=%.2f unit=ns baseline=%.2f ratio=%.3f target=ratio<=0.25 ok=%d what=tm_added_vs_uftrace_added\n",
			fn, t, u, t / u, t <= 0.25 * u
	}'
done
