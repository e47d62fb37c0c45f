#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A collector on the CPU of the program it monitors keeps to its budget of
# that CPU (--cpu-budget, 2% unless told: collector/loop.c): it says it
# shared the CPU and how many naps the budget made longer, and every call
# is still counted exactly, as a record or folded. Not when it runs on
# another CPU, not with --cpu-budget 0, not with the call structure.
# Sharing is judged by the threads that make the calls, not the first
# one, and a thread that made its calls before the collector first looked
# counts too. tmtop's own collector keeps to a budget too, and says so.
. "$(dirname "$0")/lib.sh"
TMTOP="$TM_BUILD/tools/tmtop"
command -v taskset >/dev/null || fail "taskset (util-linux) is needed"
N=2000000
SYMS=work_noop,fail_if

keep() { [ -n "${TM_KEEP:-}" ] || rm -rf "$WORK"; } # lib.sh's EXIT trap, for traps of our own
# stop_col SESSION: once the session's segments say their processes
# exited and were drained, tmcollect ($col) stops with its summary
stop_col() {
	for _ in $(seq 600); do
		[ -z "$(find "$TM_DIR" -name "$1.*.tm")" ] && break
		sleep 0.1
	done
	kill -INT $col
	wait $col || fail "tmcollect: $(cat "$WORK/cerr")"
	trap keep EXIT
}
# the summary's collector_cpu, as "budget shared naps"
cpu() { jq -r '.collector_cpu | "\(.budget_pct) \(.shared) \(.budget_naps)"' "$1"; }

exact() { # summary: every call counted once, records + overflowed = calls
	expect_eq "$1: noop calls" "$(calls "$1" noop)" $N
	expect_eq "$1: fail_if failed" "$(field "$1" fail_if failed)" $((N / 10))
	for f in noop fail_if; do
		expect_eq "$1: $f records + overflowed = calls" \
			"$(jq --arg n $f '[.symbols[] | select(.name == $n) | .records + .overflowed - .calls] | add' "$1")" 0
	done
	python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$1" >/dev/null || fail "$1: summary schema"
}

# both on CPU 0
taskset -c 0 "$TMRUN" -q -c "$DATA/shapes.json" -s $SYMS -o "$WORK/shared.json" -- \
	"$TARGETS/threads" 1 $N >"$WORK/out" 2>"$WORK/err" || fail "tmrun: $(cat "$WORK/err")"
read -r budget shared naps <<<"$(cpu "$WORK/shared.json")"
expect_eq "shared: budget_pct" "$budget" 2
expect_eq "shared: shared" "$shared" true
[ "$naps" -gt 0 ] || fail "shared: no nap made longer by the budget"
exact "$WORK/shared.json"
echo "ok: shared: $naps naps lengthened, $(jqv "$WORK/shared.json" .loss.overflowed) of $((N + N / 10)) calls folded"

# the table says so
taskset -c 0 "$TMRUN" --cpu-budget 5% -c "$DATA/shapes.json" -s $SYMS -- \
	"$TARGETS/threads" 1 $N >"$WORK/out" 2>"$WORK/table" || fail "tmrun: $(cat "$WORK/table")"
grep -q "shared the program's CPU and kept to 5% of it" "$WORK/table" ||
	fail "table: no line about the budget: $(tail -3 "$WORK/table")"

# --cpu-budget 0: no limit (the sharing still said)
taskset -c 0 "$TMRUN" -q --cpu-budget 0 -c "$DATA/shapes.json" -s $SYMS -o "$WORK/none.json" -- \
	"$TARGETS/threads" 1 $N >"$WORK/out" 2>"$WORK/err" || fail "tmrun: $(cat "$WORK/err")"
expect_eq "--cpu-budget 0" "$(cpu "$WORK/none.json")" "null true 0"
exact "$WORK/none.json"

# the call structure needs every record: no budget
taskset -c 0 "$TMRUN" -q --calls -c "$DATA/shapes.json" -s $SYMS -o "$WORK/calls.json" -- \
	"$TARGETS/threads" 1 200000 >"$WORK/out" 2>"$WORK/err" || fail "tmrun: $(cat "$WORK/err")"
# (whether it shared is not asked: a short run may end before it looks)
expect_eq "--calls" "$(jq -r '.collector_cpu | "\(.budget_pct) \(.budget_naps)"' "$WORK/calls.json")" "null 0"

# a thread that made its calls before the collector's first look counts
# at that look: the program on CPU 0 makes N calls and waits; a collector
# started after, on CPU 0 too, never sees that thread's count change
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
LD_PRELOAD="$SHIM" TM_SESSION=late TM_SYMBOLS=work_noop taskset -c 0 "$TARGETS/ondemand" <&3 >"$WORK/late.out" &
late=$!
trap 'kill $late 2>/dev/null || true; keep' EXIT
echo 100000 >&3
for _ in $(seq 1 600); do grep -q '^did 100000' "$WORK/late.out" && break; sleep 0.05; done
grep -q '^did 100000' "$WORK/late.out" || fail "ondemand did not make its calls"
taskset -c 0 "$TMCOLLECT" --session late --summary-every --interval 0.1 --summary "$WORK/late.json" \
	2>"$WORK/cerr" &
col=$!
trap 'kill $late $col 2>/dev/null || true; keep' EXIT
for _ in $(seq 1 600); do
	[ "$(calls "$WORK/late.json" work_noop 2>/dev/null)" = 100000 ] && break
	kill -0 $col 2>/dev/null || fail "tmcollect ended: $(cat "$WORK/cerr")"
	sleep 0.05
