#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Names are bytes: a program whose file name and arguments are not UTF-8
# and carry terminal escapes, monitoring a function whose name does too.
# The JSON keeps every key (invalid bytes as \xNN, docs/SUMMARY.md); what
# tmrun and tmcollect print to the terminal holds no control byte.
. "$(dirname "$0")/lib.sh"

mkdir "$WORK/bin"
bad=$'pro\xff\xfeg\x1b[31m\x9b'
exe="$WORK/bin/$bad"
cp "$TARGETS/shapes_pie" "$exe"
arg1=$'--x=\xc3\x28'
arg2=$'\x1b]0;pwned\x07\x1b[2J'
fn=$'evil\xff\x1b[2J'

# no control byte but newline (and tab) in a file
no_controls() {
	local n
	n=$(LC_ALL=C tr -d '\n\t' <"$2" | LC_ALL=C tr -dc '\000-\037\177' | wc -c)
	expect_eq "$1: control bytes" "$n" 0
}

"$TMRUN" -s "work_noop,$fn" -o "$WORK/s.json" -- "$exe" 10 direct "$arg1" "$arg2" \
	>"$WORK/out" 2>"$WORK/err"
jq -e . "$WORK/s.json" >/dev/null || fail "summary is not JSON"
expect_eq "work_noop calls" "$(calls "$WORK/s.json" work_noop)" 10
expect_eq "exe escaped" "$(jqv "$WORK/s.json" '.processes[0].exe')" \
	"$WORK/bin/pro\\xff\\xfeg"$'\x1b'"[31m\\x9b"
expect_eq "argv kept" "$(jqv "$WORK/s.json" '.processes[0].argv | length')" 5
expect_eq "argv[3] escaped" "$(jqv "$WORK/s.json" '.processes[0].argv[3]')" '--x=\xc3('
expect_eq "argv[4] kept (valid UTF-8: JSON escapes it)" \
	"$(jq -j '.processes[0].argv[4]' "$WORK/s.json" | od -An -tx1 | tr -d ' \n')" \
	"$(printf '%s' "$arg2" | od -An -tx1 | tr -d ' \n')"
expect_eq "the function is listed" \
	"$(jqv "$WORK/s.json" '[.symbols[] | select(.name == "evil\\xff\u001b[2J")] | length')" 1
grep -q 'evil\\xff\\x1b\[2J' "$WORK/err" || fail "table does not list the function, escaped"
no_controls "tmrun's table and messages" "$WORK/err"

# the same through tmcollect, its JSONL stream and its messages
"$TMCOLLECT" --session hn --until-idle --summary "$WORK/c.json" --jsonl "$WORK/c.jsonl" \
	2>"$WORK/cerr" &
col=$!
TM_SESSION=hn TM_SYMBOLS="work_noop,$fn" LD_PRELOAD="$SHIM" "$exe" 10 direct "$arg1" "$arg2" \
	>/dev/null 2>"$WORK/perr"
wait $col
expect_eq "tmcollect: exe escaped" "$(jqv "$WORK/c.json" '.processes[0].exe')" \
	"$WORK/bin/pro\\xff\\xfeg"$'\x1b'"[31m\\x9b"
expect_eq "tmcollect: argv kept" "$(jqv "$WORK/c.json" '.processes[0].argv | length')" 5
expect_eq "jsonl: every line JSON, the process events kept their exe" \
	"$(jq -r 'select(.type == "process") | .exe' "$WORK/c.jsonl" | sort -u | wc -l)" 1
no_controls "tmcollect's messages" "$WORK/cerr"
expect_no_segments
