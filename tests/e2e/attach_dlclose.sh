#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A library the program dlopens while attached is patched (its own PLT
# calls are counted); when the program dlcloses it before the detach, the
# detach leaves its unmapped GOT slots alone (a write there faulted inside
# the detach call, which left the process half attached). The program's
# output and exit code are those of an unattached run.
. "$(dirname "$0")/attach_lib.sh"
export ATTACHEE_PLUGIN="$TARGETS/plugins/libtmplugin.so"
OUT="$WORK/a.out"
start_attachee "$OUT" 2

plug() { # plug: SIGHUP, wait for the next "plugin N" and "unloaded N"
	local b
	b=$(grep -c '^unloaded' "$OUT" || true)
	kill -HUP "$APID"
	wait_lines "$OUT" '^unloaded' $((b + 1))
	echo "$(grep '^plugin' "$OUT" | tail -1) $(grep '^unloaded' "$OUT" | tail -1)"
}
before=$(plug)
case "$before" in "plugin "*" unloaded 1") ;; *) fail "unattached plugin run: $before" ;; esac
[ "$before" != "plugin -1 unloaded 1" ] || fail "the plugin did not load"

"$TMRUN" --attach "$APID" -s 'work_noop,plugin_helper' -o "$WORK/s.json" >"$WORK/t.out" 2>"$WORK/t.err" &
tr=$!
PIDS+=("$tr")
wait_for "$WORK/t.err" '^tmrun: attached to process'
expect_eq "plugin run while attached" "$(plug)" "$before"
detached_by "$tr" INT "$WORK/t.err" "plugin attachment"
expect_eq "plugin_helper calls (the plugin's own PLT, while attached)" \
	"$(calls "$WORK/s.json" plugin_helper)" 1
not_stopped "$APID"
# the program goes on as before: calls advance, the plugin loads again
c0=$(ask "$APID" "$OUT" USR1 count)
wait_count() {
	for ((k = 0; k < 500; k++)); do
		[ "$(ask "$APID" "$OUT" USR1 count)" -gt "$c0" ] && return 0
	done
	fail "the workers stopped after the detach"
}
wait_count
expect_eq "plugin run after detach" "$(plug)" "$before"
# and a second attachment works (the detach released its lock)
"$TMRUN" --attach "$APID" -s work_noop --duration 0.3 -o "$WORK/s2.json" 2>"$WORK/t2.err" ||
	fail "second attach: $(cat "$WORK/t2.err")"
[ "$(calls "$WORK/s2.json" work_noop)" -gt 0 ] || fail "no calls in the second attachment"
end_attachee "$OUT"
