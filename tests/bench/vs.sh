#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: tm's added cost per call against another tool's, same program,
# same run of this script. bench_overhead runs under tmrun and under the
# other tool, each run measuring its own native baseline (dlsym'd twins no
# tool touches); three alternating runs of each, medians.
#   uftrace: `uftrace record --force -F work_noop -F work_100ns` (its PLT
#            hooks, the way uftrace traces library calls without
#            recompiling). Target: tm's added cost <= 0.25 x uftrace's.
#   ltrace:  `ltrace -c -e work_noop+work_100ns` (ptrace; fewer calls: it
#            takes a quarter of a millisecond per call). No target.
#   bpftrace: uprobe + uretprobe on both functions keeping a latency
#            histogram, as `funclatency` does (root only). No target.
# usage: vs.sh BUILD uftrace|ltrace|bpftrace
set -euo pipefail
B=$1 tool=$2
. "$(dirname "$0")/lib.sh"
bench_need "$tool" "overhead-vs-$tool"
case $tool in
uftrace)
	N=1000000 # uftrace writes ~30 bytes per call; 10 rounds of N stay well under 1 GB per run
	target=0.25
	other() {
		rm -rf "$W/uftrace.data"
		uftrace record --force -F work_noop -F work_100ns -d "$W/uftrace.data" \
			"$B/tests/bench_overhead" $N "$tool" 0 2>/dev/null
	}
	;;
ltrace)
	N=2000
	target=
	other() { ltrace -c -o /dev/null -e work_noop+work_100ns "$B/tests/bench_overhead" $N "$tool" 0; }
	;;
bpftrace)
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP overhead-vs-bpftrace: needs root"
		exit 0
	fi
	N=20000
	target=
	L="$B/tests/targets/libshapes.so"
	other() {
		bpftrace -e "uprobe:$L:work_noop,uprobe:$L:work_100ns { @s[tid] = nsecs; }
			uretprobe:$L:work_noop,uretprobe:$L:work_100ns /@s[tid]/ {
				@ns[probe] = hist(nsecs - @s[tid]); delete(@s[tid]); }" \
			-c "$B/tests/bench_overhead $N $tool 0" 2>/dev/null | grep '^RAW'
	}
	;;
*) exit 2 ;;
esac
for k in 1 2 3; do
	TM_DIR="$W/shm" "$B/tools/tmrun" -q -s work_noop,work_100ns -- "$B/tests/bench_overhead" $N tm >>"$W/tm"
	other >>"$W/other"
done
raw() { awk -v fn="$2" '$1 == "RAW" && $3 == "fn=" fn {
	split($4, a, "="); split($5, b, "="); print b[2] - a[2] }' "$1" | sort -g | sed -n 2p; }
for fn in work_noop work_100ns; do
	awk -v t="$(raw "$W/tm" $fn)" -v u="$(raw "$W/other" $fn)" -v fn=$fn -v tool="$tool" -v target="$target" 'BEGIN {
		printf "RAW fn=%s tm_added_ns=%.2f %s_added_ns=%.2f\n", fn, t, tool, u
		printf "BENCH name=vs_%s.%s value=%.2f unit=ns baseline=%.2f ratio=%.4f target=%s ok=%d what=tm_added_vs_%s_added\n",
			tool, fn, t, u, t / u, target == "" ? "-" : "ratio<=" target, target == "" || t <= target * u, tool
	}'
done
