#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun --attach with live outputs: --listen serves /metrics and the summary
# while attached, --jsonl streams; SIGTERM ends the attachment with a
# detach and the summary. An output that cannot be set up (a port taken)
# is refused before the process is touched. tmrun --detach PID puts back a
# process left attached when tmrun and its watchdog were both killed.
. "$(dirname "$0")/attach_lib.sh"
OUT="$WORK/a.out"
start_attachee "$OUT" 2
slot0=$(got_slot "$APID" "$ATTACHEE" work_noop)

port_of() { # port_of FILE PID: the port once FILE holds a whole line
	for ((i = 0; i < 1000; i++)); do
		if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; then
			head -1 "$1"
			return 0
		fi
		kill -0 "$2" 2>/dev/null || fail "tmrun exited before writing $1: $(cat "$WORK"/t*.err)"
		sleep 0.02
	done
	fail "no port in $1"
}

"$TMRUN" --attach "$APID" -s work_noop --listen 127.0.0.1:0 --port-file "$WORK/port" \
	--jsonl "$WORK/s.jsonl" --interval 0.25 -o "$WORK/s.json" >"$WORK/t.out" 2>"$WORK/t.err" &
tr=$!
PIDS+=("$tr")
wait_for "$WORK/t.err" '^tmrun: attached to process'
port=$(port_of "$WORK/port" "$tr")
seen=0
for ((k = 0; k < 500; k++)); do
	curl -s -f "http://127.0.0.1:$port/metrics" -o "$WORK/m.txt" || fail "GET /metrics"
	n=$(awk '/^tm_calls_total\{.*function="work_noop"/{print $2}' "$WORK/m.txt" | head -1)
	if [ -n "$n" ] && [ "$n" -gt 0 ]; then seen=$n; break; fi
	sleep 0.02
done
[ "$seen" -gt 0 ] || fail "/metrics never counted work_noop while attached: $(grep calls_total "$WORK/m.txt")"
curl -s -f "http://127.0.0.1:$port/api/v1/summary" -o "$WORK/live.json" || fail "GET /api/v1/summary"
[ "$(calls "$WORK/live.json" work_noop)" -gt 0 ] || fail "live summary has no work_noop calls"
wait_lines "$WORK/s.jsonl" '"function":"work_noop"' 1
# a second attachment to another process on the same port: refused first
A=$APID
start_attachee "$WORK/b.out" 1
BPID=$APID
APID=$A
bslot=$(got_slot "$BPID" "$ATTACHEE" work_noop)
rc=0
"$TMRUN" --attach "$BPID" -s work_noop --listen "127.0.0.1:$port" -o "$WORK/b.json" \
	2>"$WORK/b.err" || rc=$?
expect_eq "attach with a port taken: exit" $rc 2
expect_eq "attach with a port taken: lines" "$(wc -l <"$WORK/b.err")" 1
expect_eq "attach with a port taken: the process untouched" \
	"$(got_slot "$BPID" "$ATTACHEE" work_noop)" "$bslot"
! grep -q 'libtmshim' "/proc/$BPID/maps" || fail "the shim was loaded although the port was taken"
not_stopped "$BPID"
# SIGTERM: detach, then the summary
detached_by "$tr" TERM "$WORK/t.err" "ended by SIGTERM"
[ "$(calls "$WORK/s.json" work_noop)" -ge "$seen" ] || fail "summary has fewer calls than /metrics showed"
expect_eq "GOT slot after the detach" "$(got_slot "$APID" "$ATTACHEE" work_noop)" "$slot0"
not_stopped "$APID"

# left attached: tmrun and its watchdog killed; tmrun --detach puts it back
rm -f "$WORK/wd.pid"
TM_ATTACH_WATCHDOG_PIDFILE="$WORK/wd.pid" "$TMRUN" --attach "$APID" -s work_noop -q \
	-o "$WORK/k.json" 2>"$WORK/k.err" &
tr=$!
PIDS+=("$tr")
wait_for "$WORK/wd.pid" . 10
for ((k = 0; k < 500; k++)); do
	[ "$(got_slot "$APID" "$ATTACHEE" work_noop)" != "$slot0" ] && break
	sleep 0.02
done
[ "$(got_slot "$APID" "$ATTACHEE" work_noop)" != "$slot0" ] || fail "not attached"
kill -9 "$(cat "$WORK/wd.pid")" "$tr"
wait "$tr" 2>/dev/null || true
[ "$(got_slot "$APID" "$ATTACHEE" work_noop)" != "$slot0" ] || fail "detached although nobody was left to"
rc=0
"$TMRUN" --detach "$APID" 2>"$WORK/d.err" || rc=$?
expect_eq "tmrun --detach: exit" $rc 0
expect_eq "GOT slot after tmrun --detach" "$(got_slot "$APID" "$ATTACHEE" work_noop)" "$slot0"
not_stopped "$APID"
c0=$(ask "$APID" "$OUT" USR1 count)
for ((k = 0; k < 500; k++)); do
	[ "$(ask "$APID" "$OUT" USR1 count)" -gt "$c0" ] && break
done
[ "$(ask "$APID" "$OUT" USR1 count)" -gt "$c0" ] || fail "the workers stopped"
rc=0
"$TMRUN" --detach "$APID" 2>"$WORK/d2.err" || rc=$?
[ $rc -ne 0 ] || fail "a second tmrun --detach found something to detach"
kill -TERM "$BPID"
end_attachee "$OUT"
