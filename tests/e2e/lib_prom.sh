# SPDX-License-Identifier: MIT
# Prometheus and Alertmanager for the end-to-end tests. Source after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/lib_prom.sh"
#
# Every server is private to the test: 127.0.0.1 only, a port the kernel
# picked, its data and log under $WORK, stopped when the script exits (also
# on SIGINT/SIGTERM/SIGHUP, and killed with the script if that is killed
# with SIGKILL). Waits poll with a deadline; none sleeps a fixed time.
#
#   free_port                          a free TCP port on 127.0.0.1
#   tm_on_exit CMD                     run CMD at exit (before lib.sh's rm -rf
#                                      $WORK; last registered runs first)
#   tm_bg NAME CMD...                  start CMD in the background, log in
#                                      $WORK/NAME.log, stopped at exit; sets
#                                      TM_BG_PID
#   wait_http URL TIMEOUT [PID]        until URL answers 2xx (fails early if
#                                      PID died)
#   start_prometheus HOST:PORT [JOB]   scrape http://HOST:PORT/metrics every 1 s
#                                      (PROM_METRICS_PATH to change the path;
#                                      PROM_RULE_FILES: rule files to load;
#                                      alerts go to $AM_URL when it is set);
#                                      exports PROM_URL, PROM_PID, PROM_JOB
#   prom_query EXPR                    value of an instant query (first sample
#                                      of a vector, or the scalar); empty when
#                                      there is no result
#   prom_wait_for EXPR PRED TIMEOUT    poll EXPR until jq PRED holds; in PRED,
#                                      `.` is the value as a number (null when
#                                      no result) and $r the whole result
#                                      array; prints the last value
#   prom_target_health [JOB]           up / down / unknown of the job's target
#   prom_target_error [JOB]            its lastError
#   start_webhook_sink                 an HTTP receiver appending each POSTed
#                                      body as one line to $WEBHOOK_LOG;
#                                      exports WEBHOOK_URL, WEBHOOK_LOG
#   start_alertmanager WEBHOOK_URL     one route, one webhook receiver (group
#                                      wait/interval 1 s), clustering off;
#                                      exports AM_URL, AM_PID
#   am_post_alerts JSON                POST a JSON list to /api/v2/alerts
#   am_alerts [JQFILTER]               GET /api/v2/alerts through jq
#   wait_file_match FILE JQPRED TIMEOUT
#                                      until a line of FILE (JSON lines)
#                                      satisfies JQPRED; prints that line
#   start_tmcollect_http [ARGS...]     $TMCOLLECT --listen 127.0.0.1:0
#                                      --port-file F ARGS in the background,
#                                      log $WORK/tmcollect.log; waits for the
#                                      port file and /healthz; exports
#                                      TM_HTTP_PORT, TM_HTTP_URL, TM_HTTP_PID
#   wait_port_file FILE TIMEOUT [PID]  until FILE holds a port number
#                                      (decimal + newline); prints it
#
# Call the start_* functions and tm_bg directly, not inside $(...): a
# server is tied to the shell that started it and dies with it.

: "${WORK:?source lib.sh first}"
for _c in prometheus promtool prometheus-alertmanager curl jq python3; do
	command -v "$_c" >/dev/null || fail "$_c not installed (tools/setup installs it)"
done
unset _c

# Time in seconds with decimals; bash 5 has it without a fork.
_tm_now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }
# _tm_before DEADLINE: true while now < DEADLINE
_tm_before() { awk -v n="$(_tm_now)" -v d="$1" 'BEGIN { exit !(n < d) }'; }
_tm_deadline() { awk -v n="$(_tm_now)" -v t="$1" 'BEGIN { printf "%.3f", n + t }'; }

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# --- exit handlers, chained with whatever EXIT trap was set before ---------

_tm_exit_base=""
_tm_exit_cmds=()
_tm_exit_armed=""

