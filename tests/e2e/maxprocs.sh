#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A collector that runs for months keeps detail for a bounded number of
# processes (--max-processes): 1 000 short processes collected by one
# tmcollect --max-processes 50 are listed 50 at most, the rest merged into
# earlier_processes; every total stays exact, the --jsonl stream still
# says each start and end, and the collector's anonymous memory after the
# 1 000 does not grow with them (per process kept: 4 KiB + max_syms x 32 B).
. "$(dirname "$0")/lib.sh"
E2E="$(cd "$(dirname "$0")" && pwd)"
N=1000
MAX=50

"$TMCOLLECT" --session many --max-processes $MAX --summary "$WORK/s.json" \
	--jsonl "$WORK/s.jsonl" 2>"$WORK/err" &
col=$!
keep() { [ -n "${TM_KEEP:-}" ] || rm -rf "$WORK"; }
trap 'kill $col 2>/dev/null || true; keep' EXIT
run() {
	for ((i = 0; i < $1; i++)); do
		LD_PRELOAD="$SHIM" TM_SESSION=many TM_SYMBOLS=work_noop \
			"$TARGETS/blocker" 10 </dev/null >/dev/null
	done
}
rss_kib() { awk '/^RssAnon:/ {print $2}' "/proc/$col/status"; }
# collected: the summary on SIGUSR1 counts them all (bounded wait)
wait_for() {
	for _ in $(seq 1 300); do
		kill -USR1 $col
		sleep 0.1
		[ -s "$WORK/s.json" ] && [ "$(jq .totals.processes "$WORK/s.json")" = "$1" ] && return 0
	done
	fail "the collector did not see $1 processes: $(jq -c .totals "$WORK/s.json")"
}

run 100
wait_for 100
base=$(rss_kib)
run $((N - 100))
wait_for $N
after=$(rss_kib)
kill -TERM $col
wait $col || fail "tmcollect exit $?: $(cat "$WORK/err")"
trap keep EXIT

S="$WORK/s.json"
python3 "$E2E/jsonschema_check.py" urn:tm:summary:1 "$S"
listed=$(jq '.processes | length' "$S")
[ "$listed" -le $MAX ] || fail "$listed processes listed, at most $MAX expected"
echo "ok: $listed processes listed (at most $MAX)"
expect_eq "earlier_processes.count" "$(jq .earlier_processes.count "$S")" $((N - listed))
expect_eq "earlier processes by status" "$(jq '[.earlier_processes.status[]] | add' "$S")" \
	$((N - listed))
expect_eq "totals.processes" "$(jq .totals.processes "$S")" $N
# every process's entries are read named and whole (the shim never shows
# one half rewritten: tests/unit/test_publish.c), so no call is counted
# under "?symN" and none of the floor probes' under a function
expect_eq "calls under an unnamed symbol" \
	"$(jq '[.symbols[] | select(.name | startswith("?sym")) | .calls] | add // 0' "$S")" 0
expect_eq "work_noop calls" "$(calls "$S" work_noop)" $((N * 10))
expect_eq "totals.calls" "$(jq .totals.calls "$S")" $((N * 10))
expect_eq "listed + earlier calls" \
	"$(jq '([.processes[].calls] | add) + .earlier_processes.calls' "$S")" $((N * 10))
expect_eq "listed + earlier records + overflowed" \
	"$(jq '([.processes[] | .records + .overflowed] | add) + .earlier_processes.records + .earlier_processes.overflowed' "$S")" \
	$((N * 10))
expect_eq "stream: started" "$(jq -s '[.[] | select(.type == "process" and .event == "started")] | length' "$WORK/s.jsonl")" $N
expect_eq "stream: ended" "$(jq -s '[.[] | select(.type == "process" and .event != "started")] | length' "$WORK/s.jsonl")" $N
# the stream's end events, by status, are the listed ones plus the merged ones
for st in exited crashed exec; do
	expect_eq "stream: $st" \
		"$(jq -s --arg s $st '[.[] | select(.type == "process" and .event == $s)] | length' "$WORK/s.jsonl")" \
		"$(jq --arg s $st '([.processes[] | select(.status == $s)] | length) + .earlier_processes.status[$s]' "$S")"
done

# memory (not under ASan: its quarantine keeps what is freed): at most
# MAX processes in detail, 36 KiB each (the default 1024 symbols), plus
# 16 MiB of room for the allocator and for the time axis, which allocates
# as the seconds of its first minutes pass (a few MiB here); without the
# bound the 900 processes after the baseline cost ~40 KiB each (~35 MiB)
if [ -n "${TM_SANITIZED:-}" ]; then
	echo "skipped: the memory bound under ASan"
	exit 0
fi
bound=$((MAX * 36 + 16384))
echo "collector RssAnon: $base KiB after 100 processes, $after KiB after $N (bound +$bound)"
[ $((after - base)) -le $bound ] || fail "collector memory grew by $((after - base)) KiB (bound $bound)"
echo "ok: memory bounded"
