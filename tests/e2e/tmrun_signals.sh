#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun and the stop signals sent to it (not through the terminal): the
# first SIGTERM/SIGINT/SIGHUP is passed to the command; a command that ends
# on it gives its status; one that ignores it is left running when a second
# signal arrives, and tmrun finishes anyway: final drain, summary, table,
# status 128 + signal. After the command has ended, one signal is enough.
. "$(dirname "$0")/lib.sh"
S="$TARGETS/stubborn"
# whatever is left running when the test ends (stubborn ignores TERM)
trap 'kill -KILL $(awk "/ready/ {print \$2}" "$WORK/out" 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# waits (bounded) until FILE has a line matching RE
await() {
	for _ in $(seq 1 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "timed out waiting for '$2' in $1: $(cat "$1")"
}
# waits (bounded) for the background tmrun $1 to end; its status in $rc
await_exit() {
	for _ in $(seq 1 600); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		fail "tmrun did not end after the signals"
	fi
	set +e
	wait "$1"
	rc=$?
	set -e
}

stubborn_case() { # SIG NUM
	rm -f "$WORK/s.json" "$WORK/out"
	"$TMRUN" -s work_noop -o "$WORK/s.json" -- "$S" 100 >"$WORK/out" 2>"$WORK/err" &
	local t=$!
	await "$WORK/out" ready
	kill -"$1" $t
	await "$WORK/out" "caught $2"
	kill -"$1" $t
	await_exit $t
	expect_eq "SIG$1 twice, command ignores it: status" $rc $((128 + $2))
	expect_eq "SIG$1: calls in the summary" "$(calls "$WORK/s.json" work_noop)" 100
	grep -q work_noop "$WORK/err" || fail "SIG$1: no table on stderr"
	kill -KILL "$(awk '/ready/ {print $2}' "$WORK/out")"
}
stubborn_case TERM 15
stubborn_case INT 2
stubborn_case HUP 1

# a command that ends on the forwarded signal: its status
mkfifo "$WORK/in"
exec 7<>"$WORK/in"
dies_case() { # SIG NUM
	rm -f "$WORK/bout" "$WORK/s.json"
	# without fd 7: a blocker left behind ends at EOF when this script does
	"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- "$TARGETS/blocker" 50 <"$WORK/in" >"$WORK/bout" 7>&- &
	local t=$!
	await "$WORK/bout" ready
	kill -"$1" $t
	await_exit $t
	expect_eq "SIG$1 once, command dies of it: status" $rc $((128 + $2))
	[ -s "$WORK/s.json" ] || fail "SIG$1 once: no summary written"
	expect_eq "SIG$1 once: calls" "$(calls "$WORK/s.json" work_noop)" 50
	expect_eq "SIG$1 once: the command's end" "$(jqv "$WORK/s.json" '.processes[0].status')" crashed
}
dies_case TERM 15
dies_case HUP 1

# the command has exited, an orphan that ignores signals remains: one
# signal stops the wait
rm -f "$WORK/out" "$WORK/s.json"
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- sh -c "$S 30 >'$WORK/out' & exit 0" &
t=$!
await "$WORK/out" ready
kill -TERM $t
await_exit $t
expect_eq "SIGTERM with only an orphan left: status" $rc 143
expect_eq "orphan's calls" "$(calls "$WORK/s.json" work_noop)" 30
kill -KILL "$(awk '/ready/ {print $2}' "$WORK/out")"
