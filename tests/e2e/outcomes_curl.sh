#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Non-blocking connect is not 100% broken. curl connects to loopback ports,
# some listening (python3 http.server), some refused (ports bound by a
# helper that never listens, so nothing else can take them), and to a Unix
# socket that does not exist. curl's non-blocking connects return
# EINPROGRESS whether they will connect or be refused (the answer comes
# later through poll and SO_ERROR): they are counted as in_progress, not as
# failures and not in the error rate; the Unix socket's ENOENT is a
# failure. Oracle: strace's view of what each connect returned, curl's own
# error messages and the server's log.
. "$(dirname "$0")/lib.sh"
L=5 R=8 U=2
mkdir "$WORK/www"
echo hello >"$WORK/www/index.html"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/http.log" 2>&1 &
srv=$!
# three ports bound and never listened on: connects to them are refused
python3 -u -c '
import socket, time
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
time.sleep(300)  # the test kills it; bounded in any case
' >"$WORK/closed.ports" 2>&1 &
helper=$!
trap 'kill $srv $helper 2>/dev/null; rm -rf "$WORK"' EXIT
port="" closed=""
for _ in $(seq 1 300); do # both print once they are ready
	[ -z "$port" ] && port=$(grep -o 'port [0-9]*' "$WORK/http.log" | head -1 | cut -d' ' -f2 || true)
	[ -z "$closed" ] && closed=$(grep -E '^[0-9]+ [0-9]+ [0-9]+$' "$WORK/closed.ports" || true)
	[ -n "$port" ] && [ -n "$closed" ] && break
	kill -0 $srv 2>/dev/null || fail "http.server died: $(cat "$WORK/http.log")"
	sleep 0.1
done
[ -n "$port" ] && [ -n "$closed" ] || fail "servers did not start"
read -r c1 c2 c3 <<<"$closed"

# one curl per URL: listening ones L times, refused ones R times, then the
# missing Unix socket U times
{
	echo 'set +e'
	for _ in $(seq 1 $L); do
		echo "curl -sS --max-time 10 -o /dev/null http://127.0.0.1:$port/"
	done
	for i in $(seq 1 $R); do
		p=$c1
		[ $((i % 3)) = 1 ] && p=$c2
		[ $((i % 3)) = 2 ] && p=$c3
		echo "curl -sS --max-time 10 -o /dev/null http://127.0.0.1:$p/"
	done
	for _ in $(seq 1 $U); do
		echo "curl -sS --max-time 10 -o /dev/null --unix-socket $WORK/nosock http://localhost/"
	done
	echo 'exit 0'
} >"$WORK/run.sh"
"$TMRUN" -s connect,poll -o "$WORK/s.json" -- \
	strace -f -qq -e trace=connect -o "$WORK/trace" sh "$WORK/run.sh" 2>"$WORK/curl.err"
# tmrun's table comes after the command's own messages
sed -n '/^function /,$p' "$WORK/curl.err" >"$WORK/table"
sed -i '/^function /,$d' "$WORK/curl.err"
s=$WORK/s.json
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$s" >/dev/null || fail "schema"

# what happened, by curl and the server
expect_eq "refused, as curl says" "$(grep -c 'curl: (7)' "$WORK/curl.err" || true)" $((R + U))
expect_eq "requests served" "$(grep -c '"GET / HTTP' "$WORK/http.log" || true)" $L

# what connect returned, by strace: curl's own connects (not libc's
# internal ones to nscd, which no GOT sees)
ours() { grep -E "connect\([0-9]+, \{sa_family=AF_INET, .*htons\(($port|$c1|$c2|$c3)\)|sun_path=\"$WORK/nosock\"" "$WORK/trace"; }
ours >"$WORK/ours" || true
inprog=$(grep -c '= -1 EINPROGRESS' "$WORK/ours" || true)
zero=$(grep -c ') = 0$' "$WORK/ours" || true)
refused_now=$(grep -c '= -1 ECONNREFUSED' "$WORK/ours" || true)
enoent=$(grep -c '= -1 ENOENT' "$WORK/ours" || true)
total=$(wc -l <"$WORK/ours")
echo "strace: $total connects: $inprog EINPROGRESS, $zero connected at once, $refused_now refused at once, $enoent ENOENT"
expect_eq "strace: every connect accounted for" $((inprog + zero + refused_now + enoent)) "$total"
expect_eq "strace: ENOENT" "$enoent" $U
[ "$inprog" -ge 1 ] || fail "no non-blocking connect seen"

