#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SQLite errors are counted once. sqlite3 runs a script where K statements
# fail at step (UNIQUE and NOT NULL violations) and P at prepare (no such
# table). sqlite3_finalize returns the failed step's error again: it is
# reported as reports_earlier_error, and the failures counted over step,
# finalize and reset equal the failed statements sqlite3 itself reports.
# Oracles: the errors sqlite3 prints, and ltrace's view of what step and
# finalize returned.
. "$(dirname "$0")/lib.sh"
N=200 KU=7 KN=5 P=3
{
	echo "create table t(id integer primary key, v text not null unique);"
	for i in $(seq 1 $N); do echo "insert into t(v) values('v$i');"; done
	for i in $(seq 1 $KU); do echo "insert into t(v) values('v$i');"; done
	for i in $(seq 1 $KN); do echo "insert into t(v) values(NULL);"; done
	for i in $(seq 1 $P); do echo "insert into nosuch values($i);"; done
	echo "select count(*) from t;"
} >"$WORK/q.sql"
SYMS=sqlite3_prepare_v2,sqlite3_step,sqlite3_finalize,sqlite3_reset

set +e
sqlite3 "$WORK/native.db" <"$WORK/q.sql" >"$WORK/native.out" 2>"$WORK/native.err"
native_rc=$?
"$TMRUN" -q -s "$SYMS" -o "$WORK/s.json" -- \
	sqlite3 "$WORK/shim.db" <"$WORK/q.sql" >"$WORK/shim.out" 2>"$WORK/shim.err"
shim_rc=$?
ltrace -e 'sqlite3_step+sqlite3_finalize+sqlite3_reset' -o "$WORK/ltrace" \
	sqlite3 "$WORK/ltrace.db" <"$WORK/q.sql" >/dev/null 2>&1
set -e
expect_eq "exit code" "$shim_rc" "$native_rc"
cmp "$WORK/native.out" "$WORK/shim.out" || fail "stdout differs"
cmp "$WORK/native.err" "$WORK/shim.err" || fail "stderr differs"
s=$WORK/s.json
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$s" >/dev/null || fail "schema"

# what sqlite3 says: one line per failed statement
runtime=$(grep -c '^Runtime error' "$WORK/shim.err" || true)
parse=$(grep -c '^Parse error' "$WORK/shim.err" || true)
expect_eq "statements failing at step (sqlite3's messages)" "$runtime" $((KU + KN))
expect_eq "statements failing at prepare (sqlite3's messages)" "$parse" $P

# ltrace: F's return values, one per line (a call ltrace split around a
# nested one ends on its "resumed" line)
rets() {
	awk -v f="$1" '
		index($0, f "(") && !/<unfinished/ { print $NF }
		index($0, "<... " f " resumed>") { print $NF }' "$WORK/ltrace"
}
rets sqlite3_step >"$WORK/step.rets"
rets sqlite3_finalize >"$WORK/fin.rets"
step_bad=$(grep -cvx -e 100 -e 101 "$WORK/step.rets" || true)
fin_bad=$(grep -cvx 0 "$WORK/fin.rets" || true)
expect_eq "ltrace: failing steps" "$step_bad" $((KU + KN))
expect_eq "ltrace: finalize returning the step's error" "$fin_bad" $((KU + KN))
expect_eq "sqlite3_step calls = ltrace" "$(calls "$s" sqlite3_step)" "$(wc -l <"$WORK/step.rets")"
expect_eq "sqlite3_finalize calls = ltrace" "$(calls "$s" sqlite3_finalize)" \
	"$(wc -l <"$WORK/fin.rets")"

# counted once: at step
expect_eq "sqlite3_step failed" "$(field "$s" sqlite3_step failed)" $((KU + KN))
expect_eq "sqlite3_prepare_v2 failed" "$(field "$s" sqlite3_prepare_v2 failed)" $P
expect_eq "sqlite3_finalize failed" "$(field "$s" sqlite3_finalize failed)" 0
expect_eq "sqlite3_finalize reports_earlier_error" \
	"$(field "$s" sqlite3_finalize 'outcomes.reports_earlier_error.calls')" "$fin_bad"
expect_eq "sqlite3_finalize: the repeated code" \
	"$(field "$s" sqlite3_finalize 'outcomes.reports_earlier_error.codes.SQLITE_CONSTRAINT')" \
	$((KU + KN))
expect_eq "sqlite3_finalize error_rate" "$(field "$s" sqlite3_finalize error_rate)" 0
step_fin_reset=$(jq '[.symbols[] | select(.name == "sqlite3_step" or .name == "sqlite3_finalize"
	or .name == "sqlite3_reset") | .failed] | add' "$s")
expect_eq "failures over step, finalize and reset = failed statements" "$step_fin_reset" "$runtime"
expect_eq "all failures = sqlite3's messages" "$(jqv "$s" .totals.failed)" $((runtime + parse))
expect_eq "calls = ok + failed + outcomes (finalize)" \
	"$(jq '.symbols[] | select(.name == "sqlite3_finalize") | .ok + .failed + .outcome_calls' "$s")" \
	"$(calls "$s" sqlite3_finalize)"

# the rules file overrides the built-in table: finalize's repeats counted
# as failures again, step's constraint violations as an outcome of the
# user's (sqlite3 does not ask for extended codes: step returns the primary
# SQLITE_CONSTRAINT);
# a bad entry is one line and is skipped
cat >"$WORK/rules.json" <<'EOF'
{"outcomes": [
  {"function": "sqlite3_finalize", "codes": {"*": "failed"}},
  {"function": "sqlite3_step", "codes": {"SQLITE_CONSTRAINT": "violation"}},
  {"function": "sqlite3_step", "codes": {"SQLITE_NOPE": "x"}}
]}
EOF
set +e
"$TMRUN" -q -s "$SYMS" --rules "$WORK/rules.json" -o "$WORK/r.json" -- \
	sqlite3 "$WORK/rules.db" <"$WORK/q.sql" >/dev/null 2>"$WORK/rules.err"
set -e
grep -q '^tmrun: rules .*rules.json: outcomes\[2\] "SQLITE_NOPE": is not a code name (errno, SQLite, zlib, curl, EAI)' \
	"$WORK/rules.err" || fail "bad entry not said: $(cat "$WORK/rules.err")"
r=$WORK/r.json
expect_eq "rules: sqlite3_finalize failed again" "$(field "$r" sqlite3_finalize failed)" $((KU + KN))
expect_eq "rules: step's constraint violations as violation" \
	"$(field "$r" sqlite3_step 'outcomes.violation.codes.SQLITE_CONSTRAINT')" $((KU + KN))
expect_eq "rules: sqlite3_step failed" "$(field "$r" sqlite3_step failed)" 0
expect_eq "rules: prepare's failures untouched" "$(field "$r" sqlite3_prepare_v2 failed)" $P
expect_no_segments
