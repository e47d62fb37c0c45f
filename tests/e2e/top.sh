#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmtop in a real terminal: tmux (a private server, 120x40, TERM set) runs
# it over a target calling work_noop twice and clock_nanosleep once per
# millisecond. Rows appear and their counts rise; sort and filter keys
# change the screen; Enter shows the detail pane with histogram bars; the
# window, help and resize; q exits 0 with the terminal given back (the
# alternate screen left, the cursor shown). The same over --connect to a
# tmcollect --listen. Batch mode: the last refresh's counts equal the
# target's own and the collector's summary; -n and --jsonl. Bad input
# (nothing listening, garbage, a wrong document): one line, exit 1.
# Every wait polls a condition with a deadline; none sleeps a fixed time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
TMTOP="$TM_BUILD/tools/tmtop"
PACED="$TM_BUILD/tests/bench_paced"
command -v tmux >/dev/null || fail "tmux not installed (tools/setup installs it)"
SOCK="tm-e2e-top-$$"
tmx() { tmux -L "$SOCK" "$@"; }
tm_on_exit "tmux -L $SOCK kill-server >/dev/null 2>&1 || true"
export LANG=C.UTF-8 LC_ALL=C.UTF-8

# paced SESSION RATE SECONDS: the target, in the background (TM_BG_PID)
paced() {
	tm_bg "paced-$1" env LD_PRELOAD="$SHIM" TM_SESSION="$1" TM_SYMBOLS=work_noop,clock_nanosleep \
		"$PACED" "$2" "$3"
}

# top NAME CMD...: CMD in a new tmux session NAME (120x40); its exit
# status goes to $WORK/NAME.rc, then the pane stays open
top() {
	local name=$1
	shift
	rm -f "$WORK/$name.rc"
	tmx new-session -d -x 120 -y 40 -s "$name" \
		"env TERM=xterm-256color TM_DIR='$TM_DIR' $*; echo \$? >'$WORK/$name.rc'; echo TMTOP-EXITED; exec cat"
}

screen() { tmx capture-pane -p -t "$1"; }

# wait_screen NAME ERE TIMEOUT: until a line of the screen matches
wait_screen() {
	local deadline s
	deadline=$(_tm_deadline "$3")
	while _tm_before "$deadline"; do
		s=$(screen "$1" 2>/dev/null) || s=""
		grep -qE -- "$2" <<<"$s" && return 0
		sleep 0.1
	done
	echo "--- screen of $1 ---" >&2
	echo "$s" >&2
	fail "$1: nothing matched /$2/ within $3 s"
}

# wait_gone NAME ERE TIMEOUT: until no line matches
wait_gone() {
	local deadline s
	deadline=$(_tm_deadline "$3")
	while _tm_before "$deadline"; do
		s=$(screen "$1" 2>/dev/null) || s=""
		grep -qE -- "$2" <<<"$s" || return 0
		sleep 0.1
	done
	echo "$s" >&2
	fail "$1: /$2/ still on screen after $3 s"
}

# field NAME FUNCTION TITLE: the value under column TITLE in FUNCTION's row
field() {
	screen "$1" | awk -v fn="$2" -v col="$3" '
		/^FUNCTION / { for (i = 1; i <= NF; i++) { t = $i; gsub(/[▲▼]/, "", t); if (t == col) c = i } }
		c && $1 == fn { print $c; exit }'
}

# the first function row under the column header
first_row() {
	screen "$1" | awk '/^FUNCTION / { getline; print $1; exit }'
}

# wait_first NAME FUNCTION TIMEOUT: until FUNCTION is the first row
wait_first() {
	local deadline
	deadline=$(_tm_deadline "$3")
	while _tm_before "$deadline"; do
		[ "$(first_row "$1")" = "$2" ] && { echo "ok: $1: $2 first"; return 0; }
		sleep 0.1
	done
	screen "$1" >&2
	fail "$1: $2 is not the first row after $3 s"
}

# wait_rc NAME TIMEOUT: tmtop's exit status, once it has exited
wait_rc() {
	local deadline
	deadline=$(_tm_deadline "$2")
	while _tm_before "$deadline"; do
		[ -s "$WORK/$1.rc" ] && { cat "$WORK/$1.rc"; return 0; }
		sleep 0.1
	done
	screen "$1" >&2
	fail "$1: tmtop did not exit within $2 s"
}

expect_restored() {
	wait_screen "$1" '^TMTOP-EXITED$' 10
	! screen "$1" | grep -q 'CALLS/S' || fail "$1: the view is still on screen after exit"
	expect_eq "$1: alternate screen left" "$(tmx display -p -t "$1" '#{alternate_on}')" 0
	expect_eq "$1: cursor shown" "$(tmx display -p -t "$1" '#{cursor_flag}')" 1
}

