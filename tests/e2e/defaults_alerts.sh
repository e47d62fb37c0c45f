#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The alerts tm raises with no alert rule at all: loss (calls the shim
# could not count), crashed (a process killed), stuck (a call open too
# long) and never_called (found, not called). Waits on the stream's
# events and the target's own output, never on a fixed time.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_prom.sh"

# loss: recursion deeper than the shadow stack passes through uncounted
TM_STACK=64 "$TMRUN" -q -s call_cb -o "$WORK/loss.json" -- "$TARGETS/hostile" recurse 5000 \
	>/dev/null || fail "tmrun recurse"
deep=$(jqv "$WORK/loss.json" .loss.depth)
[ "$deep" -gt 0 ] || fail "no depth loss"
jq -e --argjson d "$deep" '[.alerts[] | select(.kind == "loss" and .severity == "warning" and .value == $d)] | length == 1' "$WORK/loss.json" >/dev/null ||
	fail "loss alert: $(jq -c .alerts "$WORK/loss.json")"
jq -e '.report.findings | any(.kind == "loss" and (.text | test("raise TM_STACK")))' "$WORK/loss.json" >/dev/null ||
	fail "loss finding: $(jq -c .report.findings "$WORK/loss.json")"
expect_eq "loss: session health" "$(jqv "$WORK/loss.json" .health.state)" degraded
echo "ok: loss alert ($deep calls) and finding"

# crashed: the target is killed
coproc BL { exec "$TMRUN" -q -s work_noop -o "$WORK/crash.json" -- "$TARGETS/blocker" 100; }
read -r line <&"${BL[0]}"
case "$line" in ready*) ;; *) fail "blocker: $line" ;; esac
pid=$(pgrep -n -f "$TARGETS/blocker 100")
kill -KILL "$pid"
wait "$BL_PID" || true
jq -e --argjson p "$pid" '[.alerts[] | select(.kind == "crashed" and .severity == "critical" and .process.pid == $p)] | length == 1' "$WORK/crash.json" >/dev/null ||
	fail "crashed alert: $(jq -c .alerts "$WORK/crash.json")"
expect_eq "crashed: process health" "$(jqv "$WORK/crash.json" '.processes[0].health.state')" unhealthy
expect_eq "crashed: session health" "$(jqv "$WORK/crash.json" .health.state)" unhealthy
jq -e '.report.findings | any(.kind == "crashed")' "$WORK/crash.json" >/dev/null || fail "crashed finding"
echo "ok: crashed alert for pid $pid"

# stuck and never_called: read blocks on stdin; work_noop is imported but
# never called (blocker 0)
cat >"$WORK/d.json" <<'J'
{"defaults": {"stuck_s": 1, "never_called_after": "1s"}}
J
mkfifo "$WORK/in"
"$TMRUN" -q -s read,work_noop --rules "$WORK/d.json" -o "$WORK/stuck.json" \
	--jsonl "$WORK/ev.jsonl" --interval 0.2 -- "$TARGETS/blocker" 0 <"$WORK/in" >"$WORK/blocker.out" &
run=$!
exec 7>"$WORK/in"
wait_file_match "$WORK/ev.jsonl" '.type == "alert" and .name == "stuck" and .function == "read" and .state == "firing"' 30 >/dev/null ||
	fail "no stuck alert: $(cat "$WORK/ev.jsonl" | grep alert)"
wait_file_match "$WORK/ev.jsonl" '.type == "alert" and .name == "never_called" and .function == "work_noop" and .severity == "info"' 30 >/dev/null ||
	fail "no never_called alert"
wait_file_match "$WORK/ev.jsonl" '.type == "health" and .what == "function" and .function == "read" and .to == "unhealthy"' 10 >/dev/null ||
	fail "read not unhealthy while stuck"
echo x >&7
exec 7>&-
wait "$run" || fail "tmrun blocker"
grep -q "ready 0" "$WORK/blocker.out" || fail "blocker: $(cat "$WORK/blocker.out")"
jq -e '[.alerts[] | select(.name == "stuck" and .function == "read")][0].state == "resolved"' "$WORK/stuck.json" >/dev/null ||
	fail "stuck not resolved once the call returned: $(jq -c .alerts "$WORK/stuck.json")"
expect_eq "never_called: work_noop health (info does not count)" \
	"$(jq -r '.symbols[] | select(.name == "work_noop") | .health.state' "$WORK/stuck.json")" unknown
echo "ok: stuck (resolved when the call returned) and never_called"

# maintenance: the same failures, no alert fires, health says maintenance
"$TMRUN" -q -c "$DATA/health.json" --maintenance 'phase_*=1h' -o "$WORK/mt.json" -- \
	"$TARGETS/phases" 200:500:2 200:500:4:50 >/dev/null || fail "tmrun maintenance"
expect_eq "maintenance: failures counted" "$(field "$WORK/mt.json" phase_work failed)" 400
expect_eq "maintenance: alerts" "$(jq '[.alerts[] | select(.function == "phase_work")] | length' "$WORK/mt.json")" 0
expect_eq "maintenance: health" "$(jq -r '.symbols[0].health.state' "$WORK/mt.json")" maintenance
# an entry that expired long ago changes nothing
cat >"$WORK/old.json" <<'J'
{"maintenance": [{"function": "phase_*", "until": "2020-01-01T00:00:00Z", "reason": "old"}]}
J
"$TMRUN" -q -c "$DATA/health.json" --rules "$WORK/old.json" -o "$WORK/old.out.json" -- \
	"$TARGETS/phases" 200:500:2 200:500:4:50 >/dev/null || fail "tmrun expired maintenance"
jq -e '[.alerts[] | select(.name == "phase_errors")] | length >= 1' "$WORK/old.out.json" >/dev/null ||
	fail "an expired maintenance entry silenced the alert"
echo "ok: maintenance silences, an expired entry does not"
