#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: instructions the shim adds per call, counted by callgrind (wall
# time on a shared machine moves by tens of percent; instruction counts do
# not). One line per mode: every call timed; sampled without a rule (untimed
# calls counted in the trampoline); sampled with a rule (untimed calls
# hijacked and judged); count only; timed with bytes from an argument
# (captured at entry, a second record per call); and the floor of a timed
# call (floor.S) in the same profile, with the timed call's ratio to it;
# then a timed call with a success rule, a timed call through the C hooks
# (TM_HOTPATH=c, the reference of tramp.S's fast path), and a timed call
# that overflows the ring (no collector, a 64-record ring: every measured
# call folds into the accumulators).
# Otherwise the ring is made large enough that no
# call overflows it: the common path is what is counted.
# usage: icount.sh BUILD SOURCE_DIR
set -euo pipefail
B=$1 S=$2
. "$(dirname "$0")/lib.sh"
bench_need valgrind icount
N=100000
CG=(valgrind --tool=callgrind --toggle-collect=loop_hooked --toggle-collect=loop_native
	--toggle-collect=loop_floor)
run() { # label tmrun-args... (label overflowed: environment assignments, no collector)
	local label=$1
	shift
	if [ "$label" = overflowed ]; then
		env "$@" TM_DIR="$W/shm" TM_RING=64 LD_PRELOAD="$B/shim/libtmshim.so" \
			"${CG[@]}" --callgrind-out-file="$W/$label.cg" \
			"$B/tests/bench_icount" $N >/dev/null 2>"$W/$label.err" ||
			{ cat "$W/$label.err" >&2; exit 1; }
	else
		TM_DIR="$W/shm" TM_RING=1048576 "$B/tools/tmrun" -q "$@" -- \
			"${CG[@]}" --callgrind-out-file="$W/$label.cg" \
			"$B/tests/bench_icount" $N >/dev/null 2>"$W/$label.err" ||
			{ cat "$W/$label.err" >&2; exit 1; }
	fi
	callgrind_annotate --inclusive=yes "$W/$label.cg" 2>/dev/null >"$W/$label.txt" || true
	awk -v n=$N -v label="$label" '
		# the outermost entries only (callgrind names re-entries loop_hooked'\''2)
		{ fn = ""; for (i = 2; i <= NF; i++) if ($i ~ /:loop_(hooked|native|floor)$/) fn = $i }
		fn ~ /hooked$/ && !h { gsub(",", "", $1); h = $1 }
		fn ~ /native$/ && !nv { gsub(",", "", $1); nv = $1 }
		fn ~ /floor$/ && !fl { gsub(",", "", $1); fl = $1 }
		END {
			if (!h || !nv || !fl) { print "icount: no loop costs in the profile" > "/dev/stderr"; exit 1 }
			added = (h - nv) / n
			# the targets of issue 14: a timed call <= 120, an overflowed one <= 40 more
			# (of the timed target), the others no worse than before
			target = label == "timed" ? 120 : label == "timed_rule" ? 130 : label == "sampled" ? 18.3 : label == "sampled_judged" ? 126 : label == "count_only" ? 14.0 : label == "overflowed" ? 160 : 0
			printf "BENCH name=icount.%s value=%.1f unit=instructions baseline=%.1f ratio=%.3f target=%s ok=%d what=instructions_added_per_call_callgrind\n",
				label, added, nv / n, added / (nv / n), target ? "<=" target : "-", !target || added <= target
			if (label == "timed") {
				floor = (fl - nv) / n
				printf "BENCH name=icount.floor value=%.1f unit=instructions baseline=%.1f ratio=%.3f target=- ok=1 what=instructions_added_per_call_by_the_floor_callgrind\n",
					floor, nv / n, floor / (nv / n)
				printf "BENCH name=icount.timed_vs_floor value=%.2f unit=x baseline=%.1f ratio=%.3f target=- ok=1 what=timed_call_instructions_over_the_floor_s\n",
					added / floor, floor, added / floor
			}
		}' "$W/$label.txt"
}
run timed -s work_noop
run sampled -s work_noop/1000
run sampled_judged -c "$S/tests/bench/judged.json"
run count_only -s work_noop/count
# a rule with bytes from an argument: captured at entry, a bytes record
run timed_captured -c "$S/tests/bench/captured.json"
# a success rule (one interval), the C hooks, a full ring
run timed_rule -c "$S/tests/bench/rule.json"
TM_HOTPATH=c run timed_c -s work_noop
run overflowed TM_SYMBOLS=work_noop
