#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sqlite3 on a generated script with N inserts and K that violate a UNIQUE
# constraint: sqlite3_step / sqlite3_prepare_v2 counts equal ltrace -c's,
# failures equal the K errors sqlite3 itself prints, named SQLITE_CONSTRAINT.
# Then the calls libsqlite3 makes to itself through its own PLT (schema
# loading inside sqlite3_prepare_v2, CREATE INDEX running a nested statement
# inside sqlite3_step): tm's counts equal ltrace's of the executable's PLT
# (@MAIN) plus the library's own (@libsqlite3.so.0). Note: ltrace's plain
# "-e f" is "f@*", every object's PLT — already both.
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

# nested: an existing database (its schema is read inside the first
# sqlite3_prepare_v2), a CREATE INDEX and a CREATE TABLE (sqlite3_step runs
# a nested sqlite3_exec to parse the new schema), inside a transaction too
{
	echo "create index iv2 on t(v);"
	echo "begin;"
	for i in $(seq 1 50); do echo "insert into t(v) values('n$i');"; done
	echo "create table u(a);"
	echo "commit;"
	echo "select count(*) from t;"
} >"$WORK/n.sql"
F="sqlite3_step sqlite3_prepare_v2 sqlite3_exec sqlite3_finalize"
for db in shim ltrace; do cp "$WORK/native.db" "$WORK/n_$db.db"; done
set +e
"$TMRUN" -q -s "$(echo $F | tr ' ' ,)" -o "$WORK/n.json" -- \
	sqlite3 "$WORK/n_shim.db" <"$WORK/n.sql" >"$WORK/n_shim.out" 2>&1
for where in MAIN libsqlite3.so.0 '*'; do
	cp "$WORK/native.db" "$WORK/n_ltrace.db"
	ltrace -c -e "$(for f in $F; do printf '+%s@%s' "$f" "$where"; done | cut -c2-)" \
		-o "$WORK/lt.$where" sqlite3 "$WORK/n_ltrace.db" <"$WORK/n.sql" >/dev/null 2>&1
done
set -e
expect_eq "nested: output" "$(cat "$WORK/n_shim.out")" $((N + 50))
ltn() { awk -v f="$2" '$NF == f { print $4 }' "$WORK/lt.$1"; }
for f in $F; do
	main=$(ltn MAIN $f) lib=$(ltn libsqlite3.so.0 $f)
	[ "${lib:-0}" -gt 0 ] || fail "test premise: libsqlite3 calls $f through its own PLT"
	expect_eq "$f = ltrace @MAIN ${main:-0} + @libsqlite3.so.0 $lib" \
		"$(calls "$WORK/n.json" $f)" $((${main:-0} + lib))
	expect_eq "$f: ltrace's $f@* is that sum too" "$(ltn '*' $f)" $((${main:-0} + lib))
done
expect_eq "nested: nothing lost" "$(jqv "$WORK/n.json" '[.loss[]] | add')" 0
expect_no_segments
