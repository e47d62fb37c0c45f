#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Return classes: tests/targets/cache looks up 1 000 keys, 700 held
# (cache_get returns a pointer) and 300 not (NULL); the rules file names
# the classes hit and miss. The summary's class counts and rates, the
# 1 min window's, the textfile's tm_call_returns_total and the table's
# line equal the program's own count. A bad "returns" entry is one line
# and is skipped. Sampled, the untimed calls arrive as counters without a
# value: unclassified, and the classes still add up to calls.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/cache"
cat >"$WORK/rules.json" <<'JSON'
{"symbols": {"cache_get": {"ret": "ptr"}},
 "outcomes": [
   {"function": "cache_get", "returns": {"hit": "ret != NULL", "miss": "ret == NULL"}},
   {"function": "cache_get", "returns": {"hit": "ret != NULL", "gone": "ret === NULL"}}
 ]}
JSON
"$TMRUN" -c "$WORK/rules.json" -s cache_get -o "$WORK/s.json" --textfile "$WORK/m.prom" \
	-- "$bin" 1000 7 >"$WORK/out" 2>"$WORK/err" || fail "tmrun: $(cat "$WORK/err")"
expect_eq "the program's count" "$(cat "$WORK/out")" "hits=700 misses=300"
s=$WORK/s.json
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$s" >/dev/null || fail "schema"

# the bad entry: one line naming it and the field, skipped (hit and miss stay)
expect_eq "lines about the rules" "$(grep -c '^tmrun: rules' "$WORK/err")" 1
grep -q "^tmrun: rules .*rules.json: outcomes\\[1\\] \"returns.gone\": expected a number or NULL at '= NULL'; entry ignored\$" \
	"$WORK/err" || fail "bad entry not said: $(cat "$WORK/err")"

expect_eq "calls" "$(calls "$s" cache_get)" 1000
expect_eq "hit" "$(field "$s" cache_get returns.hit.calls)" 700
expect_eq "miss" "$(field "$s" cache_get returns.miss.calls)" 300
expect_eq "other" "$(field "$s" cache_get returns.other.calls)" 0
expect_eq "unclassified" "$(field "$s" cache_get returns.unclassified.calls)" 0
expect_eq "hit rate" "$(field "$s" cache_get returns.hit.rate)" 0.7
expect_eq "miss rate" "$(field "$s" cache_get returns.miss.rate)" 0.3
expect_eq "hit condition" "$(field "$s" cache_get returns.hit.condition)" "ret != NULL"
expect_eq "classes in their order" "$(field "$s" cache_get 'returns | keys_unsorted | join(",")')" \
	"hit,miss,other,unclassified"
# the run is shorter than a minute: the 1m window holds every call
expect_eq "1m window: hit miss unclassified" \
	"$(field "$s" cache_get 'windows["1m"].returns | "\(.hit.calls) \(.miss.calls) \(.unclassified.calls)"')" \
	"700 300 0"
expect_eq "1m window: hit rate" "$(field "$s" cache_get 'windows["1m"].returns.hit.rate')" 0.7
# classes are not a rule: without a success rule the calls stay not judged
expect_eq "not judged" "$(field "$s" cache_get not_judged)" 1000

prom() { awk -v k="class=\"$1\"}" 'index($1, "tm_call_returns_total{") == 1 && index($1, "function=\"cache_get\"") && index($1, k) { print $2 }' "$WORK/m.prom"; }
expect_eq "metrics: hit" "$(prom hit)" 700
expect_eq "metrics: miss" "$(prom miss)" 300
expect_eq "metrics: other" "$(prom other)" 0
expect_eq "metrics: unclassified" "$(prom unclassified)" 0
if command -v promtool >/dev/null; then
	promtool check metrics <"$WORK/m.prom" || fail "promtool check metrics"
fi
grep -q '^    returns hit 700 (70.0%), miss 300 (30.0%)$' "$WORK/err" ||
	fail "the table's line: $(cat "$WORK/err")"

# sampled: 1 call in 50 timed, the others counted without a value
"$TMRUN" -q -c "$WORK/rules.json" -s cache_get/50 -o "$WORK/smp.json" -- "$bin" 20000 7 \
	>"$WORK/out2" 2>/dev/null || fail "tmrun sampled"
expect_eq "sampled: the program's count" "$(cat "$WORK/out2")" "hits=14000 misses=6000"
t=$WORK/smp.json
expect_eq "sampled: calls" "$(calls "$t" cache_get)" 20000
sum=$(field "$t" cache_get 'returns | [.[].calls] | add')
expect_eq "sampled: classes + other + unclassified = calls" "$sum" 20000
expect_eq "sampled: unclassified = calls without a record" \
	"$(field "$t" cache_get returns.unclassified.calls)" \
	"$(field "$t" cache_get 'counted + .overflowed')"
expect_eq "sampled: classified = records" \
	"$(field "$t" cache_get 'returns.hit.calls + .returns.miss.calls')" \
	"$(field "$t" cache_get records)"
expect_no_segments
