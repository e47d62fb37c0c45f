#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: a timed call's cost against its floor (bench_overhead, the
# empty function, every call timed, default ring) as the consumer of the
# ring changes (issue 14), with the program pinned to CPU 0:
#   napping   tmrun's collector pinned to CPU 1: what users run
#   polled    a reader spinning on the rings from CPU 1 (spinreader.c,
#             benchmark only): the coherence traffic a consumer that never
#             sleeps causes (target: tm <= 1.5x the floor)
#   shared    tmrun's collector on CPU 0 too, as in a one-CPU container
#             (target: tm <= 1.3x the floor)
# Each case RUNS times, alternating; prints per run and the medians.
# usage: consumers.sh BUILD [RUNS]   (needs 2 CPUs and taskset)
set -euo pipefail
B=$1 RUNS=${2:-3}
. "$(dirname "$0")/lib.sh"
bench_need taskset consumers
[ "$(nproc)" -ge 2 ] || { echo "SKIP consumers: needs 2 CPUs"; exit 0; }
N=10000000
SYMS=work_noop,work_100ns
one() { # CASE RUN: RAW lines of bench_overhead in $W/CASE.RUN
	local c=$1 r=$2 out="$W/$1.$2"
	case $c in
	napping)
		TM_DIR="$W/shm" TM_SESSION=bc taskset -c 1 "$B/tools/tmrun" -q -s $SYMS -- \
			taskset -c 0 "$B/tests/bench_overhead" $N $c 0 >"$out" ;;
	shared)
		TM_DIR="$W/shm" TM_SESSION=bc taskset -c 0 "$B/tools/tmrun" -q -s $SYMS -- \
			"$B/tests/bench_overhead" $N $c 0 >"$out" ;;
	polled)
		rm -rf "$W/spin" && mkdir -m 700 "$W/spin"
		taskset -c 1 "$B/tests/spinreader" "$W/spin" 600 >"$out.spin" &
		local sp=$!
		taskset -c 0 env TM_DIR="$W/spin" TM_SESSION=bc TM_SYMBOLS=$SYMS \
			LD_PRELOAD="$B/shim/libtmshim.so" "$B/tests/bench_overhead" $N $c 0 >"$out"
		wait $sp
		cat "$out.spin" ;;
	esac
	awk '/^RAW .*fn=work_noop / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		tm = v["hooked_ns"] - v["native_ns"]; fl = v["floor_ns"] - v["native_ns"]
		printf "RAW case=%s tm_added_ns=%.2f floor_added_ns=%.2f vs_floor=%.3f\n", v["label"], tm, fl, tm / fl
	}' "$out" | tee -a "$W/all"
}
for r in $(seq "$RUNS"); do
	for c in napping polled shared; do one $c $r; done
done
for c in napping polled shared; do
	awk -v c=$c '
		function median(a, n,   i, j, x) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
			return a[int((n + 1) / 2)]
		}
		$2 == "case=" c { split($5, kv, "="); v[++n] = kv[2]; split($3, a, "="); t[n] = a[2] }
		END {
			m = median(v, n); target = c == "polled" ? 1.5 : c == "shared" ? 1.3 : 0
			printf "BENCH name=consumers.%s.vs_floor.work_noop value=%.3f unit=x baseline=%.2f ratio=- target=%s ok=%d what=tm_added_over_the_floor_median_of_%d_program_on_cpu0\n",
				c, m, median(t, n), target ? "<=" target : "-", !target || m <= target, n
		}' "$W/all"
done
