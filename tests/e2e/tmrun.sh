#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun: exits with the command's status (128+signal when killed), waits for
# descendants that outlive the command, reports each process image once
# through exec chains, and passes stdin through.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/shapes_pie"

status() {
	set +e
	"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- "$@" >/dev/null 2>&1
	echo $?
	set -e
}
expect_eq "exit 7" "$(status sh -c 'exit 7')" 7
expect_eq "killed by SIGKILL" "$(status sh -c 'kill -KILL $$')" 137
expect_eq "killed by SIGTERM" "$(status sh -c 'kill -TERM $$')" 143
expect_eq "command not found" "$(status /nonexistent/cmd)" 127
expect_eq "the target's own failure" "$(status "$TARGETS/forker" 1 1 1)" 0

# exec chain: sh -> exec sh -> exec target; one image reported, as the target
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- sh -c "exec sh -c 'exec $bin 10'" >/dev/null
expect_eq "exec chain: processes" "$(jqv "$WORK/s.json" .totals.processes)" 1
expect_eq "exec chain: exe" "$(jqv "$WORK/s.json" '.processes[0].exe')" "$bin"
expect_eq "exec chain: calls" "$(calls "$WORK/s.json" work_noop)" 10

# fork+exec of several commands: each image once, the shell with 0 calls too
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- sh -c "$bin 10; $bin 20; $bin 30" >/dev/null
expect_eq "sh + 3 children: processes" "$(jqv "$WORK/s.json" .totals.processes)" 4
expect_eq "sh + 3 children: calls" "$(calls "$WORK/s.json" work_noop)" 60
# each ended process: seen ending after it started and before the summary
# was written (the collector's start plus the run's duration)
expect_eq "sh + 3 children: ends between start and summary" \
	"$(jq '.start_realtime_ns as $t0 | (.start_realtime_ns + .duration_ns) as $t1 |
		[.processes[] | .end_realtime_ns != null and .end_realtime_ns >= .start_realtime_ns and
		 .end_realtime_ns <= $t1 and .start_realtime_ns >= $t0 - 1000000000] | all' "$WORK/s.json")" true
# the shell made no call: counted, not listed; each listed process shows
# the functions it called, not every one configured
expect_eq "sh + 3 children: listed" "$(jqv "$WORK/s.json" '.processes | length')" 3
expect_eq "sh + 3 children: without calls" "$(jqv "$WORK/s.json" .processes_without_calls.count)" 1
"$TMRUN" -q -s work_noop,work_100ns -o "$WORK/s.json" -- sh -c "/bin/true; $bin 5" >/dev/null
expect_eq "listed processes" "$(jqv "$WORK/s.json" '[.processes[].exe] | join(" ")')" "$bin"
expect_eq "its functions" "$(jqv "$WORK/s.json" '.processes[0].symbols | keys | join(" ")')" work_noop
expect_eq "processes without calls (sh, true)" "$(jqv "$WORK/s.json" .processes_without_calls.count)" 2
expect_eq "their ends" "$(jqv "$WORK/s.json" '.processes_without_calls | "\(.exec) \(.exit_codes)"')" '0 {"0":2}'
# started through a symlink (as Debian's redis-server is): exe is the path
# it was started by, exe_resolved the image
ln -s "$bin" "$WORK/alias"
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- "$WORK/alias" 2 >/dev/null
expect_eq "exe: as started" "$(jqv "$WORK/s.json" '.processes[0].exe')" "$WORK/alias"
expect_eq "exe_resolved" "$(jqv "$WORK/s.json" '.processes[0].exe_resolved')" "$(realpath "$bin")"

# a grandchild that starts working only after the command has exited: the
# fifo's writer is the command itself, so its exit is what releases the
# grandchild (ordering by construction, not by timing)
mkfifo "$WORK/gate"
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- sh -c "
	( cat '$WORK/gate' >/dev/null; exec $bin 77 >/dev/null ) &
	exec 4>'$WORK/gate'
	exit 3" >/dev/null && rc=0 || rc=$?
expect_eq "status of the command, not the grandchild" $rc 3
expect_eq "grandchild's calls collected" "$(calls "$WORK/s.json" work_noop)" 77

# stdin reaches the command
out=$(echo hello | "$TMRUN" -q -s work_noop -- cat)
expect_eq "stdin passthrough" "$out" hello
expect_no_segments
