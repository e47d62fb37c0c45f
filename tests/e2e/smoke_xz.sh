#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Smoke: xz -T2 compressing with two worker threads, every lzma_* and
# pthread_* function, read, write, malloc and free hooked. Output identical;
# read/write equal strace's syscalls on stdin/stdout, bytes read equal the
# input size, pthread_create equals the threads strace saw created.
. "$(dirname "$0")/lib.sh"
in="$WORK/in.txt"
seq 1 1200000 | sed 's/$/ xz smoke line/' >"$in" # ~25 MB: several 3 MB blocks
size=$(stat -c %s "$in")

xz -1 -T2 -c <"$in" >"$WORK/native.xz"
"$TMCOLLECT" --session xz --until-idle --summary "$WORK/s.json" &
coll=$!
strace -f -qq -e trace=read,write,clone,clone3 -o "$WORK/strace" \
	env LD_PRELOAD="$SHIM" TM_SESSION=xz TM_SYMBOLS='lzma_*,pthread_*,read,write,malloc,free' \
	xz -1 -T2 -c <"$in" >"$WORK/shim.xz"
wait $coll
cmp "$WORK/native.xz" "$WORK/shim.xz" || fail "xz output differs under the shim"
echo "ok: compressed output identical"
xz -dc "$WORK/shim.xz" | cmp - "$in" || fail "round trip"

expect_eq "read = strace reads on stdin" "$(calls "$WORK/s.json" read)" "$(grep -c ' read(0,' "$WORK/strace")"
expect_eq "write = strace writes on stdout" "$(calls "$WORK/s.json" write)" "$(grep -c ' write(1,' "$WORK/strace")"
expect_eq "bytes read = input size" "$(field "$WORK/s.json" read bytes)" "$size"
expect_eq "bytes written = output size" "$(field "$WORK/s.json" write bytes)" "$(stat -c %s "$WORK/shim.xz")"
created=$(grep -cE ' clone3?\(' "$WORK/strace")
[ "$created" -ge 2 ] || fail "xz did not start its worker threads"
expect_eq "pthread_create = threads created" "$(calls "$WORK/s.json" pthread_create)" "$created"
lock=$(calls "$WORK/s.json" pthread_mutex_lock)
[ "$lock" -gt 100 ] || fail "pthread_mutex_lock: $lock calls"
[ "$(calls "$WORK/s.json" lzma_code)" -gt 0 ] || fail "lzma_code not monitored"
expect_no_segments