# ---- the local view ----------------------------------------------------------
paced top1 2000 600
target=$TM_BG_PID
top local "$TMTOP" --session top1 -d 0.5
wait_screen local '^work_noop +[0-9.k]+ ' 30
wait_screen local '^clock_nanosleep +[0-9.k]+ ' 30
echo "ok: rows appear"
c1=$(field local work_noop CALLS)
deadline=$(_tm_deadline 20)
while c2=$(field local work_noop CALLS) && [ "$c2" = "$c1" ] && _tm_before "$deadline"; do
	sleep 0.1
done
[ "$c2" -gt "$c1" ] 2>/dev/null || fail "work_noop calls did not rise: $c1 -> $c2"
echo "ok: calls rise ($c1 -> $c2)"

# calls/s: work_noop is called twice as often (once a second is sealed);
# p99 and p50: clock_nanosleep sleeps 1 ms
wait_screen local '^FUNCTION +CALLS/S▼' 5
wait_first local work_noop 20
tmx send-keys -t local P
wait_screen local '^FUNCTION .* P99▼' 5
wait_first local clock_nanosleep 5
tmx send-keys -t local r
wait_screen local '^FUNCTION .* P99▲' 5
wait_first local work_noop 5
tmx send-keys -t local '<'
wait_screen local '^FUNCTION .* P50▼' 5
wait_first local clock_nanosleep 5

tmx send-keys -t local / n a n o Enter
wait_screen local "filter 'nano'  1/2" 5
wait_gone local '^work_noop ' 5
wait_first local clock_nanosleep 5
tmx send-keys -t local / Escape
wait_screen local '^work_noop ' 5
tmx send-keys -t local / p i d : 1 Enter
wait_screen local 'no function matches the filter' 5
tmx send-keys -t local / C-u
tmx send-keys -t local BSpace BSpace BSpace BSpace BSpace "pid:$target" Enter
wait_screen local "filter 'pid:$target'  2/2" 5
tmx send-keys -t local / Escape
echo "ok: sorting and filtering change the screen"

tmx send-keys -t local Home Enter # the first row: clock_nanosleep (sorted by p50)
wait_screen local '^clock_nanosleep  libc\.so\.6  session top1' 5
wait_screen local '^latency, last minute: [1-9][0-9]* calls' 10
wait_screen local '≤[0-9.]+[num]?s █' 10
wait_screen local "(^| )$target +[0-9]+ +0 +[0-9.]+[mun]?s +bench_paced" 10
echo "ok: the detail pane shows the histogram and the process"
tmx send-keys -t local Escape
wait_screen local '^FUNCTION ' 5

tmx send-keys -t local w
wait_screen local 'window since start' 5
tmx send-keys -t local w
wait_screen local 'window last 1s' 5
tmx send-keys -t local w h
wait_screen local '^tmtop keys' 5
tmx send-keys -t local x
wait_screen local '^FUNCTION ' 5
echo "ok: window and help"

tmx resize-window -t local -x 80 -y 24
wait_screen local '^FUNCTION +CALLS/S +ERR% +P50▼ +P99 +CALLS HEALTH +LAST 60s$' 10
longest=$(screen local | wc -L)
[ "$longest" -le 80 ] || fail "a line of $longest characters in 80 columns"
tmx resize-window -t local -x 120 -y 40
wait_screen local '^FUNCTION .* P99\.9 ' 10
echo "ok: resized to 80x24 and back"

tmx send-keys -t local q
expect_eq "tmtop exit status after q" "$(wait_rc local 10)" 0
expect_restored local

# ---- --connect to tmcollect --listen -----------------------------------------
start_tmcollect_http --session top2 --interval 0.25
paced top2 2000 600
top remote "$TMTOP" --connect "127.0.0.1:$TM_HTTP_PORT" -d 0.5
wait_screen remote "^tmtop  top2  127\.0\.0\.1:$TM_HTTP_PORT" 20
wait_screen remote '^work_noop +[0-9.k]+ ' 30
wait_screen remote '^clock_nanosleep +[0-9.k]+ ' 30
tmx send-keys -t remote Enter
wait_screen remote '^latency, whole run: [1-9][0-9]* calls' 10
wait_screen remote '≤[0-9.]+[num]?s █' 10
tmx send-keys -t remote Escape q
expect_eq "tmtop --connect exit status" "$(wait_rc remote 10)" 0
expect_restored remote
echo "ok: --connect shows the same view"
_tm_stop "$TM_HTTP_PID"

