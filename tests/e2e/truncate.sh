#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A hostile process truncates a live segment (to 0, to half, grown back)
# while tmcollect drains it: tmcollect survives, reports the segment as
# corrupt and detaches from it, and the other processes' counts stay exact.
. "$(dirname "$0")/lib.sh"
B="$TARGETS/blocker"
mkfifo "$WORK/good.in" "$WORK/victim.in"
exec 7<>"$WORK/good.in" 8<>"$WORK/victim.in"

coll="" good="" victim=""
trap 'kill $coll $good $victim 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$TMCOLLECT" --until-idle --summary "$WORK/s.json" 2>"$WORK/coll.err" &
coll=$!
LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop "$B" 1000 <"$WORK/good.in" >"$WORK/good.out" &
good=$!
LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop "$B" 500 <"$WORK/victim.in" >"$WORK/victim.out" &
victim=$!
seg=""
for _ in $(seq 1 400); do # until the collector holds the victim's segment
	seg=$(ls "$TM_DIR"/default.$victim.*.tm 2>/dev/null | head -1 || true)
	if [ -n "$seg" ] && grep -q ready "$WORK/victim.out" && ! flock -n "$seg" true; then
		break
	fi
	sleep 0.05
done
[ -n "$seg" ] && ! flock -n "$seg" true || fail "the collector never attached the victim"
size=$(stat -c %s "$seg")
for _ in $(seq 1 10); do # hostile: the pauses are the attack, not synchronisation
	truncate -s 0 "$seg"
	sleep 0.03
	truncate -s $((size / 2)) "$seg"
	sleep 0.03
	truncate -s "$size" "$seg"
	kill -0 $coll 2>/dev/null || break
done
kill -0 $coll 2>/dev/null || {
	wait $coll && rc=0 || rc=$?
	fail "tmcollect died (status $rc) while the segment was truncated"
}
kill -KILL $victim
echo x >&7
wait $good
set +e
timeout 60 tail --pid=$coll -f /dev/null
wait $coll
rc=$?
set -e
expect_eq "tmcollect's exit status" $rc 0
cat "$WORK/coll.err" >&2
expect_eq "reports about the truncated segment" "$(grep -c "$seg.*detached from it" "$WORK/coll.err")" 1
[ "$(jqv "$WORK/s.json" .loss.corrupt)" -ge 1 ] || fail "loss.corrupt is 0"
expect_eq "the good process's calls" \
	"$(jq -r --arg p $good '.processes[] | select(.pid == ($p | tonumber)) | .calls' "$WORK/s.json")" 1000
expect_eq "the good process's status" \
	"$(jq -r --arg p $good '.processes[] | select(.pid == ($p | tonumber)) | .status' "$WORK/s.json")" exited
