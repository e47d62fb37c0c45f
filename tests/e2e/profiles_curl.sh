#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The curl profile with no configuration: the curl CLI (libcurl) fetching
# from a local python3 http.server is ok; connecting to a loopback port
# that nothing listens on (bound by a helper that never listens, so nothing
# else can take it) fails curl_easy_perform once with CURLE_COULDNT_CONNECT
# by name, in the network category, as curl's own exit status 7 says; the
# multi interface underneath is ok (CURLM_OK) in both. A 404 with --fail is
# CURLE_HTTP_RETURNED_ERROR (exit 22).
. "$(dirname "$0")/lib.sh"
mkdir "$WORK/www"
echo hello >"$WORK/www/index.html"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/http.log" 2>&1 &
srv=$!
python3 -u -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
time.sleep(300)  # the test kills it; bounded in any case
' >"$WORK/closed.port" 2>&1 &
helper=$!
trap 'kill $srv $helper 2>/dev/null; rm -rf "$WORK"' EXIT
port="" closed=""
for _ in $(seq 1 300); do # both print once they are ready
	[ -z "$port" ] && port=$(grep -o 'port [0-9]*' "$WORK/http.log" | head -1 | cut -d' ' -f2 || true)
	[ -z "$closed" ] && closed=$(grep -E '^[0-9]+$' "$WORK/closed.port" || true)
	[ -n "$port" ] && [ -n "$closed" ] && break
	kill -0 $srv 2>/dev/null || fail "http.server died: $(cat "$WORK/http.log")"
	sleep 0.1
done
[ -n "$port" ] && [ -n "$closed" ] || fail "servers did not start"

# run NAME URL: curl under tmrun, curl_* monitored; sets rc
run() {
	set +e
	"$TMRUN" -q -s 'curl_*' -o "$WORK/$1.json" -- curl -sS --fail --max-time 20 \
		-o "$WORK/$1.out" "$2" 2>"$WORK/$1.err"
	rc=$?
	set -e
	python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$WORK/$1.json" >/dev/null ||
		fail "$1: schema"
}

run ok "http://127.0.0.1:$port/"
expect_eq "fetch: exit code" "$rc" 0
expect_eq "fetch: body" "$(cat "$WORK/ok.out")" hello
s=$WORK/ok.json
expect_eq "fetch: curl_easy_perform calls" "$(calls "$s" curl_easy_perform)" 1
expect_eq "fetch: curl_easy_perform ok" "$(field "$s" curl_easy_perform ok)" 1
expect_eq "fetch: curl_multi_perform failed" "$(field "$s" curl_multi_perform failed)" 0
[ "$(field "$s" curl_multi_perform ok)" -ge 1 ] || fail "curl_multi_perform not judged ok"
[ "$(field "$s" curl_easy_setopt ok)" -ge 1 ] || fail "curl_easy_setopt not judged"
expect_eq "fetch: totals.failed" "$(jqv "$s" .totals.failed)" 0

run refused "http://127.0.0.1:$closed/"
expect_eq "refused: exit code (CURLE_COULDNT_CONNECT)" "$rc" 7
grep -q '^curl: (7)' "$WORK/refused.err" || fail "curl's message: $(cat "$WORK/refused.err")"
s=$WORK/refused.json
expect_eq "refused: curl_easy_perform calls" "$(calls "$s" curl_easy_perform)" 1
expect_eq "refused: curl_easy_perform failed" "$(field "$s" curl_easy_perform failed)" 1
expect_eq "refused: errors" "$(field "$s" curl_easy_perform 'errors | tojson')" \
	'{"CURLE_COULDNT_CONNECT":1}'
expect_eq "refused: category" "$(field "$s" curl_easy_perform 'errors_by_category | tojson')" \
	'{"network":1}'
expect_eq "refused: curl_multi_perform failed (CURLM_OK: the transfer's error is in its message)" \
	"$(field "$s" curl_multi_perform failed)" 0
expect_eq "refused: totals.failed" "$(jqv "$s" .totals.failed)" 1

run missing "http://127.0.0.1:$port/missing"
expect_eq "404: exit code" "$rc" 22
expect_eq "404: errors" "$(field "$WORK/missing.json" curl_easy_perform 'errors | tojson')" \
	'{"CURLE_HTTP_RETURNED_ERROR":1}'
expect_no_segments
