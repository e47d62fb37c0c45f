#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A plugin's lazily bound PLT slot whose target library arrives with the
# plugin's own dlopen (RTLD_LAZY | RTLD_LOCAL, the host links neither):
# operator new (_Znwm, libstdc++) from a C++ plugin, cos (libm) from a C
# plugin. Counted exactly (the plugin counts its own calls), found in the
# right object, the same with LD_BIND_NOW=1, output unchanged (the plugin
# is unloaded by its dlclose: resolving its slots holds no reference).
. "$(dirname "$0")/lib.sh"
host="$TARGETS/plugin_lazy_host"
N=700
for spec in "libtmcxxplug.so plugin_news _Znwm libstdc++.so.6" \
	"libtmcosplug.so plugin_cos cos libm.so.6"; do
	set -- $spec
	plug="$TARGETS/plugins/$1"
	readelf -d "$host" | grep -q "$4" && fail "test premise: the host links $4"
	"$host" "$plug" "$2" $N >"$WORK/native"
	expect_eq "$2 natively" "$(tr '\n' ';' <"$WORK/native")" "$2: $N;after dlclose: unloaded;"
	for bind in lazy now; do
		if [ $bind = now ]; then
			LD_BIND_NOW=1 "$TMRUN" -q -s "$3" -o "$WORK/s.json" -- "$host" "$plug" "$2" $N >"$WORK/shim"
		else
			env -u LD_BIND_NOW "$TMRUN" -q -s "$3" -o "$WORK/s.json" -- "$host" "$plug" "$2" $N >"$WORK/shim"
		fi
		cmp "$WORK/native" "$WORK/shim" || fail "$2 ($bind): output differs"
		expect_eq "$3 calls ($bind binding) = the plugin's count" "$(calls "$WORK/s.json" "$3")" $N
		expect_eq "$3 object ($bind binding)" "$(field "$WORK/s.json" "$3" object)" "$4"
	done
done
expect_no_segments
