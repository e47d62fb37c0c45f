#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bytes from arguments (docs/CONFIG.md, "Bytes"), on tests/targets/sizes,
# whose own totals are the oracle: a size argument, an unsigned int whose
# register's upper half is dirty, size x the items a call returns, a call
# nested in another; exact through ring overflow and threads; bad
# configurations refused with one line, the program unchanged.
. "$(dirname "$0")/lib.sh"
RULES="$DATA/sizes.json"
SZ="$TARGETS/sizes"

# want FILE OUT: the summary's bytes equal the program's own totals
want() {
	local s=$1 out=$2 k v
	for k in put put32 items; do
		v=$(sed -n "s/.*\b$k=\([0-9]*\).*/\1/p" "$out")
		local f=sz_$k
		expect_eq "$f bytes ($3)" "$(field "$s" "$f" bytes)" "$v"
	done
}

# a ring no call overflows: the size histogram has every call that moved bytes
TM_RING=262144 "$TMRUN" -q -c "$RULES" -o "$WORK/a.json" -- "$SZ" 10000 >"$WORK/a.out"
expect_eq "nothing overflowed" "$(jq '[.symbols[].overflowed] | add' "$WORK/a.json")" 0
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$WORK/a.json" >/dev/null ||
	fail "summary: schema"
want "$WORK/a.json" "$WORK/a.out" "one thread"
expect_eq "sz_put: flow, source" "$(jq -c '.symbols[] | select(.name == "sz_put") | [.flow, .bytes_from, .bytes_out == .bytes, has("bytes_in")]' "$WORK/a.json")" '["out","arguments",true,false]'
expect_eq "sz_put32: bytes_in" "$(field "$WORK/a.json" sz_put32 bytes_in)" "$(field "$WORK/a.json" sz_put32 bytes)"
# failed calls move nothing: 10 of sz_put's 20 000 calls (10 000 + the nested) fail
expect_eq "sz_put failed" "$(field "$WORK/a.json" sz_put failed)" 10
expect_eq "sz_put size: calls, max" "$(jq -c '.symbols[] | select(.name == "sz_put") | [.size.calls, .size.max]' "$WORK/a.json")" "[19990,999]"
expect_eq "sz_put32 size max (the low half)" "$(jq '.symbols[] | select(.name == "sz_put32") | .size.max' "$WORK/a.json")" 4095
# p50 of sz_put: half the calls are sz_nest's 7 bytes, the rest 1..999
expect_eq "sz_put size p50" "$(jq '.symbols[] | select(.name == "sz_put") | .size.p50' "$WORK/a.json")" 7
expect_eq "no bytes on a rule without" "$(jq '.symbols[] | select(.name == "sz_nest") | has("bytes")' "$WORK/a.json")" false
# a group: sz_put32's calls by its first argument (an int: -1 keeps its sign)
fds=$(sed -n 's/.*fd-1=\([0-9]*\) fd0=\([0-9]*\) fd1=\([0-9]*\).*/\1 \2 \3/p' "$WORK/a.out")
expect_eq "groups by fd" "$(jq -r '.symbols[] | select(.name == "sz_put32") | .groups | [.by, ([.values[] | {(.value | tostring): .calls}] | add | .["-1"], .["0"], .["1"]), .other.calls, .unlabelled] | join(" ")' "$WORK/a.json")" "arg1 $fds 0 0"
expect_eq "groups: bytes add up" "$(jq '.symbols[] | select(.name == "sz_put32") | [.groups.values[].bytes] | add' "$WORK/a.json")" "$(field "$WORK/a.json" sz_put32 bytes)"
# more values than kept (16): sz_put by its size, the rest under other,
# failed calls in their group
printf '{"symbols": {"sz_put": {"ret": "long", "success": "ret > 0", "group": "arg2"}}}\n' >"$WORK/g.json"
TM_RING=262144 "$TMRUN" -q -c "$WORK/g.json" -o "$WORK/g.out" -- "$SZ" 3000 >/dev/null
expect_eq "16 values and the rest" "$(jq -c '.symbols[] | select(.name == "sz_put") | .groups | [(.values | length), ([.values[].calls] | add) + .other.calls, .unlabelled]' "$WORK/g.out")" "[16,6000,0]"
expect_eq "the failed calls' group (0)" "$(jq -c '.symbols[] | select(.name == "sz_put") | .groups.values[] | select(.value == 0) | [.calls, .failed]' "$WORK/g.out")" "[3,3]"

# ring overflow (64 records a thread, 4 threads): folded calls keep their bytes
TM_RING=64 "$TMRUN" -q -c "$RULES" -o "$WORK/o.json" -- "$SZ" 50000 4 >"$WORK/o.out"
want "$WORK/o.json" "$WORK/o.out" "overflow, 4 threads"
[ "$(field "$WORK/o.json" sz_put overflowed)" -gt 0 ] || fail "no call overflowed: the case is not tested"
expect_eq "overflow: calls" "$(calls "$WORK/o.json" sz_put)" 400000

# /metrics: the flow is a label
"$TMRUN" -q -c "$RULES" --textfile "$WORK/m.prom" -- "$SZ" 100 >/dev/null
grep -q '^tm_call_bytes_total{.*function="sz_put".*direction="out".*} ' "$WORK/m.prom" ||
	fail "metrics: no flow label on sz_put's bytes: $(grep sz_put "$WORK/m.prom" | grep bytes)"

# refused, one line each, the symbol unmonitored and the program unchanged
bad() { # label json-entry expected-text
	printf '{"symbols": {"sz_put": %s}}\n' "$2" >"$WORK/bad.json"
	"$TMRUN" -q -c "$WORK/bad.json" -o "$WORK/b.json" -- "$SZ" 100 >"$WORK/b.out" 2>"$WORK/b.err" ||
		fail "$1: exit status $?"
	cmp -s "$WORK/b.out" "$WORK/a100.out" || fail "$1: the program's output changed"
	expect_eq "$1: lines" "$(grep -c 'sz_put' "$WORK/b.err")" 1
	grep -q "$3" "$WORK/b.err" || fail "$1: $(cat "$WORK/b.err")"
	expect_eq "$1: sz_put unmonitored" "$(calls "$WORK/b.json" sz_put)" 0
}
"$SZ" 100 >"$WORK/a100.out"
bad "an argument past 6" '{"bytes": "arg9"}' "unknown byte source 'arg9'"
bad "sampled" '{"bytes": "arg2", "sample": 10}' 'need every call timed'
bad "count only" '{"bytes": "arg2", "count_only": true}' 'need every call timed'
bad "a flow" '{"bytes": "arg2", "flow": "up"}' "unknown flow 'up'"
bad "bytes and size" '{"bytes": "arg2", "size": "arg2"}' 'are one field'
bad "a group from ret" '{"group": "ret"}' "unknown group 'ret'"
bad "a sampled group" '{"group": "arg1", "sample": 4}' 'a group from arguments'
expect_no_segments
