#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun --attach SIGKILLed at every step (TM_ATTACH_KILL_AT makes it kill
# itself there): the process is never left stopped or traced, the
# watchdog puts the GOT slot back whenever the attach got that far (and
# removes tmrun's files for the attach), and the
# program goes on: its counter grows, a later attach and detach work, and
# its output and exit code are those of a program never attached.
. "$(dirname "$0")/attach_lib.sh"
kill_at() { # kill_at STEP: tmrun SIGKILLed at STEP, then the checks
	local step=$1
	rm -f "$WORK/wd.pid"
	set +e
	TM_ATTACH_KILL_AT=$step TM_ATTACH_WATCHDOG_PIDFILE="$WORK/wd.pid" \
		"$TMRUN" --attach "$APID" -s work_noop --duration 0.2 -q --session "kill-$$-$step" \
		2>"$WORK/$step.err"
	rc=$?
	set -e
	expect_eq "tmrun killed at $step" $rc 137
	# the watchdog ends once it has put the process back (or found nothing to do)
	wait_for "$WORK/wd.pid" . 10
	wd=$(cat "$WORK/wd.pid")
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$wd" 2>/dev/null || break
		sleep 0.01
	done
	kill -0 "$wd" 2>/dev/null && fail "watchdog still running after $step"
	# and it removed the files tmrun made for the attach
	if grep -lsx "TM_SESSION=kill-$$-$step" /tmp/tm-attach.*/config; then
		fail "tmrun's attach files left behind after a kill at $step"
	fi
	not_stopped "$APID"
	expect_eq "GOT slot after a kill at $step" "$(got_slot "$APID" "$ATTACHEE" work_noop)" "$slot0"
	a=$(ask "$APID" "$OUT" USR1 count)
	b=$(ask "$APID" "$OUT" USR1 count)
	[ "$b" -gt "$a" ] || fail "the program stopped calling after a kill at $step"
}
finish() { # the program ends as one never attached does
	kill -TERM "$APID"
	set +e
	wait "$APID"
	rc=$?
	set -e
	expect_eq "exit code" $rc 3
	if grep -q interrupted "$OUT"; then fail "a stop was visible to the program"; fi
	expect_eq "output lines other than counts" "$(stable_out "$OUT" | tr '\n' ' ')" "$1"
}
# steps while the shim is loaded: one fresh process each (it stays loaded)
for step in seized stopped frame regs load-call loaded; do
	OUT="$WORK/$step.out"
	start_attachee "$OUT" 3
	slot0=$(got_slot "$APID" "$ATTACHEE" work_noop)
	kill_at $step
	finish "started 3 checks ok "
done
# steps of attach and detach, on one process
OUT="$WORK/a.out"
start_attachee "$OUT" 3
slot0=$(got_slot "$APID" "$ATTACHEE" work_noop)
"$TMRUN" --attach "$APID" -s work_noop --duration 0.1 -q # the shim is loaded now
for step in seized stopped attach-frame attach-call attached detach detach-frame detach-call; do
	kill_at $step
done
# still attachable, and exact
c0=$(ask "$APID" "$OUT" USR2 paused)
"$TMRUN" --attach "$APID" -s work_noop -o "$WORK/s.json" 2>"$WORK/t.err" &
tr=$!
PIDS+=("$tr")
wait_for "$WORK/t.err" '^tmrun: attached'
kill -USR2 "$APID"
wait_lines "$OUT" '^resumed' 1
ask "$APID" "$OUT" USR1 count >/dev/null
c1=$(ask "$APID" "$OUT" USR2 paused)
kill -INT "$tr"
wait "$tr"
expect_eq "calls after the kills" "$(calls "$WORK/s.json" work_noop)" $((c1 - c0))
kill -USR2 "$APID"
wait_lines "$OUT" '^resumed' 2
finish "started 3 resumed resumed checks ok "
