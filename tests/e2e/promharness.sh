#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Self-test of lib_prom.sh, with no tm in it: Prometheus scrapes a static
# exposition served by python3 -m http.server and an alerting rule on it
# reaches Alertmanager; an alert POSTed to Alertmanager is listed and
# delivered to the webhook; start_tmcollect_http finds a stand-in with
# tmcollect's --listen/--port-file interface, and httphostile.py runs a few
# of its cases against it. Every server listened on 127.0.0.1 only
# and is gone once the script exits, whether it ends normally, by SIGTERM
# or by SIGKILL. Bounded: the whole run takes well under 30 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

# pids of the servers a run started, from its "server NAME PID" lines
pids_of() { awk '$1 == "server" { print $3 }' "$1"; }

# listening sockets of PID are all on 127.0.0.1
expect_loopback_only() {
	local name=$1 pid=$2 addrs
	addrs=$(ss -ltnpH | awk -v p="pid=$pid," 'index($0, p) { print $4 }' | sort -u | tr '\n' ' ')
	[ -n "$addrs" ] || fail "$name (pid $pid) listens nowhere"
	for a in $addrs; do
		case "$a" in 127.0.0.1:*) ;; *) fail "$name (pid $pid) listens on $a" ;; esac
	done
	echo "ok: $name listens on ${addrs% } only"
}

inner_full() {
	local dir="$WORK/static" port rules posted now
	mkdir "$dir"
	printf '# HELP demo_total A counter for the harness.\n# TYPE demo_total counter\ndemo_total 42\n' >"$dir/metrics"
	port=$(free_port)
	tm_bg static python3 -m http.server --bind 127.0.0.1 "$port" -d "$dir"
	echo "server static $TM_BG_PID"
	wait_http "http://127.0.0.1:$port/metrics" 10 "$TM_BG_PID" || fail "http.server did not start"
	expect_loopback_only http.server "$TM_BG_PID"

	start_webhook_sink
	echo "server webhook $TM_BG_PID"
	start_alertmanager "$WEBHOOK_URL"
	echo "server alertmanager $AM_PID"
	expect_loopback_only Alertmanager "$AM_PID"

	rules="$WORK/rules.yml"
	cat >"$rules" <<-'EOF'
		groups:
		  - name: harness
		    rules:
		      - alert: DemoHigh
		        expr: demo_total > 40
		        labels:
		          severity: info
		        annotations:
		          summary: 'demo_total is {{ $value }}'
	EOF
	promtool check rules "$rules" >/dev/null || fail "promtool check rules $rules"
	PROM_RULE_FILES=$rules start_prometheus "127.0.0.1:$port" demo
	echo "server prometheus $PROM_PID"
	expect_loopback_only Prometheus "$PROM_PID"

	prom_wait_for 'up{job="demo"}' '. == 1' 10 >/dev/null || fail "target never up"
	expect_eq "prom_target_health demo" "$(prom_target_health demo)" up
	expect_eq "prom_target_error demo" "$(prom_target_error demo)" ""
	prom_wait_for demo_total '. == 42' 10 >/dev/null || fail "demo_total never 42"
	expect_eq "prom_query demo_total" "$(prom_query demo_total)" 42
	expect_eq "prom_query scalar(demo_total) * 2" "$(prom_query 'scalar(demo_total) * 2')" 84
	expect_eq "prom_query of a missing series" "$(prom_query nothing_here_total)" ""
	if prom_query 'demo_total{' 2>/dev/null; then fail "a bad query did not fail"; fi
	echo "ok: a bad query fails"

	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	posted='[{"labels":{"alertname":"HarnessSelfTest","severity":"none"},"annotations":{"summary":"posted by promharness.sh"},"startsAt":"'"$now"'"}]'
	am_post_alerts "$posted" || fail "POST /api/v2/alerts"
	expect_eq "Alertmanager lists the posted alert" \
		"$(am_alerts '[.[] | select(.labels.alertname == "HarnessSelfTest") | .annotations.summary] | .[0]')" \
		'"posted by promharness.sh"'
	wait_file_match "$WEBHOOK_LOG" '.alerts[]?.labels.alertname == "HarnessSelfTest"' 10 >/dev/null ||
		fail "the posted alert never reached the webhook"
	echo "ok: the posted alert reached the webhook"
	wait_file_match "$WEBHOOK_LOG" \
		'.status == "firing" and (.alerts[]?.labels | .alertname == "DemoHigh" and .job == "demo")' 15 >/dev/null ||
		fail "DemoHigh never went Prometheus -> Alertmanager -> webhook"
	echo "ok: DemoHigh went Prometheus -> Alertmanager -> webhook"
	expect_eq "ALERTS in Prometheus" "$(prom_query 'ALERTS{alertname="DemoHigh",alertstate="firing"}')" 1
}

