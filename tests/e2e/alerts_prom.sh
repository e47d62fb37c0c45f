#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Alerts reach the tools users already run. A target fails 50% of its calls
# for 20 s between two steady phases:
# - tmcollect --alertmanager delivers phase_errors to a real Alertmanager
#   (seen in its own /api/v2/alerts with tm's labels and annotations, and
#   handed to its webhook firing, then resolved);
# - tmcollect --print-prometheus-rules passes promtool check rules, and a
#   real Prometheus loaded with those rules, scraping tmcollect, fires the
#   equivalent alert itself (its ALERTS series), then lets it go;
# - /metrics and /api/v1/alerts show the alert while it fires.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
RULES="$DATA/alerts_prom.json"

"$TMCOLLECT" -c "$RULES" --print-prometheus-rules >"$WORK/prom.yml" || fail "--print-prometheus-rules"
promtool check rules "$WORK/prom.yml" || fail "promtool check rules: $(cat "$WORK/prom.yml")"
"$TMCOLLECT" --print-prometheus-rules >"$WORK/defaults.yml"
promtool check rules "$WORK/defaults.yml" >/dev/null || fail "promtool: the defaults' rules"
grep -q 'alert: phase_errors' "$WORK/prom.yml" || fail "no phase_errors rule"
echo "ok: promtool check rules passes, for the rules and the defaults"

start_webhook_sink
start_alertmanager "$WEBHOOK_URL"
start_tmcollect_http --session ap --interval 0.5 -c "$RULES" --alertmanager "$AM_URL" \
	--summary "$WORK/s.json"
# Prometheus alerts on its own (ALERTS); it does not send to Alertmanager
# here, so what Alertmanager holds came from tmcollect
am="$AM_URL"
unset AM_URL
PROM_RULE_FILES="$WORK/prom.yml" start_prometheus "127.0.0.1:$TM_HTTP_PORT"
prom_wait_for 'up{job="tm"}' '. == 1' 20 || fail "Prometheus never scraped tmcollect"

LD_PRELOAD="$SHIM" TM_SESSION=ap TM_CONFIG="$RULES" "$TARGETS/phases" \
	200:500:4 200:500:20:50 200:500:16 >"$WORK/phases.out" &
target=$!
tm_on_exit "kill $target 2>/dev/null"

# tm's own delivery: Alertmanager lists it, with tm's labels
deadline=$(_tm_deadline 40)
got=""
while _tm_before "$deadline"; do
	got=$(curl -sf --max-time 2 "$am/api/v2/alerts" |
		jq -c '[.[] | select(.labels.alertname == "phase_errors")][0] // empty') || true
	[ -n "$got" ] && break
	sleep 0.2
done
[ -n "$got" ] || fail "Alertmanager never received phase_errors"
for kv in 'labels.severity critical' 'labels.kind error_rate' 'labels.function phase_work' \
	'labels.session ap' 'labels.team e2e' 'status.state active' \
	'annotations.runbook https://example.invalid/phase'; do
	set -- $kv
	expect_eq "Alertmanager's $1" "$(jq -r ".$1" <<<"$got")" "$2"
done
jq -r .annotations.summary <<<"$got" | grep -q 'error rate .* > 10% over 10s' ||
	fail "summary: $got"

# while it fires: /metrics and /api/v1/alerts say so (each document is
# published once an interval, so it may be one interval behind Alertmanager)
wait_until() { # WHAT TIMEOUT CMD...: until CMD succeeds
	local what=$1 deadline
	deadline=$(_tm_deadline "$2")
	shift 2
	while _tm_before "$deadline"; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "$what"
}
metrics_has() { curl -sf "$TM_HTTP_URL/metrics" | grep -q "$1"; }
wait_until "tm_alerts in /metrics: $(curl -sf "$TM_HTTP_URL/metrics" | grep tm_alerts)" 10 \
	metrics_has '^tm_alerts{session="ap",alertname="phase_errors",alertstate="firing",severity="critical",kind="error_rate",function="phase_work"} 1$'
wait_until "tm_function_health: $(curl -sf "$TM_HTTP_URL/metrics" | grep tm_function_health)" 10 \
	metrics_has '^tm_function_health{.*function="phase_work".*state="unhealthy"} 1$'
alerts_firing() { curl -sf "$TM_HTTP_URL/api/v1/alerts" | jq -e 'any(.[]; .name == "phase_errors" and .state == "firing")'; }
wait_until "/api/v1/alerts: $(curl -sf "$TM_HTTP_URL/api/v1/alerts")" 10 alerts_firing
health_bad() { curl -sf "$TM_HTTP_URL/api/v1/health" | jq -e '.session.state == "unhealthy" and (.functions[0].state == "unhealthy")'; }
wait_until "/api/v1/health: $(curl -sf "$TM_HTTP_URL/api/v1/health")" 10 health_bad
E2E="$(cd "$(dirname "$0")" && pwd)"
curl -sf "$TM_HTTP_URL/api/v1/alerts" -o "$WORK/alerts.json"
python3 "$E2E/jsonschema_check.py" urn:tm:alert:1 "$WORK/alerts.json" --array || fail "alerts schema"
curl -sf "$TM_HTTP_URL/api/v1/health" -o "$WORK/health.json"
python3 "$E2E/jsonschema_check.py" 'urn:tm:health:1#/$defs/doc' "$WORK/health.json" || fail "health schema"
echo "ok: /metrics, /api/v1/alerts and /api/v1/health while it fires"

# Prometheus fires the equivalent alert from the printed rules
prom_wait_for 'ALERTS{alertname="phase_errors",alertstate="firing",function="phase_work"}' '. == 1' 40 ||
	fail "Prometheus never fired phase_errors"
echo "ok: Prometheus fired phase_errors from the printed rules"

wait "$target" || fail "target exit status"
# resolved: the webhook gets it resolved, Prometheus lets it go
wait_file_match "$WEBHOOK_LOG" '.status == "resolved" and any(.alerts[]; .labels.alertname == "phase_errors")' 40 >/dev/null ||
	fail "Alertmanager never handed phase_errors on resolved: $(cat "$WEBHOOK_LOG")"
wait_file_match "$WEBHOOK_LOG" '.status == "firing" and any(.alerts[]; .labels.alertname == "phase_errors")' 1 >/dev/null ||
	fail "the webhook never saw it firing"
echo "ok: Alertmanager handed it on firing, then resolved"
prom_wait_for 'count(ALERTS{alertname="phase_errors",alertstate="firing"}) or vector(0)' '. == 0' 90 ||
	fail "Prometheus still fires phase_errors"
echo "ok: Prometheus resolved it"

kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID" || fail "tmcollect exit status"
read -r calls failed < <(sed -n 's/^done calls=\([0-9]*\) failed=\([0-9]*\)/\1 \2/p' "$WORK/phases.out")
expect_eq "calls" "$(calls "$WORK/s.json" phase_work)" "$calls"
expect_eq "failed" "$(field "$WORK/s.json" phase_work failed)" "$failed"
jq -e '[.alerts[] | select(.name == "phase_errors")] | length == 1 and .[0].state == "resolved"' "$WORK/s.json" >/dev/null ||
	fail "summary alerts: $(jq -c .alerts "$WORK/s.json")"
python3 "$E2E/jsonschema_check.py" urn:tm:summary:1 "$WORK/s.json" || fail "summary schema"
echo "ok: the summary has it, resolved"
