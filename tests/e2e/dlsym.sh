#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dlsym: a second LD_PRELOAD interposer that reaches the real function with
# dlsym(RTLD_NEXT, ...) works in both preload orders (with the shim first, a
# dlsym wrapper that changed the caller would make the interposer find
# itself and recurse); each call is counted once. dlsym(handle, name) of a
# configured function returns a monitored entry: plugins and Python ctypes.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/shapes_pie"
I="$TARGETS/libinterposer.so"
LD_PRELOAD="$I" "$bin" 100 >"$WORK/native"
for order in "$SHIM:$I" "$I:$SHIM"; do
	LD_PRELOAD="$order" TM_SESSION=ip TM_SYMBOLS=work_noop "$bin" 100 >"$WORK/shim"
	diff "$WORK/native" "$WORK/shim" || fail "preload order $order: output differs"
	"$TMCOLLECT" --session ip --until-idle --summary "$WORK/s.json"
	expect_eq "order ${order##*/}: work_noop calls" "$(calls "$WORK/s.json" work_noop)" 100
done

# dlsym(handle, "plugin_entry") from the host: 3 loads, 3 calls
"$TMRUN" -q -s plugin_entry -o "$WORK/p.json" -- "$TARGETS/plugin_host" 10 >/dev/null
expect_eq "plugin_entry via dlsym(handle)" "$(calls "$WORK/p.json" plugin_entry)" 3

# Python ctypes resolves with dlsym
py="import ctypes, sys; l = ctypes.CDLL(sys.argv[1]); print(sum(l.work_noop(i) for i in range(1000)))"
expect_eq "ctypes result" "$("$TMRUN" -q -s work_noop -o "$WORK/py.json" -- python3 -c "$py" "$TARGETS/libshapes.so")" \
	"$(python3 -c "$py" "$TARGETS/libshapes.so")"
expect_eq "ctypes calls" "$(calls "$WORK/py.json" work_noop)" 1000
expect_no_segments