# ---- a collector that relays hostile names, and has no histogram in its
# summary (an older one): the names arrive terminal-safe, the detail pane
# falls back to the /metrics buckets
fport=$(free_port)
tm_bg fake python3 -c '
import http.server, json, sys
name = "evil\x1b[2J\x07name"
summary = {"schema": "tm.summary/1", "session": "fake\x1b]0;title\x07", "duration_ns": 5000000000,
    "start_realtime_ns": 1796126400000000000,
    "symbols": [{"name": name, "object": "lib\x9bx.so", "session": "fake", "rule": True,
        "calls": 1000, "ok": 990, "failed": 10, "total_ns": 5000000, "p50_ns": 4000,
        "p99_ns": 9000, "p999_ns": 9900, "max_ns": 12000, "in_flight": 0,
        "errors": {"EIO": 10}, "health": {"state": "healthy"},
        "windows": {"1m": {"span_s": 5, "calls": 1000, "ok": 990, "failed": 10, "mean_ns": 5000,
                           "p50_ns": 4000, "p99_ns": 9000}}}],
    "processes": [{"pid": 4242, "exe": "/bin/fake", "argv": ["fake"], "status": "running",
        "calls": 1000, "failed": 10, "session": "fake",
        "symbols": {name: {"calls": 1000, "failed": 10, "total_ns": 5000000}}}],
    "loss": {"overflowed": 0}, "health": {"state": "healthy", "reason": "ok"}, "alerts": [], "stuck": []}
lab = "{session=\"fake\",process=\"fake\",function=\"evil\x1b[2J\x07name\",object=\"x\",le=\"%s\"} %d\n"
metrics = "".join("tm_call_duration_seconds_bucket" + lab % (le, n)
    for le, n in (("1e-06", 0), ("2.5e-06", 100), ("5e-06", 700), ("1e-05", 990), ("+Inf", 1000)))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        body = {"/api/v1/summary": json.dumps(summary), "/metrics": metrics}.get(path)
        self.send_response(200 if body else 404)
        body = (body or "{}").encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$fport"
wait_http "http://127.0.0.1:$fport/metrics" 10 "$TM_BG_PID" || fail "fake collector did not start"
"$TMTOP" -b -n 1 --connect "127.0.0.1:$fport" >"$WORK/fake.txt"
grep -q '^evil\\x1b\[2J\\x07name ' "$WORK/fake.txt" || fail "hostile name: $(cat -v "$WORK/fake.txt")"
grep -q '^tmtop  fake\\x1b\]0;title\\x07  127' "$WORK/fake.txt" || fail "session: $(cat -v "$WORK/fake.txt")"
! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$WORK/fake.txt" || fail "a control byte: $(cat -v "$WORK/fake.txt")"
top fake "$TMTOP" --connect "127.0.0.1:$fport"
wait_screen fake '^evil\\x1b\[2J\\x07name ' 10
tmx send-keys -t fake Enter
wait_screen fake '^latency, whole run, Prometheus buckets: 1000 calls' 10
wait_screen fake '≤5.00us █+ +600( |$)' 10
wait_screen fake 'EIO +10  io' 10
tmx send-keys -t fake q
expect_eq "fake collector: exit status" "$(wait_rc fake 10)" 0
expect_restored fake
echo "ok: a hostile collector's names are terminal-safe; the /metrics histogram"

# ---- batch mode against known counts ------------------------------------------
RATE=2000 SECS=3
"$TMTOP" -b --session top3 --until-idle -n 1000 -d 0.2 >"$WORK/batch.txt" 2>"$WORK/batch.err" &
batch=$!
paced top3 $RATE $SECS
wait "$TM_BG_PID" || fail "target failed"
wait "$batch" || fail "tmtop -b: $(cat "$WORK/batch.err")"
grep -q "paced calls=$((RATE / 1000 * SECS * 1000))" "$WORK/paced-top3.log" ||
	fail "target: $(cat "$WORK/paced-top3.log")"
# the last refresh: the block after the last title line
last_block() { awk '/^tmtop  / { b = "" } { b = b $0 "\n" } END { printf "%s", b }' "$1"; }
last_calls() {
	last_block "$1" | awk -v fn="$2" '
		/^FUNCTION / { for (i = 1; i <= NF; i++) { t = $i; gsub(/[▲▼]/, "", t); if (t == "CALLS") c = i } }
		c && $1 == fn { print $c }'
}
expect_eq "batch: work_noop calls = the target's" "$(last_calls "$WORK/batch.txt" work_noop)" \
	$((RATE / 1000 * SECS * 1000))
expect_eq "batch: clock_nanosleep calls = the target's ticks" \
	"$(last_calls "$WORK/batch.txt" clock_nanosleep)" $((SECS * 1000))
last_block "$WORK/batch.txt" | grep -q '^procs 0 running, 1 exited, 0 crashed' ||
	fail "last batch: $(last_block "$WORK/batch.txt")"
[ "$(grep -c '^tmtop  ' "$WORK/batch.txt")" -ge 2 ] || fail "one batch only"

