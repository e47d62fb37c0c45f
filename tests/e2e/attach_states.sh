#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Attaching (twice) to a program whose threads are blocked in read(2) on a
# pipe and in epoll_wait, running inside a signal handler that calls a
# monitored function, inside a monitored function, and forking children
# in a loop: nothing changes for it (output, exit code), the calls already
# running when the GOT was patched are not counted, the others are.
. "$(dirname "$0")/attach_lib.sh"
PROG="$TARGETS/attach_states"
SYMS='read,epoll_wait,work_noop,work_100ns,fork,waitpid'

run() { # run OUT [attach]: the program, attached twice or not; echo status
	"$PROG" >"$1" 2>&1 &
	local pid=$! rc
	PIDS+=("$pid")
	wait_for "$1" '^ready$'
	if [ "${2:-}" = attach ]; then
		for n in 1 2; do
			"$TMRUN" --attach "$pid" -s "$SYMS" -o "$WORK/s$n.json" --duration 0.7 -q \
				2>"$WORK/t$n.err" || fail "attach $n: $(cat "$WORK/t$n.err")"
			not_stopped "$pid" >&2
		done
	fi
	kill -TERM "$pid"
	set +e
	wait "$pid"
	rc=$?
	set -e
	echo $rc
}
rc_a=$(run "$WORK/a.out" attach)
rc_b=$(run "$WORK/b.out")
expect_eq "exit code attached" "$rc_a" 5
expect_eq "exit code unattached" "$rc_b" 5
expect_eq "output" "$(cat "$WORK/a.out")" "$(cat "$WORK/b.out")"
expect_eq "output as expected" "$(tr '\n' ' ' <"$WORK/a.out")" \
	"ready read 1 ok epoll_wait 1 ok handler ok worker ok forks ok "
for n in 1 2; do
	s="$WORK/s$n.json"
	# blocked since before the attach: entered without the trampoline
	expect_eq "attach $n: read calls (the one blocked throughout)" "$(calls "$s" read)" 0
	expect_eq "attach $n: epoll_wait calls" "$(calls "$s" epoll_wait)" 0
	for f in work_noop work_100ns fork waitpid; do
		[ "$(calls "$s" $f)" -gt 0 ] || fail "attach $n: no $f calls"
	done
	echo "ok: attach $n: $(jq -c '[.symbols[] | {(.name): .calls}] | add' "$s")"
done