# start_tmcollect_http against a stand-in with tmcollect's interface
# (--listen ADDR:0, --port-file FILE written once listening), then the
# hostile client's bounded self-check of a few cases against it
inner_stub() {
	local stub="$WORK/stub-tmcollect" dir="$WORK/stubroot"
	mkdir "$dir"
	echo ok >"$dir/healthz"
	printf '# TYPE demo_total counter\ndemo_total 7\n' >"$dir/metrics"
	cat >"$stub" <<-EOF
		#!/usr/bin/env python3
		import functools, http.server, os, sys
		a = sys.argv[1:]
		assert a[0] == "--listen" and a[1] == "127.0.0.1:0" and a[2] == "--port-file", a
		h = functools.partial(http.server.SimpleHTTPRequestHandler, directory="$dir")
		s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
		with open(a[3] + ".tmp", "w") as f:
		    f.write("%d\n" % s.server_address[1])
		os.rename(a[3] + ".tmp", a[3])
		s.serve_forever()
	EOF
	chmod +x "$stub"
	TMCOLLECT=$stub start_tmcollect_http --session stub
	echo "server stub $TM_HTTP_PID"
	expect_loopback_only "stand-in tmcollect" "$TM_HTTP_PID"
	expect_eq "stand-in /metrics" "$(curl -sf "$TM_HTTP_URL/metrics" | tail -n 1)" "demo_total 7"
	python3 "$(dirname "$SELF")/httphostile.py" 127.0.0.1 "$TM_HTTP_PORT" --budget 10 \
		--only baseline_healthz,garbage_bytes,huge_header_1mib,unknown_path_404,dotdot_path \
		>"$WORK/hostile.out" || { cat "$WORK/hostile.out" >&2; fail "httphostile.py against http.server"; }
	expect_eq "httphostile.py cases ok against http.server" "$(grep -c '^ok ' "$WORK/hostile.out")" 5
}

# starts Prometheus, says so, then waits to be killed
inner_wait() {
	local port
	port=$(free_port)
	start_prometheus "127.0.0.1:$port" nothing >/dev/null
	echo "server prometheus $PROM_PID"
	echo "work $WORK"
	echo ready
	while :; do sleep 0.1; done
}

case "${1:-}" in
--inner-full) inner_full; exit 0 ;;
--inner-stub) inner_stub; exit 0 ;;
--inner-wait) inner_wait ;;
esac

# --- outer: run the inner parts as child scripts, check what they leave ----

expect_gone() {
	local why=$1 log=$2 pid deadline
	deadline=$(_tm_deadline 10)
	for pid in $(pids_of "$log"); do
		while [ -e "/proc/$pid" ] && _tm_before "$deadline"; do sleep 0.05; done
		[ -e "/proc/$pid" ] && fail "$why: pid $pid still running"
	done
	echo "ok: $why: its $(pids_of "$log" | wc -l) servers are gone"
}

echo "== the harness end to end"
bash "$SELF" --inner-full | tee "$WORK/full.log" || fail "inner run failed"
[ "$(pids_of "$WORK/full.log" | wc -l)" = 4 ] || fail "expected 4 servers in the inner run"
expect_gone "after a normal exit" "$WORK/full.log"

echo "== start_tmcollect_http and httphostile.py against a stand-in"
bash "$SELF" --inner-stub | tee "$WORK/stub.log" || fail "inner stub run failed"
expect_gone "after the stand-in run" "$WORK/stub.log"

for sig in TERM KILL; do
	echo "== the script ended by SIG$sig"
	bash "$SELF" --inner-wait >"$WORK/$sig.log" 2>&1 &
	child=$!
	deadline=$(_tm_deadline 20)
	until grep -qx ready "$WORK/$sig.log"; do
		_tm_before "$deadline" && kill -0 "$child" 2>/dev/null ||
			{ cat "$WORK/$sig.log" >&2; fail "inner run did not get ready"; }
		sleep 0.05
	done
	kill "-$sig" "$child"
	wait "$child" 2>/dev/null || true
	expect_gone "after SIG$sig" "$WORK/$sig.log"
	# a script killed with SIGKILL cannot remove its own $WORK
	inner_work=$(awk '$1 == "work" { print $2 }' "$WORK/$sig.log")
	case "$inner_work" in /tmp/tm-e2e.*) rm -rf "$inner_work" ;; esac
done

[ "$SECONDS" -lt 30 ] || fail "took $SECONDS s, the bound is 30"
echo "ok: done in $SECONDS s"
