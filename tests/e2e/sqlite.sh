#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sqlite3 on a generated script with N inserts and K that violate a UNIQUE
# constraint: sqlite3_step / sqlite3_prepare_v2 counts equal ltrace -c's,
# failures equal the K errors sqlite3 itself prints, named SQLITE_CONSTRAINT.
. "$(dirname "$0")/lib.sh"
N=300 K=17
{
	echo "create table t(id integer primary key, v text unique);"
	for i in $(seq 1 $N); do echo "insert into t(v) values('v$i');"; done
	for i in $(seq 1 $K); do echo "insert into t(v) values('v$i');"; done
	echo "select count(*) from t;"
} >"$WORK/q.sql"

set +e
sqlite3 "$WORK/native.db" <"$WORK/q.sql" >"$WORK/native.out" 2>"$WORK/native.err"
native_rc=$?
"$TMRUN" -q -s sqlite3_prepare_v2,sqlite3_step -o "$WORK/s.json" -- \
	sqlite3 "$WORK/shim.db" <"$WORK/q.sql" >"$WORK/shim.out" 2>"$WORK/shim.err"
shim_rc=$?
ltrace -c -e sqlite3_step+sqlite3_prepare_v2 -o "$WORK/ltrace" \
	sqlite3 "$WORK/ltrace.db" <"$WORK/q.sql" >/dev/null 2>&1
set -e
expect_eq "exit code" "$shim_rc" "$native_rc"
cmp "$WORK/native.out" "$WORK/shim.out" || fail "stdout differs"
cmp "$WORK/native.err" "$WORK/shim.err" || fail "stderr differs"
expect_eq "rows" "$(cat "$WORK/shim.out")" $N

lt() { awk -v f="$1" '$NF == f { print $4 }' "$WORK/ltrace"; }
expect_eq "sqlite3_step calls = ltrace" "$(calls "$WORK/s.json" sqlite3_step)" "$(lt sqlite3_step)"
expect_eq "sqlite3_prepare_v2 calls = ltrace" "$(calls "$WORK/s.json" sqlite3_prepare_v2)" "$(lt sqlite3_prepare_v2)"
errors=$(grep -c 'UNIQUE constraint failed' "$WORK/shim.err")
expect_eq "errors printed by sqlite3" "$errors" $K
expect_eq "sqlite3_step failed" "$(field "$WORK/s.json" sqlite3_step failed)" $K
expect_eq "SQLITE_CONSTRAINT" "$(field "$WORK/s.json" sqlite3_step 'errors.SQLITE_CONSTRAINT')" $K
expect_eq "exit code recorded" "$(jqv "$WORK/s.json" '.processes[0].exit_code')" "$native_rc"
expect_no_segments
