#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Alert delivery (collector/out/notify.c) driven by tests/unit/notify_drive:
# a real Alertmanager receives, keeps and resolves tm's alerts; re-sends
# and batching seen by a loopback sink; --on-alert commands get the event
# in their environment and on stdin, are killed at their timeout, fail
# visibly, and never hold up the poster; bad and unreachable Alertmanager
# URLs are refused or counted, each with one line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"

DRIVE="$TM_BUILD/tests/unit/notify_drive"
[ -x "$DRIVE" ] || fail "$DRIVE not built (make notify_drive)"
SESSION=e2e-notify

# event NAME STATE STARTS_NS ENDS_NS [jq updates]: one alert event
event() {
	jq -cn --arg n "$1" --arg s "$2" --argjson t "$3" --argjson e "$4" '{
		name: $n, kind: "error_rate", function: "phase_work", process: null,
		severity: "critical", state: $s, starts_realtime_ns: $t,
		ends_realtime_ns: $e, value: 0.31, threshold: 0.1, flapping: false,
		labels: {team: "db", alertname: "not-this", severity: "not-this"},
		annotations: {summary: "phase_work: error rate 31% > 10% over 1m"}}'"${5:+ | $5}"
}
# a process alert: process set, function null
proc_event() {
	event "$1" "$2" "$3" "$4" '.kind = "crashed" | .function = null |
		.process = {pid: 123, name: "phases"} | .severity = "warning" |
		.value = 1 | .threshold = 0 | .labels = {}'
}
now_ns() { date +%s%N; }
# RFC 3339 with milliseconds, UTC, of a CLOCK_REALTIME ns
rfc3339() { printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000000000))" +%Y-%m-%dT%H:%M:%S)" $(($1 / 1000000 % 1000)); }
# seconds (with decimals) of an RFC 3339 time, in jq
JQ_SECS='def secs: capture("^(?<s>[^.]+)(\\.(?<f>[0-9]+))?Z$") |
	(.s + "Z" | fromdateiso8601) + ((("0." + (.f // "0")) | tonumber));'

# wait_am JQPRED TIMEOUT: until Alertmanager's alert list satisfies JQPRED
wait_am() {
	local deadline out
	deadline=$(_tm_deadline "$2")
	while _tm_before "$deadline"; do
		out=$(am_alerts . 2>/dev/null) && jq -e "$1" <<<"$out" >/dev/null 2>&1 && {
			echo "$out"
			return 0
		}
		sleep 0.1
	done
	echo "wait_am: '$1' never held within $2 s; last: ${out:-none}" >&2
	return 1
}

# A driver in the background, fed through a FIFO: drive_bg NAME ARGS...
# sets DRV_FD (write lines to it) and DRV_PID; drive_end NAME TIMEOUT
# closes its input, waits for it to exit and sets DRV_STATS to its stats
# line. Both run in this shell, not in $(...): the FIFO and the child are
# this shell's.
drive_bg() {
	local name=$1
	shift
	mkfifo "$WORK/$name.fifo"
	tm_bg "$name" "$DRIVE" --in "$WORK/$name.fifo" "$@"
	DRV_PID=$TM_BG_PID
	exec {DRV_FD}<>"$WORK/$name.fifo"
}
drive_end() {
	local deadline rc=0
	exec {DRV_FD}>&-
	deadline=$(_tm_deadline "$2")
	while _tm_before "$deadline"; do
		if ! kill -0 "$DRV_PID" 2>/dev/null ||
			[ "$(ps -o stat= -p "$DRV_PID" 2>/dev/null | cut -c1)" = Z ]; then
			wait "$DRV_PID" || rc=$?
			[ "$rc" = 0 ] || { tail "$WORK/$1.log" >&2; fail "$1: driver exited with $rc"; }
			DRV_STATS=$(grep '^{"queued"' "$WORK/$1.log" | tail -n 1)
			return 0
		fi
		sleep 0.05
	done
	tail "$WORK/$1.log" >&2
	fail "$1: the driver did not exit within $2 s of its input's end"
}
# stv STATS FIELD
stv() { jq -r ".$2" <<<"$1"; }

start_webhook_sink
start_alertmanager "$WEBHOOK_URL"

# --- 1. a real Alertmanager: firing, re-sent, resolved --------------------
t0=$(now_ns)
fire=$(event phase_errors firing "$t0" null)
drive_bg am --alertmanager "$AM_URL" --session "$SESSION" --resend-ms 500
echo "$fire" >&"$DRV_FD"
proc_event crashed firing "$t0" null >&"$DRV_FD"

sel='map(select(.labels.alertname == "phase_errors"))'
got=$(wait_am "$sel | length == 1 and .[0].status.state == \"active\"" 15) ||
	{ _tm_show_log am; fail "Alertmanager never showed phase_errors active"; }
a=$(jq -c "$sel | .[0]" <<<"$got")
expect_eq "labels (built-ins win over the alert's own)" "$(jq -cS .labels <<<"$a")" \
	"$(jq -cnS --arg s "$SESSION" '{alertname: "phase_errors", function: "phase_work",
		kind: "error_rate", session: $s, severity: "critical", team: "db"}')"
expect_eq "annotations" "$(jq -c .annotations <<<"$a")" \
	'{"summary":"phase_work: error rate 31% > 10% over 1m"}'
expect_eq "startsAt" "$(jq -r .startsAt <<<"$a")" "$(rfc3339 "$t0")"
ends1=$(jq -r .endsAt <<<"$a")

got=$(wait_am 'map(select(.labels.alertname == "crashed")) | length == 1' 10) ||
	fail "Alertmanager never showed the process alert"
expect_eq "process alert labels" \
	"$(jq -cS 'map(select(.labels.alertname == "crashed"))[0].labels' <<<"$got")" \
	"$(jq -cnS --arg s "$SESSION" '{alertname: "crashed", kind: "crashed", pid: "123",
		process: "phases", session: $s, severity: "warning"}')"

# re-sent every 500 ms with endsAt = now + 2 s: Alertmanager's endsAt moves on
got=$(wait_am "$sel | length == 1 and .[0].endsAt > \"$ends1\"" 10) ||
	fail "no re-send: endsAt stayed at $ends1"
echo "ok: re-sent (endsAt $ends1 -> $(jq -r "$sel | .[0].endsAt" <<<"$got"))"
jq -e "$JQ_SECS"' .[0] | (.endsAt | secs) - (.updatedAt | secs) | . > 1.5 and . < 2.5' \
	<<<"$(jq -c "$sel" <<<"$got")" >/dev/null ||
	fail "endsAt is not about 4 x 500 ms after the last update: $(jq -c "$sel" <<<"$got")"
echo "ok: endsAt = last send + 4 x resend"
wait_file_match "$WEBHOOK_LOG" '.status == "firing" and
	any(.alerts[]; .labels.alertname == "phase_errors")' 15 >/dev/null ||
	fail "Alertmanager did not notify the firing alert"
echo "ok: Alertmanager notified phase_errors firing"

t1=$(now_ns)
event phase_errors resolved "$t0" "$t1" >&"$DRV_FD"
wait_am "$sel | map(select(.status.state == \"active\")) | length == 0" 15 >/dev/null ||
	fail "Alertmanager still shows phase_errors active after the resolve"
echo "ok: Alertmanager no longer shows phase_errors active"
wait_file_match "$WEBHOOK_LOG" '.status == "resolved" and
	any(.alerts[]; .labels.alertname == "phase_errors" and .status == "resolved")' 15 \
	>/dev/null || fail "Alertmanager did not notify the resolve"
echo "ok: Alertmanager notified phase_errors resolved"
drive_end am 15
st=$DRV_STATS
expect_eq "am: failed POSTs" "$(stv "$st" am_failed)" 0
expect_eq "am: events queued" "$(stv "$st" queued)" 3
[ "$(stv "$st" am_sent)" -ge 3 ] || fail "am: only $(stv "$st" am_sent) POSTs"
echo "ok: $(stv "$st" am_sent) POSTs to Alertmanager"

# --- 2. re-send and batching, seen by a loopback sink -----------------------
SINK="${WEBHOOK_URL%/hook}"
: >"$WEBHOOK_LOG"
t0=$(now_ns)
drive_bg sink --alertmanager "$SINK" --session "$SESSION" --resend-ms 300
event A firing '"now"' null >&"$DRV_FD" # the driver puts in the time of the post
proc_event B firing '"now"' null >&"$DRV_FD"
wait_file_match "$WEBHOOK_LOG" 'type == "array" and
	([.[].labels.alertname] | sort) == ["A", "B"]' 10 >/dev/null ||
	{ cat "$WEBHOOK_LOG" >&2; fail "A and B never sent in one POST"; }
echo "ok: due alerts batched in one POST"
deadline=$(_tm_deadline 10)
while [ "$(jq -s 'map(select(type == "array" and length == 2)) | length' "$WEBHOOK_LOG")" -lt 3 ]; do
	_tm_before "$deadline" || fail "A and B not re-sent together three times in 10 s"
	sleep 0.05
done
echo "ok: re-sent every 300 ms"
jq -e -s "$JQ_SECS"' map(select(type == "array"))[0][0] as $a |
	($a.startsAt | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")) and
	(($a.endsAt | secs) - ($a.startsAt | secs) | . > 1.0 and . < 1.8)' "$WEBHOOK_LOG" \
	>/dev/null || fail "first POST: startsAt/endsAt not RFC 3339 ms or endsAt not now + 4 x 300 ms: $(head -n 1 "$WEBHOOK_LOG")"
echo "ok: RFC 3339 times; a firing alert ends 4 re-send periods after its send"
t1=$(now_ns)
event A resolved "$t0" "$t1" >&"$DRV_FD"
wait_file_match "$WEBHOOK_LOG" "type == \"array\" and any(.[]; .labels.alertname == \"A\" and
	.endsAt == \"$(rfc3339 "$t1")\")" 10 >/dev/null || fail "resolve of A not sent with endsAt"
n_at=$(wc -l <"$WEBHOOK_LOG")
deadline=$(_tm_deadline 10)
while [ "$(tail -n +"$((n_at + 1))" "$WEBHOOK_LOG" | jq -c 'select(type == "array")' | wc -l)" -lt 3 ]; do
	_tm_before "$deadline" || fail "no re-sends after the resolve"
	sleep 0.05
done
expect_eq "POSTs after the resolve hold B only" \
	"$(tail -n +"$((n_at + 1))" "$WEBHOOK_LOG" |
		jq -c 'select(type == "array") | [.[].labels.alertname]' | sort -u)" '["B"]'
drive_end sink 10
st=$DRV_STATS
expect_eq "sink: failed POSTs" "$(stv "$st" am_failed)" 0

# --- 3. --on-alert: environment, stdin, descriptors -------------------------
REC="$WORK/rec"
mkdir "$REC"
export REC FROM_COLLECTOR=yes TM_ALERT_STALE=stale
# shellcheck disable=SC2016 # expanded by the command's shell
CMD='f="$REC/$TM_ALERT_NAME.$TM_ALERT_STATE"; cat >"$f.in"; ls -l /proc/$$/fd >"$f.fds";
env >"$f.env.tmp"; mv "$f.env.tmp" "$f.env"; echo "said $TM_ALERT_NAME"'
ev1=$(event phase_errors firing 1764590000000000000 null)
ev2=$(proc_event crashed resolved 1764590000000000000 1764590061500000000)
# fd 7 is open without O_CLOEXEC in the driver: the command must not get it
st=$("$DRIVE" --on-alert "$CMD" --session "$SESSION" "$ev1" "$ev2" "until cmd_done 2 10000" \
	7</dev/null 2>"$WORK/cmd.err") || { cat "$WORK/cmd.err" >&2; fail "driver failed"; }
expect_eq "cmd: run" "$(stv "$st" cmd_run)" 2
expect_eq "cmd: failed" "$(stv "$st" cmd_failed)" 0
grep -qx 'said phase_errors' "$WORK/cmd.err" || fail "the command's stdout is not on stderr"
echo "ok: the command's stdout reaches the collector's stderr"
envv() { grep "^$2=" "$REC/$1.env" | cut -d= -f2-; }
for v in "NAME phase_errors" "KIND error_rate" "STATE firing" "SEVERITY critical" \
	"FUNCTION phase_work" "PID " "VALUE 0.31" "THRESHOLD 0.1" \
	"SUMMARY phase_work: error rate 31% > 10% over 1m" "STARTS 2025-12-01T11:53:20.000Z" "ENDS "; do
	expect_eq "phase_errors: TM_ALERT_${v%% *}" "$(envv phase_errors.firing "TM_ALERT_${v%% *}")" "${v#* }"
done
for v in "NAME crashed" "KIND crashed" "STATE resolved" "SEVERITY warning" "FUNCTION " \
	"PID 123" "VALUE 1" "THRESHOLD 0" "STARTS 2025-12-01T11:53:20.000Z" \
	"ENDS 2025-12-01T11:54:21.500Z"; do
	expect_eq "crashed: TM_ALERT_${v%% *}" "$(envv crashed.resolved "TM_ALERT_${v%% *}")" "${v#* }"
done
expect_eq "TM_SESSION" "$(envv crashed.resolved TM_SESSION)" "$SESSION"
expect_eq "the collector's environment kept" "$(envv crashed.resolved FROM_COLLECTOR)" yes
expect_eq "a stale TM_ALERT_ variable dropped" "$(envv crashed.resolved TM_ALERT_STALE)" ""
expect_eq "stdin: one line" "$(wc -l <"$REC/phase_errors.firing.in")" 1
jq -e --argjson e "$ev1" '. == $e' "$REC/phase_errors.firing.in" >/dev/null ||
	fail "stdin is not the event: $(cat "$REC/phase_errors.firing.in")"
jq -e --argjson e "$ev2" '. == $e' "$REC/crashed.resolved.in" >/dev/null ||
	fail "stdin is not the event: $(cat "$REC/crashed.resolved.in")"
echo "ok: stdin is the event as JSON"
# the driver's: fd 7 (/dev/null), its eventfd, the pipes of the command's
# stdin and report, its stdout (a pipe here); only fd 0 may be a pipe
bad=$(grep -E -- '-> (/dev/null|anon_inode)|[^0] -> pipe:' "$REC/crashed.resolved.fds") &&
	fail "the command inherited descriptors: $bad"
grep -qE ' 0 -> pipe:' "$REC/crashed.resolved.fds" || fail "stdin is not a pipe"
echo "ok: the command has no descriptor of the collector's but stdin, stdout, stderr"

# --- 4. a command that hangs: killed at the timeout, posting goes on ---------
HANG_ARG="1000.$$$RANDOM" # unique: other runs of this test may hang too
HANG="sleep $HANG_ARG; true"
st=$("$DRIVE" --on-alert "$HANG" --cmd-timeout-ms 1000 --grace-ms 500 "$ev1" \
	"until cmd_run 1 5000" "$ev2" "$ev1" "$ev2" "$ev1" "$ev2" \
	"until cmd_killed 6 10000" 2>"$WORK/hang.err") ||
	{ cat "$WORK/hang.err" >&2; fail "hang: driver failed"; }
expect_eq "hang: killed" "$(stv "$st" cmd_killed)" 6
expect_eq "hang: failed" "$(stv "$st" cmd_failed)" 6
expect_eq "hang: reaped" "$(stv "$st" cmd_done)" 6
[ "$(stv "$st" post_max_ns)" -lt 500000000 ] || fail "a post took $(stv "$st" post_max_ns) ns"
expect_eq "hang: log lines" "$(grep -c 'still running after 1 s: killed' "$WORK/hang.err")" 1
deadline=$(_tm_deadline 5) # SIGKILL is sent; the dying take a moment
while pgrep -f "sleep $HANG_ARG" >/dev/null; do
	_tm_before "$deadline" || fail "the hung command's sleep survived"
	sleep 0.05
done
echo "ok: the whole process group was killed"

# --- 5. a command that fails: counted, logged once --------------------------
st=$("$DRIVE" --on-alert 'exit 3' "$ev1" "$ev2" "$ev1" "until cmd_done 3 10000" \
	2>"$WORK/fail.err") || { cat "$WORK/fail.err" >&2; fail "fail: driver failed"; }
expect_eq "exit 3: failed" "$(stv "$st" cmd_failed)" 3
expect_eq "exit 3: log lines" "$(grep -c 'exit status 3' "$WORK/fail.err")" 1
expect_eq "exit 3: all stderr" "$(wc -l <"$WORK/fail.err")" 1

# --- 6. a flood: posting never waits ----------------------------------------
: >"$WEBHOOK_LOG"
start=$(_tm_now)
st=$(timeout 30 "$DRIVE" --on-alert 'sleep 0.2' --alertmanager "$SINK" --grace-ms 1000 \
	"$ev1" "flood 1999" 2>"$WORK/flood.err") ||
	{ tail "$WORK/flood.err" >&2; fail "flood: driver failed or took over 30 s"; }
echo "flood: $st"
expect_eq "flood: posted" "$(stv "$st" posted)" 2000
expect_eq "flood: queued + dropped" "$(jq '.queued + .dropped' <<<"$st")" 2000
expect_eq "flood: every queued event ran or was skipped" \
	"$(jq '.cmd_run + .cmd_skipped' <<<"$st")" "$(stv "$st" queued)"
jq -e '.flood_ns < 2000000000' <<<"$st" >/dev/null || fail "flood: posting took $(stv "$st" flood_ns) ns"
jq -e '.cmd_run <= 4 * ((.elapsed_ns / 200000000) | ceil) + 4' <<<"$st" >/dev/null ||
	fail "flood: more commands ran than 4 at a time allow"
echo "ok: 2000 posts in $(jq '.flood_ns / 1e6' <<<"$st") ms; $(stv "$st" cmd_run) commands run, $(stv "$st" cmd_skipped) skipped, $(stv "$st" dropped) dropped"
[ "$(wc -l <"$WORK/flood.err")" -le 3 ] || { cat "$WORK/flood.err" >&2; fail "flood: too many log lines"; }

# --- 7. a URL that is not http(s): refused at start, one line ----------------
rc=0
"$DRIVE" --alertmanager ftp://x "$ev1" >/dev/null 2>"$WORK/badurl.err" || rc=$?
expect_eq "ftp:// refused: exit status" "$rc" 2
expect_eq "ftp:// refused: lines" "$(wc -l <"$WORK/badurl.err")" 1
grep -q 'ftp://x.*http:// or https://' "$WORK/badurl.err" || fail "message: $(cat "$WORK/badurl.err")"

# --- 8. nobody listening: failures counted, one line, no hang ----------------
port=$(free_port)
start=$(_tm_now)
st=$(timeout 30 "$DRIVE" --alertmanager "http://127.0.0.1:$port" --resend-ms 200 --grace-ms 1000 \
	"$ev1" "until am_failed 3 10000" "$(event phase_errors resolved 1764590000000000000 \
	1764590061500000000)" 2>"$WORK/down.err") || { cat "$WORK/down.err" >&2; fail "down: driver failed"; }
[ "$(stv "$st" am_failed)" -ge 3 ] || fail "down: am_failed $(stv "$st" am_failed)"
expect_eq "down: sent" "$(stv "$st" am_sent)" 0
expect_eq "down: log lines" "$(grep -c "alertmanager http://127.0.0.1:$port: .*alerts not delivered" "$WORK/down.err")" 1
expect_eq "down: all stderr" "$(wc -l <"$WORK/down.err")" 1
awk -v a="$start" -v b="$(_tm_now)" 'BEGIN { exit !(b - a < 15) }' || fail "down: took too long"

# --- 9. an Alertmanager that never answers: the POST times out at 5 s --------
port=$(free_port)
tm_bg mute python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
time.sleep(120)' "$port"
wait_port() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null; }
deadline=$(_tm_deadline 10)
until wait_port "$port"; do _tm_before "$deadline" || fail "mute listener did not start"; sleep 0.05; done
start=$(_tm_now)
st=$(timeout 30 "$DRIVE" --alertmanager "http://127.0.0.1:$port" --grace-ms 500 \
	"$ev1" "until am_failed 1 10000" "$ev2" 2>"$WORK/mute.err") ||
	{ cat "$WORK/mute.err" >&2; fail "mute: driver failed"; }
took=$(awk -v a="$start" -v b="$(_tm_now)" 'BEGIN { print b - a }')
grep -q 'Timeout\|timed out' "$WORK/mute.err" || fail "mute: $(cat "$WORK/mute.err")"
awk -v t="$took" 'BEGIN { exit !(t > 4.5 && t < 9) }' || fail "mute: took $took s (timeout is 5 s)"
[ "$(stv "$st" post_max_ns)" -lt 500000000 ] || fail "mute: a post waited $(stv "$st" post_max_ns) ns"
echo "ok: a mute Alertmanager costs one 5 s timeout, posting never waits ($took s)"

echo "PASS notify"