_tm_run_exit() {
	local rc=$? i
	set +e
	trap - EXIT
	for ((i = ${#_tm_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_tm_exit_cmds[i]}"
	done
	[ -z "$_tm_exit_base" ] || eval "$_tm_exit_base"
	exit "$rc"
}

tm_on_exit() {
	local cmd=$1
	if [ -z "$_tm_exit_armed" ]; then
		# the trap set so far (lib.sh: rm -rf "$WORK"), parsed back the
		# way bash printed it
		local cur
		cur=$(trap -p EXIT)
		if [ -n "$cur" ]; then
			eval "set -- $cur"
			_tm_exit_base=$3
		fi
		trap _tm_run_exit EXIT
		# a signal ends the script through exit, so the EXIT trap runs
		trap 'exit 130' INT
		trap 'exit 143' TERM
		trap 'exit 129' HUP
		_tm_exit_armed=1
	fi
	_tm_exit_cmds+=("$cmd")
}

# _tm_stop PID: TERM, up to 10 s for it to go, then KILL; reaped.
_tm_stop() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		# a child that has exited but is not reaped is a zombie: done
		[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

tm_bg() {
	local name=$1
	shift
	# pdeathsig: the server dies with this script even if the script is
	# killed with SIGKILL and no trap runs
	setpriv --pdeathsig KILL -- "$@" >"$WORK/$name.log" 2>&1 &
	TM_BG_PID=$!
	tm_on_exit "_tm_stop $TM_BG_PID"
}

# wait_http URL TIMEOUT [PID]
wait_http() {
	local url=$1 deadline pid=${3:-}
	deadline=$(_tm_deadline "$2")
	while _tm_before "$deadline"; do
		curl -sf -o /dev/null --max-time 1 "$url" && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "wait_http: process $pid exited before $url answered" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "wait_http: $url did not answer within $2 s" >&2
	return 1
}

# _tm_show_log NAME: the last lines of a server's log, to stderr
_tm_show_log() { tail -n 20 "$WORK/$1.log" >&2 2>/dev/null || true; }

# --- Prometheus -------------------------------------------------------------

start_prometheus() {
	local target=${1:?start_prometheus HOST:PORT [JOB]} job=${2:-tm} port cfg f
	port=$(free_port)
	cfg="$WORK/prometheus.yml"
	{
		echo "global:"
		echo "  scrape_interval: 1s"
		echo "  scrape_timeout: 1s"
		echo "  evaluation_interval: 1s"
		if [ -n "${PROM_RULE_FILES:-}" ]; then
			echo "rule_files:"
			for f in $PROM_RULE_FILES; do echo "  - '$f'"; done
		fi
		if [ -n "${AM_URL:-}" ]; then
			echo "alerting:"
			echo "  alertmanagers:"
			echo "    - static_configs:"
			echo "        - targets: ['${AM_URL#http://}']"
		fi
		echo "scrape_configs:"
		echo "  - job_name: '$job'"
		echo "    metrics_path: '${PROM_METRICS_PATH:-/metrics}'"
		echo "    static_configs:"
		echo "      - targets: ['$target']"
	} >"$cfg"
	promtool check config "$cfg" >"$WORK/promtool.log" 2>&1 ||
		{ cat "$WORK/promtool.log" >&2; fail "start_prometheus: bad config $cfg"; }
	mkdir -p "$WORK/prom"
	tm_bg prometheus prometheus --config.file="$cfg" --storage.tsdb.path="$WORK/prom" \
		--web.listen-address="127.0.0.1:$port" --log.level=info
	PROM_PID=$TM_BG_PID
	PROM_URL="http://127.0.0.1:$port"
	PROM_JOB=$job
	export PROM_URL PROM_PID PROM_JOB
	wait_http "$PROM_URL/-/ready" 20 "$PROM_PID" ||
		{ _tm_show_log prometheus; fail "Prometheus did not become ready"; }
	echo "ok: Prometheus ready at $PROM_URL, scraping $target (job $job)"
}

# _prom_get PATH [curl args...]: JSON from the Prometheus API
_prom_get() {
	local path=$1
	shift
	curl -sS --max-time 5 -G "$@" "$PROM_URL$path"
}

prom_query() {
	local out
	out=$(_prom_get /api/v1/query --data-urlencode "query=$1") || return 1
	if [ "$(jq -r .status <<<"$out")" != success ]; then
		echo "prom_query '$1': $(jq -r '.error // .' <<<"$out")" >&2
		return 1
	fi
	jq -r '.data | if .resultType == "vector" or .resultType == "matrix"
		then (.result[0].value[1] // empty)
		else (.result[1] // empty) end' <<<"$out"
}

# prom_wait_for EXPR PRED TIMEOUT
prom_wait_for() {
	local expr=$1 pred=$2 deadline out last=""
	deadline=$(_tm_deadline "$3")
	while _tm_before "$deadline"; do
		if out=$(_prom_get /api/v1/query --data-urlencode "query=$expr" 2>/dev/null) &&
			[ "$(jq -r .status <<<"$out" 2>/dev/null)" = success ]; then
			last=$(jq -c '.data.result' <<<"$out")
			if jq -e --argjson r "$last" '
				(if ($r | type) == "array" and ($r | length) > 0 and ($r[0] | type) == "object"
				 then $r[0].value[1]
				 elif ($r | type) == "array" and ($r | length) == 2 then $r[1]
				 else null end)
				| (if . == null then null else (try tonumber catch null) end)
				| ('"$pred"')' <<<null >/dev/null 2>&1; then
				prom_query "$expr"
				return 0
			fi
		fi
		sleep 0.2
	done
	echo "prom_wait_for: '$expr' never satisfied '$pred' within $3 s (last result: ${last:-none})" >&2
	echo "prom_wait_for: target ${PROM_JOB:-}: $(prom_target_health 2>/dev/null) $(prom_target_error 2>/dev/null)" >&2
	return 1
}

_prom_target() {
	local job=${1:-${PROM_JOB:-tm}}
	_prom_get /api/v1/targets --data-urlencode state=active |
		jq -r --arg j "$job" --arg f "$2" \
			'[.data.activeTargets[] | select(.labels.job == $j)][0][$f] // empty'
}
prom_target_health() { _prom_target "${1:-}" health; }
prom_target_error() { _prom_target "${1:-}" lastError; }

# --- webhook sink and Alertmanager ------------------------------------------

start_webhook_sink() {
	local port
	port=$(free_port)
	WEBHOOK_LOG="$WORK/webhook.jsonl"
	: >"$WEBHOOK_LOG"
	tm_bg webhook python3 -c '
import http.server, json, sys
log = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        try:
            line = json.dumps(json.loads(body), separators=(",", ":"))
        except ValueError:
            line = json.dumps({"raw": body.decode("utf-8", "replace")})
        with open(log, "a") as f:
            f.write(line + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$port" "$WEBHOOK_LOG"
	WEBHOOK_URL="http://127.0.0.1:$port/hook"
	export WEBHOOK_URL WEBHOOK_LOG
	wait_http "$WEBHOOK_URL" 10 "$TM_BG_PID" ||
		{ _tm_show_log webhook; fail "webhook sink did not start"; }
}

start_alertmanager() {
	local hook=${1:?start_alertmanager WEBHOOK_URL} port cfg
	port=$(free_port)
	cfg="$WORK/alertmanager.yml"
	cat >"$cfg" <<-EOF
		route:
		  receiver: hook
		  group_by: ['alertname']
		  group_wait: 1s
		  group_interval: 1s
		  repeat_interval: 1h
		receivers:
		  - name: hook
		    webhook_configs:
		      - url: '$hook'
		        send_resolved: true
	EOF
	mkdir -p "$WORK/am"
	tm_bg alertmanager prometheus-alertmanager --config.file="$cfg" --storage.path="$WORK/am" \
		--web.listen-address="127.0.0.1:$port" --cluster.listen-address= --log.level=info
	AM_PID=$TM_BG_PID
	AM_URL="http://127.0.0.1:$port"
	export AM_URL AM_PID
	wait_http "$AM_URL/-/ready" 20 "$AM_PID" ||
		{ _tm_show_log alertmanager; fail "Alertmanager did not become ready"; }
	echo "ok: Alertmanager ready at $AM_URL, webhook $hook"
}

am_post_alerts() {
	curl -sS -f --max-time 5 -H 'Content-Type: application/json' --data-binary "$1" \
		"$AM_URL/api/v2/alerts" -o /dev/null
}

am_alerts() {
	curl -sS -f --max-time 5 "$AM_URL/api/v2/alerts" | jq -c "${1:-.}"
}

# wait_file_match FILE JQPRED TIMEOUT
wait_file_match() {
	local file=$1 pred=$2 deadline line
	deadline=$(_tm_deadline "$3")
	while _tm_before "$deadline"; do
		if [ -s "$file" ]; then
			line=$(jq -c "select($pred)" "$file" 2>/dev/null | head -n 1)
			if [ -n "$line" ]; then
				echo "$line"
				return 0
			fi
		fi
		sleep 0.1
	done
	echo "wait_file_match: nothing in $file satisfied '$pred' within $3 s" >&2
	return 1
}

# --- tmcollect's own endpoint ------------------------------------------------

# wait_port_file FILE TIMEOUT [PID]
wait_port_file() {
	local file=$1 deadline pid=${3:-} port
	deadline=$(_tm_deadline "$2")
	while _tm_before "$deadline"; do
		# complete once the newline is there
		if [ -s "$file" ] && [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" = '\n' ]; then
			port=$(head -n 1 "$file")
			case "$port" in
			'' | *[!0-9]*) echo "wait_port_file: $file holds '$port'" >&2; return 1 ;;
			esac
			echo "$port"
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "wait_port_file: process $pid exited before writing $file" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "wait_port_file: no port in $file within $2 s" >&2
	return 1
}

start_tmcollect_http() {
	local pf="$WORK/tmcollect.port"
	rm -f "$pf"
	tm_bg tmcollect "$TMCOLLECT" --listen 127.0.0.1:0 --port-file "$pf" "$@"
	TM_HTTP_PID=$TM_BG_PID
	TM_HTTP_PORT=$(wait_port_file "$pf" 20 "$TM_HTTP_PID") ||
		{ _tm_show_log tmcollect; fail "tmcollect wrote no port file"; }
	TM_HTTP_URL="http://127.0.0.1:$TM_HTTP_PORT"
	export TM_HTTP_PORT TM_HTTP_URL TM_HTTP_PID
	wait_http "$TM_HTTP_URL/healthz" 10 "$TM_HTTP_PID" ||
		{ _tm_show_log tmcollect; fail "tmcollect does not answer /healthz"; }
	echo "ok: tmcollect serving $TM_HTTP_URL"
}