done
expect_eq "late: calls" "$(calls "$WORK/late.json" work_noop)" 100000
expect_eq "late: the thread's calls before the first look: shared" "$(jqv "$WORK/late.json" .collector_cpu.shared)" true
echo q >&3
wait $late || fail "ondemand: exit"
exec 3>&-
stop_col late

# refused: one line, exit 2
for bad in 101 -1 x 5%% 0.001 nan; do
	set +e
	"$TMRUN" -q --cpu-budget "$bad" -s $SYMS -- true 2>"$WORK/err"
	rc=$?
	set -e
	[ "$rc" != 0 ] || fail "--cpu-budget $bad accepted"
	grep -q "cpu-budget" "$WORK/err" || fail "--cpu-budget $bad: $(cat "$WORK/err")"
done
set +e
"$TMCOLLECT" --cpu-budget 200 --table 2>"$WORK/err"
rc=$?
set -e
expect_eq "tmcollect --cpu-budget 200: exit" $rc 2
for args in "--cpu-budget 101" "--cpu-budget 5 --connect 127.0.0.1:1"; do
	set +e
	# shellcheck disable=SC2086 # two words each
	"$TMTOP" -b -n 1 $args >/dev/null 2>"$WORK/err"
	rc=$?
	set -e
	[ "$rc" != 0 ] || fail "tmtop $args accepted"
	expect_eq "tmtop $args: one line" "$(wc -l <"$WORK/err")" 1
done

# tmtop's collector on the program's CPU: its budget, in --jsonl and on
# the loss line. tmtop is started first and waits for the process.
top_shared() { # top_shared SESSION OUT TMTOP-ARGS...
	local s=$1 out=$2
	shift 2
	taskset -c 0 "$TMTOP" -b --session "$s" --until-idle -n 3000 -d 0.2 "$@" >"$out" 2>"$WORK/toperr" &
	local top=$!
	LD_PRELOAD="$SHIM" TM_SESSION=$s TM_SYMBOLS=$SYMS TM_CONFIG="$DATA/shapes.json" \
		taskset -c 0 "$TARGETS/threads" 1 $N >"$WORK/out"
	wait $top || fail "tmtop: $(cat "$WORK/toperr")"
}
top_shared topj "$WORK/top.jsonl" --jsonl --cpu-budget 5
read -r budget shared naps <<<"$(tail -1 "$WORK/top.jsonl" | jq -r '.collector_cpu | "\(.budget_pct) \(.shared) \(.budget_naps)"')"
expect_eq "tmtop --cpu-budget 5: budget_pct" "$budget" 5
expect_eq "tmtop: shared" "$shared" true
[ "$naps" -gt 0 ] || fail "tmtop: no nap made longer by the budget"
expect_eq "tmtop: noop calls" \
	"$(tail -1 "$WORK/top.jsonl" | jq '[.rows[] | select(.function == "noop")][0].calls')" $N
top_shared topt "$WORK/top.txt"
grep -q '^loss .*(collector kept to 2% of a shared CPU)' "$WORK/top.txt" ||
	fail "tmtop: no budget on the loss line: $(grep '^loss' "$WORK/top.txt" | tail -1)"

# the collector on CPU 1, the program on CPU 0: not shared (unless the
# cgroup itself has at most one CPU's time)
limited=0
cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
while [ -n "$cg" ]; do
	q=$(cat "/sys/fs/cgroup$cg/cpu.max" 2>/dev/null || true)
	case "$q" in max* | "") ;; *) limited=1 ;; esac
	[ "$cg" = / ] && break
	cg=$(dirname "$cg")
done
if ! taskset -c 1 true 2>/dev/null || [ $limited = 1 ]; then
	echo "skipped: not shared (needs a second CPU and no cgroup CPU limit)"
	exit 0
fi
# (tmcollect: a command tmrun starts would begin on tmrun's CPU)
taskset -c 1 "$TMCOLLECT" --session apart --summary "$WORK/apart.json" 2>"$WORK/cerr" &
col=$!
trap 'kill $col 2>/dev/null || true; keep' EXIT
LD_PRELOAD="$SHIM" TM_SESSION=apart TM_SYMBOLS=$SYMS TM_CONFIG="$DATA/shapes.json" \
	taskset -c 0 "$TARGETS/threads" 1 $N >"$WORK/out"
stop_col apart
expect_eq "apart" "$(cpu "$WORK/apart.json")" "2 false 0"
exact "$WORK/apart.json"

# the threads that call decide, not the first: the collector on CPU 1,
# the main thread (which ran only the shim's start) on one CPU, the
# worker pinned by itself to the other
pinned() { # pinned SESSION MAIN-CPU WORKER-CPU: the run's summary in $WORK/SESSION.json
	taskset -c 1 "$TMCOLLECT" --session "$1" --summary "$WORK/$1.json" 2>"$WORK/cerr" &
	col=$!
	trap 'kill $col 2>/dev/null || true; keep' EXIT
	LD_PRELOAD="$SHIM" TM_SESSION=$1 TM_SYMBOLS=$SYMS TM_CONFIG="$DATA/shapes.json" \
		taskset -c "$2" "$TARGETS/threads" 1 $N "$3" >"$WORK/out"
	stop_col "$1"
	exact "$WORK/$1.json"
}
pinned worker1 0 1
read -r budget shared naps <<<"$(cpu "$WORK/worker1.json")"
expect_eq "the worker on the collector's CPU, the main thread not: shared" "$shared" true
pinned worker0 1 0
read -r budget shared naps <<<"$(cpu "$WORK/worker0.json")"
expect_eq "the main thread on the collector's CPU, the worker not: shared" "$shared" false
expect_eq "... and no nap made longer" "$naps" 0
echo "ok"
