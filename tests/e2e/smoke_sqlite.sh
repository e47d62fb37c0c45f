#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Smoke: sqlite3 with every sqlite3_* function and its libc I/O and
# allocator hooked (some 280 symbols). Output and exit code identical to a
# native run; the I/O calls equal strace's syscalls from the database's open
# on (open64 -> openat, pread64, pwrite64, fdatasync map one to one).
. "$(dirname "$0")/lib.sh"
{
	echo "create table t(id integer primary key, v text);"
	echo "begin;"
	for i in $(seq 1 3000); do echo "insert into t(v) values('v$i');"; done
	echo "commit;"
	echo "create index iv on t(v);"
	for i in $(seq 1 40); do echo "insert into t(v) values('w$i');"; done
	echo "select count(*), sum(length(v)) from t;"
	echo "select v from t where v like 'v29%' order by v limit 3;"
	echo "select nosuchcolumn from t;"
} >"$WORK/q.sql"

set +e
(cd "$WORK" && sqlite3 native.db <q.sql >native.out 2>native.err)
native_rc=$?
"$TMCOLLECT" --session sq --until-idle --summary "$WORK/s.json" &
coll=$!
(cd "$WORK" && strace -f -qq -e trace=openat,pread64,pwrite64,fdatasync -o strace \
	env LD_PRELOAD="$SHIM" TM_SESSION=sq \
	TM_SYMBOLS='sqlite3_*,open64,pread64,pwrite64,fdatasync,close,read,malloc,free,realloc' \
	sqlite3 shim.db <q.sql >shim.out 2>shim.err)
shim_rc=$?
wait $coll
set -e
expect_eq "exit code" "$shim_rc" "$native_rc"
[ "$native_rc" != 0 ] || fail "the script's last statement should fail"
cmp "$WORK/native.out" "$WORK/shim.out" || fail "stdout differs"
cmp "$WORK/native.err" "$WORK/shim.err" || fail "stderr differs"

# syscalls from the database's own openat on (the dynamic linker's pread64
# of ELF headers comes before)
st() { awk -v c="$1(" '/openat\(AT_FDCWD, "[^"]*\/shim\.db"/ { on = 1 }
	on && index($2, c) == 1 { n++ } END { print n + 0 }' "$WORK/strace"; }
expect_eq "open64 = strace openat" "$(calls "$WORK/s.json" open64)" "$(st openat)"
expect_eq "pread64 = strace" "$(calls "$WORK/s.json" pread64)" "$(st pread64)"
expect_eq "pwrite64 = strace" "$(calls "$WORK/s.json" pwrite64)" "$(st pwrite64)"
expect_eq "fdatasync = strace" "$(calls "$WORK/s.json" fdatasync)" "$(st fdatasync)"
[ "$(st pwrite64)" -gt 10 ] || fail "too few writes to mean anything"
expect_eq "sqlite3_open_v2" "$(calls "$WORK/s.json" sqlite3_open_v2)" 1
expect_eq "sqlite3_close" "$(calls "$WORK/s.json" sqlite3_close)" 1
n=$(jq '[.symbols[] | select(.calls > 0 and (.name | startswith("sqlite3_")))] | length' "$WORK/s.json")
[ "$n" -ge 20 ] || fail "only $n sqlite3_* functions seen called"
echo "ok: $n distinct sqlite3_* functions called"
[ "$(calls "$WORK/s.json" malloc)" -gt 1000 ] || fail "malloc not monitored"
expect_eq "exit code recorded" "$(jqv "$WORK/s.json" '.processes[0].exit_code')" "$native_rc"
expect_no_segments
