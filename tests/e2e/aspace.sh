#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Under `ulimit -v`, what fits natively fits under the shim: it maps a thread
# slot when a thread first claims one, not TM_MAX_THREADS of them up front
# (80 MiB with the defaults). Same output, same exit code, calls exact.
. "$(dirname "$0")/lib.sh"
if [ -n "${TM_SANITIZED:-}" ]; then
	echo "ok: skipped (ASan reserves terabytes of shadow: no ulimit -v)"
	exit 0
fi

# run_limited KIB OUT CMD...: CMD under ulimit -v KIB (8 MiB thread stacks)
run_limited() {
	local kib=$1 out=$2
	shift 2
	local rc=0
	(ulimit -s 8192 && ulimit -v "$kib" && exec "$@") >"$out" 2>&1 || rc=$?
	echo "$rc"
}

# one 150 MiB malloc, every page touched, under 200 MiB
N=5000
rc=$(run_limited 204800 "$WORK/native" "$TARGETS/bigalloc" 150 $N)
expect_eq "native exit code" "$rc" 0
rc=$(TM_SESSION=big TM_SYMBOLS=work_noop LD_PRELOAD="$SHIM" \
	run_limited 204800 "$WORK/shim" "$TARGETS/bigalloc" 150 $N)
expect_eq "monitored exit code" "$rc" 0
cmp -s "$WORK/native" "$WORK/shim" ||
	fail "output differs: native '$(cat "$WORK/native")', monitored '$(cat "$WORK/shim")'"
echo "ok: same output ($(cat "$WORK/shim"))"
"$TMCOLLECT" --session big --until-idle --summary "$WORK/big.json"
expect_eq "bigalloc: calls" "$(calls "$WORK/big.json" work_noop)" $N

# 8 threads (8 MiB stacks: 68 MiB natively) under 120 MiB
T=8 N=200000
rc=$(run_limited 122880 "$WORK/tnative" "$TARGETS/threads" $T $N)
expect_eq "threads: native exit code" "$rc" 0
rc=$(TM_SESSION=thr TM_SYMBOLS=work_noop,fail_if LD_PRELOAD="$SHIM" \
	run_limited 122880 "$WORK/tshim" "$TARGETS/threads" $T $N)
expect_eq "threads: monitored exit code" "$rc" 0
cmp -s "$WORK/tnative" "$WORK/tshim" ||
	fail "threads: output differs: native '$(cat "$WORK/tnative")', monitored '$(cat "$WORK/tshim")'"
echo "ok: same output ($(cat "$WORK/tshim"))"
"$TMCOLLECT" --session thr --until-idle --summary "$WORK/thr.json"
expect_eq "threads: work_noop calls" "$(calls "$WORK/thr.json" work_noop)" $((T * N))
expect_eq "threads: fail_if calls" "$(calls "$WORK/thr.json" fail_if)" $((T * N / 10))
expect_no_segments
