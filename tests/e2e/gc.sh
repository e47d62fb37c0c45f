#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs without a collector leave their segments (a later collector still
# collects them); `tmcollect --gc` collects those of processes that are
# gone — into --summary, so nothing is lost — removes them with one line
# each, and leaves a running process's segment alone.
. "$(dirname "$0")/lib.sh"
for s in a b c; do
	LD_PRELOAD="$SHIM" TM_SESSION=gc-$s TM_SYMBOLS=work_noop "$TARGETS/blocker" 300 </dev/null >/dev/null
done
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
LD_PRELOAD="$SHIM" TM_SESSION=gc-live TM_SYMBOLS=work_noop "$TARGETS/blocker" 50 <&3 >"$WORK/b.out" &
live=$!
trap 'kill $live 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 500); do grep -q ready "$WORK/b.out" && break; sleep 0.01; done
expect_eq "segments before --gc" "$(find "$TM_DIR" -name '*.tm' | wc -l)" 4
"$TMCOLLECT" --gc --summary "$WORK/gc.json" 2>"$WORK/gc.err"
cat "$WORK/gc.err"
expect_eq "segments after --gc: the running one" "$(find "$TM_DIR" -name '*.tm' | wc -l)" 1
find "$TM_DIR" -name 'gc-live.*.tm' | grep -q . || fail "the running process's segment was removed"
expect_eq "one line per removed segment" "$(grep -c '; removed$' "$WORK/gc.err")" 3
expect_eq "the calls of the gone processes, collected" \
	"$(jq '[.symbols[] | select(.session != "gc-live") | .calls] | add' "$WORK/gc.json")" 900
echo >&3
wait $live
"$TMCOLLECT" --session gc-live --until-idle --summary "$WORK/live.json"
expect_eq "the running one, collected later by its own collector" "$(calls "$WORK/live.json" work_noop)" 50
expect_no_segments
