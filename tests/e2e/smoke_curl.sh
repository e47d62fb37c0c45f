#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Smoke: curl fetching a 3 MB file from a local python3 http.server, every
# curl_* function, the socket calls, poll, malloc and free hooked. The file
# arrives intact with the same exit code; send/recv/poll equal strace's
# sendto/recvfrom/poll, connect equals the AF_INET connects, and a failing
# fetch (404 with --fail) is judged the same way natively and monitored.
. "$(dirname "$0")/lib.sh"
mkdir "$WORK/www"
head -c 3000000 /dev/urandom >"$WORK/www/blob.bin"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/http.log" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$WORK"' EXIT
port=""
for _ in $(seq 1 300); do # the server prints its port once it listens
	port=$(grep -o 'port [0-9]*' "$WORK/http.log" | head -1 | cut -d' ' -f2) || true
	[ -n "$port" ] && break
	kill -0 $srv 2>/dev/null || fail "http.server died: $(cat "$WORK/http.log")"
	sleep 0.1
done
[ -n "$port" ] || fail "http.server did not start"
url="http://127.0.0.1:$port"

# fetch URL OUT under the shim and strace; sets rc
fetch() {
	"$TMCOLLECT" --session cu --until-idle --summary "$WORK/$2.json" &
	local coll=$!
	set +e
	strace -f -qq -e trace=connect,sendto,recvfrom,poll -o "$WORK/$2.strace" \
		env LD_PRELOAD="$SHIM" TM_SESSION=cu \
		TM_SYMBOLS='curl_*,connect,send,recv,poll,malloc,free' \
		curl -sS --fail -o "$WORK/$2.out" "$1" 2>"$WORK/$2.err"
	rc=$?
	set -e
	wait $coll
}

curl -sS -o "$WORK/native.bin" "$url/blob.bin"
fetch "$url/blob.bin" get
expect_eq "exit code" "$rc" 0
cmp "$WORK/www/blob.bin" "$WORK/get.out" || fail "downloaded file differs"
s="$WORK/get.json"
st() { grep -c " $1(" "$WORK/get.strace" || true; }
expect_eq "curl_easy_perform" "$(calls "$s" curl_easy_perform)" 1
expect_eq "send = strace sendto" "$(calls "$s" send)" "$(st sendto)"
expect_eq "recv = strace recvfrom" "$(calls "$s" recv)" "$(st recvfrom)"
expect_eq "poll = strace poll" "$(calls "$s" poll)" "$(st poll)"
expect_eq "connect = strace AF_INET connects" "$(calls "$s" connect)" \
	"$(grep -c 'connect(.*AF_INET' "$WORK/get.strace")"
expect_eq "connect EINPROGRESS (non-blocking): in_progress" \
	"$(field "$s" connect outcomes.in_progress.codes.EINPROGRESS)" 1
expect_eq "connect EINPROGRESS is not a failure" "$(field "$s" connect failed)" 0
recvd=$(field "$s" recv bytes)
[ "$recvd" -gt 3000000 ] || fail "recv bytes $recvd < body size"
echo "ok: recv bytes $recvd (body and headers)"
[ "$(jq '[.symbols[] | select(.calls > 0 and (.name | startswith("curl_")))] | length' "$s")" -ge 10 ] ||
	fail "too few curl_* functions seen"

set +e
curl -sS --fail -o /dev/null "$url/missing" 2>"$WORK/native404.err"
native_rc=$?
set -e
fetch "$url/missing" miss
expect_eq "exit code of a 404 with --fail" "$rc" "$native_rc"
cmp "$WORK/native404.err" "$WORK/miss.err" || fail "stderr differs"
expect_eq "curl_easy_perform (404)" "$(calls "$WORK/miss.json" curl_easy_perform)" 1
expect_no_segments