if [ "$(calls "$s" connect)" != "$total" ]; then # which process lost its call
	echo "strace pids: $(awk '{print $1}' "$WORK/ours" | sort -n | tr '\n' ' ')"
	jq -c '.processes[] | {pid, exe, status, connect: (.symbols.connect.calls // 0)}' "$s"
	jq -c '{processes_without_calls, loss: .totals.loss}' "$s" || true
	grep -v '^curl: (7)' "$WORK/curl.err" | head -20
fi
expect_eq "connect calls = strace" "$(calls "$s" connect)" "$total"
expect_eq "connect in_progress = strace EINPROGRESS" \
	"$(field "$s" connect 'outcomes.in_progress.calls // 0')" "$inprog"
expect_eq "connect in_progress codes" \
	"$(field "$s" connect 'outcomes.in_progress.codes.EINPROGRESS // 0')" "$inprog"
expect_eq "connect ok = strace 0" "$(field "$s" connect ok)" "$zero"
expect_eq "connect failed = strace refused at once + ENOENT" "$(field "$s" connect failed)" \
	$((refused_now + enoent))
expect_eq "connect errors name no EINPROGRESS" "$(field "$s" connect 'errors.EINPROGRESS // 0')" 0
expect_eq "connect errors.ENOENT" "$(field "$s" connect 'errors.ENOENT')" "$enoent"
expect_eq "connect error_rate = failed / (ok + failed)" \
	"$(field "$s" connect error_rate)" \
	"$(jq -n "$((refused_now + enoent)) / $((zero + refused_now + enoent))")"
expect_eq "totals.failed" "$(jqv "$s" .totals.failed)" $((refused_now + enoent))
expect_eq "process failed" "$(jq '[.processes[].symbols.connect.failed // 0] | add' "$s")" \
	$((refused_now + enoent))

# the table: the connect row's errors, its outcomes under it, poll marked
# as blocking, calls/s over the run; tmreport prints the same from the file
TMREPORT="$TM_BUILD/tools/tmreport"
"$TMREPORT" "$s" >"$WORK/report"
for t in table report; do
	head -1 "$WORK/$t" | grep -q '^function  *calls  *calls/s  *failed .* %time  *errors$' ||
		fail "$t: header $(head -1 "$WORK/$t")"
	grep -q "^connect .*  ENOENT $enoent\$" "$WORK/$t" || fail "$t: connect's errors: $(cat "$WORK/$t")"
	expect_eq "$t: under connect" "$(grep -A1 '^connect ' "$WORK/$t" | tail -1)" \
		"    in_progress $inprog (EINPROGRESS, not failures)"
	grep -q '^poll\* .* -$' "$WORK/$t" || fail "$t: poll not marked blocking: $(cat "$WORK/$t")"
	grep -q '^note: \* blocking' "$WORK/$t" || fail "$t: no blocking note"
	grep -q '^note: outcomes' "$WORK/$t" || fail "$t: no outcomes note"
done
expect_eq "tmreport's rows = tmrun's (calls/s aside)" \
	"$(awk '/^(connect|poll)/ {$3 = ""; print}' "$WORK/report")" \
	"$(awk '/^(connect|poll)/ {$3 = ""; print}' "$WORK/table")"
rate=$(jq -r '(.symbols[] | select(.name == "connect") | .calls) / (.duration_ns / 1e9)' "$s")
want=$(awk -v r="$rate" 'BEGIN { printf(r < 10 ? "%.2f" : r < 1e6 ? "%.1f" : "%.3g", r) }')
expect_eq "tmreport: connect calls/s over the run" "$(awk '$1 == "connect" {print $3}' "$WORK/report")" \
	"$want"
expect_no_segments
