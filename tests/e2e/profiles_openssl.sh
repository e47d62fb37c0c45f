#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The openssl profile with no configuration, on openssl s_server and
# s_client over loopback (a throwaway self-signed certificate, free ports,
# TLS 1.3, no session tickets). What the return value says is judged; what
# only SSL_get_error could say is not:
# - the client fetching s_server -www's page: one SSL_write ok with the
#   request's 18 bytes, SSL_read's bytes = what s_client printed, its one
#   failure the peer's close_notify (a 0 with errno unset, errno_0: the
#   hook cannot tell a clean close from a TLS failure), no would_block on
#   a blocking socket, SSL_shutdown ok;
# - the server (s_server, one connection) reading "hello\n": SSL_accept
#   ok, SSL_read 6 bytes ok then the client's close_notify;
# - a server that requires a client certificate and gets none: SSL_accept
#   and the SSL_do_handshake inside it fail once each, as s_server says;
# - s_client -nbio: its non-blocking reads and writes that would block
#   (errno EAGAIN) are would_block, never failures.
. "$(dirname "$0")/lib.sh"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>"$WORK/req.err" ||
	fail "openssl req: $(cat "$WORK/req.err")"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkfifo "$WORK/tty"
SRV=(openssl s_server -accept 127.0.0.1:0 -cert "$WORK/cert.pem" -key "$WORK/key.pem"
	-naccept 1 -num_tickets 0)

# serve NAME [TMRUN] ARGS...: starts s_server (under tmrun when the second
# word is "tmrun"), its input a FIFO it holds open itself (never EOF),
# and sets port once it listens
serve() {
	local n=$1
	shift
	if [ "$1" = tmrun ]; then
		shift
		timeout 120 "$TMRUN" -q -s 'SSL_*' -o "$WORK/$n.json" -- "${SRV[@]}" "$@" \
			0<>"$WORK/tty" >"$WORK/$n.log" 2>&1 &
	else
		timeout 120 "${SRV[@]}" "$@" 0<>"$WORK/tty" >"$WORK/$n.log" 2>&1 &
	fi
	srv=$!
	pids+=($srv)
	port=""
	for _ in $(seq 1 300); do
		port=$(grep -so '^ACCEPT 127.0.0.1:[0-9]*' "$WORK/$n.log" | cut -d: -f2) || true
		[ -n "$port" ] && return 0
		kill -0 $srv 2>/dev/null || fail "s_server died: $(cat "$WORK/$n.log")"
		sleep 0.1
	done
	fail "s_server did not start: $(cat "$WORK/$n.log")"
}
schema() {
	python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$1" >/dev/null || fail "schema $1"
}

# 1. the client, a clean exchange
serve www -www
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 60 "$TMRUN" -q -s 'SSL_*' -o "$WORK/c.json" -- \
	openssl s_client -quiet -connect "127.0.0.1:$port" >"$WORK/c.out" 2>"$WORK/c.err" ||
	fail "s_client: $(cat "$WORK/c.err")"
wait $srv
grep -q '^HTTP/1.0 200 ok' "$WORK/c.out" || fail "s_client's output: $(head -3 "$WORK/c.out")"
s=$WORK/c.json
schema "$s"
expect_eq "client: SSL_write ok" "$(field "$s" SSL_write ok)" 1
expect_eq "client: SSL_write bytes (the request)" "$(field "$s" SSL_write bytes)" 18
expect_eq "client: SSL_write errors other than errno_0 (0-byte writes)" \
	"$(jq --arg n SSL_write '[.symbols[] | select(.name == $n) | .errors | keys[] |
		select(. != "errno_0")] | length' "$s")" 0
expect_eq "client: SSL_read bytes = s_client's output" "$(field "$s" SSL_read bytes)" \
	"$(wc -c <"$WORK/c.out")"
[ "$(field "$s" SSL_read ok)" -ge 1 ] || fail "no SSL_read ok"
expect_eq "client: SSL_read failed (the close_notify)" "$(field "$s" SSL_read 'errors | tojson')" \
	'{"errno_0":1}'
expect_eq "client: no would_block on a blocking socket" "$(field "$s" SSL_read outcome_calls)" 0
expect_eq "client: SSL_shutdown ok" "$(field "$s" SSL_shutdown ok)" 1
expect_eq "client: SSL_new ok" "$(field "$s" SSL_new ok)" 1

# 2. the server, a clean exchange
serve srv tmrun
printf 'hello\n' | timeout 60 openssl s_client -connect "127.0.0.1:$port" >"$WORK/c2.out" 2>&1 ||
	fail "s_client: $(cat "$WORK/c2.out")"
wait $srv
s=$WORK/srv.json
schema "$s"
grep -q '^hello$' "$WORK/srv.log" || fail "s_server's output: $(cat "$WORK/srv.log")"
expect_eq "server: SSL_accept ok" "$(field "$s" SSL_accept ok)" 1
expect_eq "server: SSL_accept failed" "$(field "$s" SSL_accept failed)" 0
expect_eq "server: SSL_read ok" "$(field "$s" SSL_read ok)" 1
expect_eq "server: SSL_read bytes" "$(field "$s" SSL_read bytes)" 6
expect_eq "server: SSL_read failed (the close_notify)" "$(field "$s" SSL_read failed)" 1
expect_eq "server: SSL_CTX_check_private_key ok" "$(field "$s" SSL_CTX_check_private_key ok)" 1

# 3. a handshake that fails: no client certificate for a server that needs one
serve hs tmrun -Verify 1 -verify_return_error
printf 'hello\n' | timeout 60 openssl s_client -connect "127.0.0.1:$port" >"$WORK/c3.out" 2>&1 || true
wait $srv || true
grep -q 'peer did not return a certificate' "$WORK/hs.log" || fail "s_server: $(cat "$WORK/hs.log")"
s=$WORK/hs.json
schema "$s"
expect_eq "handshake: SSL_accept calls" "$(calls "$s" SSL_accept)" 1
expect_eq "handshake: SSL_accept failed" "$(field "$s" SSL_accept failed)" 1
expect_eq "handshake: SSL_accept errors" "$(field "$s" SSL_accept 'errors | tojson')" '{"errno_0":1}'
expect_eq "handshake: SSL_do_handshake failed" "$(field "$s" SSL_do_handshake failed)" 1
expect_eq "handshake: no SSL_read" "$(calls "$s" SSL_read)" 0

# 4. non-blocking: would_block is not a failure
serve nb -www
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 60 "$TMRUN" -q -s 'SSL_*' -o "$WORK/nb.json" -- \
	openssl s_client -nbio -quiet -connect "127.0.0.1:$port" >"$WORK/nb.out" 2>"$WORK/nb.err" ||
	fail "s_client -nbio: $(cat "$WORK/nb.err")"
wait $srv
s=$WORK/nb.json
schema "$s"
expect_eq "nbio: SSL_read bytes = output" "$(field "$s" SSL_read bytes)" "$(wc -c <"$WORK/nb.out")"
expect_eq "nbio: SSL_read errors (the close_notify)" "$(field "$s" SSL_read 'errors | tojson')" \
	'{"errno_0":1}'
expect_eq "nbio: would_block only EAGAIN" \
	"$(jq '[.symbols[] | .outcomes | to_entries[] | select(.key != "would_block")] | length' "$s")" 0
expect_eq "nbio: no EAGAIN among the errors" \
	"$(jq '[.symbols[] | .errors.EAGAIN // 0] | add' "$s")" 0
expect_no_segments