# -n N prints N refreshes; --jsonl one object per refresh
"$TMTOP" -b -n 3 -d 0.1 --session top3 >"$WORK/n3.txt"
expect_eq "-n 3 refreshes" "$(grep -c '^tmtop  ' "$WORK/n3.txt")" 3
"$TMTOP" --jsonl -n 2 -d 0.1 --session top3 -s p99 >"$WORK/top.jsonl"
expect_eq "--jsonl lines" "$(wc -l <"$WORK/top.jsonl")" 2
expect_eq "--jsonl documents" "$(jq -s 'map(select(.type == "tmtop" and (.rows | type) == "array")) | length' "$WORK/top.jsonl")" 2

# over HTTP: the last batch equals the collector's summary
start_tmcollect_http --session top4 --interval 0.25 --summary "$WORK/s4.json"
"$TMTOP" -b --connect "127.0.0.1:$TM_HTTP_PORT" --until-idle -n 1000 -d 0.2 \
	>"$WORK/batch4.txt" 2>"$WORK/batch4.err" &
batch=$!
paced top4 $RATE $SECS
wait "$TM_BG_PID" || fail "target failed"
wait "$batch" || fail "tmtop -b --connect: $(cat "$WORK/batch4.err")"
# blocking functions (clock_nanosleep) have no share of the time, as in the
# table; the other function holds all of it
"$TMTOP" --jsonl -n 1 -w all --connect "127.0.0.1:$TM_HTTP_PORT" >"$WORK/top4.jsonl"
expect_eq "--jsonl: clock_nanosleep blocking, no time share" \
	"$(jq -r '.rows[] | select(.function == "clock_nanosleep") | "\(.blocking) \(.window.time_share)"' "$WORK/top4.jsonl")" "true null"
expect_eq "--jsonl: work_noop has all of the time" \
	"$(jq -r '.rows[] | select(.function == "work_noop") | "\(.blocking) \(.window.time_share)"' "$WORK/top4.jsonl")" "false 1"
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID" || fail "tmcollect exit status"
for fn in work_noop clock_nanosleep; do
	expect_eq "batch --connect: $fn calls = the summary's" "$(last_calls "$WORK/batch4.txt" $fn)" \
		"$(calls "$WORK/s4.json" $fn)"
done
expect_eq "summary: work_noop" "$(calls "$WORK/s4.json" work_noop)" $((RATE / 1000 * SECS * 1000))

# ---- bad input -----------------------------------------------------------------
port=$(free_port)
set +e
"$TMTOP" -b --connect "127.0.0.1:$port" >"$WORK/bad.out" 2>"$WORK/bad.err"
rc=$?
set -e
expect_eq "nothing listening: exit status" $rc 1
expect_eq "nothing listening: one line" "$(wc -l <"$WORK/bad.err")" 1
grep -q "^tmtop: 127.0.0.1:$port: " "$WORK/bad.err" || fail "message: $(cat "$WORK/bad.err")"
[ ! -s "$WORK/bad.out" ] || fail "output despite the error: $(cat "$WORK/bad.out")"
top badtty "$TMTOP" --connect "127.0.0.1:$port"
expect_eq "nothing listening, in a terminal: exit status" "$(wait_rc badtty 10)" 1
wait_screen badtty "^tmtop: 127\.0\.0\.1:$port: " 5
expect_restored badtty

# a server that answers garbage, then one with JSON that is not a summary
for body in 'garbage, not JSON' '{"schema": "other/1", "symbols": 7}' '[1, 2, 3]'; do
	gport=$(free_port)
	tm_bg garbage python3 -c '
import http.server, sys
body = sys.argv[2].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$gport" "$body"
	wait_http "http://127.0.0.1:$gport/" 10 "$TM_BG_PID" || fail "garbage server did not start"
	set +e
	"$TMTOP" -b --connect "127.0.0.1:$gport" >/dev/null 2>"$WORK/garbage.err"
	rc=$?
	set -e
	expect_eq "garbage ($body): exit status" $rc 1
	expect_eq "garbage ($body): one line" "$(wc -l <"$WORK/garbage.err")" 1
	grep -qE "^tmtop: 127.0.0.1:$gport/api/v1/summary: not (the collector's JSON|a tm.summary/1 document)" \
		"$WORK/garbage.err" || fail "message: $(cat "$WORK/garbage.err")"
	_tm_stop "$TM_BG_PID"
done
set +e
"$TMTOP" -b --connect nonsense 2>"$WORK/usage.err"
rc=$?
set -e
expect_eq "--connect nonsense: exit status" $rc 1
grep -q "expected HOST:PORT" "$WORK/usage.err" || fail "$(cat "$WORK/usage.err")"
echo "ok: bad input is one line and exit 1"
