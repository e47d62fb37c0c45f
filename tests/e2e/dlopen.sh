#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dlopen under the shim: a plugin found only through the host's DT_RUNPATH
# ($ORIGIN/plugins) still loads; RTLD_LOCAL, RTLD_GLOBAL, RTLD_DEEPBIND,
# RTLD_NOLOAD, dlclose + dlopen again and a missing library's dlerror text
# behave exactly as without the shim; calls the plugin makes through its
# own PLT are monitored on every load; a symbol absent at start (defined
# only in the plugin) is resolved when the plugin loads, and so is a glob
# matching only there (the glob itself is then not reported).
. "$(dirname "$0")/lib.sh"
host="$TARGETS/plugin_host"
N=250
"$host" $N >"$WORK/native"
grep -q "^first: [0-9]" "$WORK/native" || fail "test premise: the plugin loads natively"
"$TMRUN" -q -s "work_noop,plugin_helper,plugin_ent*" -o "$WORK/s.json" -- "$host" $N >"$WORK/shim"
diff "$WORK/native" "$WORK/shim" || fail "dlopen behaves differently under the shim"
echo "ok: $(tr '\n' ';' <"$WORK/shim")"
expect_eq "work_noop calls from the plugin (3 loads)" "$(calls "$WORK/s.json" work_noop)" $((3 * N))
expect_eq "plugin_helper (absent at start) calls" "$(calls "$WORK/s.json" plugin_helper)" 3
expect_eq "plugin_helper object" "$(field "$WORK/s.json" plugin_helper object)" libtmplugin.so
expect_eq "plugin_entry (glob, absent at start) calls" "$(calls "$WORK/s.json" plugin_entry)" 3
expect_eq "a glob that matched is not listed itself" \
	"$(jqv "$WORK/s.json" '[.symbols[] | select(.pattern)] | length')" 0
expect_no_segments
