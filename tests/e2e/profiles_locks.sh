#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The libc profile's pthread rules with no configuration: a held mutex's
# trylock returns EBUSY, a timedlock and a cond_timedwait whose deadline
# has passed return ETIMEDOUT, the same for a write-held rwlock. Those are
# outcomes (busy, timed_out), counted by name and exactly, not failures;
# lock and unlock are ok. The oracle is the target's own count of what
# each call returned.
. "$(dirname "$0")/lib.sh"
N=7
"$TMRUN" -q -s 'pthread_mutex_*,pthread_rwlock_*,pthread_cond_timedwait' -o "$WORK/s.json" -- \
	"$TARGETS/locks" $N >"$WORK/out"
expect_eq "target's own count" "$(cat "$WORK/out")" \
	"trylock_ebusy=$N timedlock_etimedout=$N cond_etimedout=$N tryrdlock_ebusy=$N timedwrlock_etimedout=$N other=0"
s=$WORK/s.json
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$s" >/dev/null || fail "schema"
# name outcome code: N calls, all of them that outcome, none failed
outcome() {
	expect_eq "$1 calls" "$(calls "$s" "$1")" $N
	expect_eq "$1 $2.$3" "$(field "$s" "$1" "outcomes.$2.codes.$3 // 0")" $N
	expect_eq "$1 failed" "$(field "$s" "$1" failed)" 0
	expect_eq "$1 ok" "$(field "$s" "$1" ok)" 0
	expect_eq "$1 errors" "$(field "$s" "$1" 'errors | length')" 0
}
outcome pthread_mutex_trylock busy EBUSY
outcome pthread_mutex_timedlock timed_out ETIMEDOUT
outcome pthread_rwlock_tryrdlock busy EBUSY
outcome pthread_rwlock_timedwrlock timed_out ETIMEDOUT
outcome pthread_cond_timedwait timed_out ETIMEDOUT
# the thread's lock/unlock around each wait, and main's
expect_eq "pthread_mutex_lock ok" "$(field "$s" pthread_mutex_lock ok)" $((N + 1))
expect_eq "pthread_mutex_unlock ok" "$(field "$s" pthread_mutex_unlock ok)" $((N + 1))
expect_eq "pthread_rwlock_wrlock ok" "$(field "$s" pthread_rwlock_wrlock ok)" 1
expect_eq "totals.failed" "$(jqv "$s" .totals.failed)" 0
expect_eq "totals.outcome_calls" "$(jqv "$s" .totals.outcome_calls)" $((5 * N))

# Given back to the failures by the rules file, the same calls are failed
# with their errno names.
cat >"$WORK/rules.json" <<'J'
{"outcomes": [{"function": "pthread_mutex_trylock", "codes": {"EBUSY": "failed"}}]}
J
"$TMRUN" -q -s 'pthread_mutex_trylock' --rules "$WORK/rules.json" -o "$WORK/f.json" -- \
	"$TARGETS/locks" $N >/dev/null
expect_eq "trylock failed (rules file)" "$(field "$WORK/f.json" pthread_mutex_trylock failed)" $N
expect_eq "trylock errors.EBUSY" "$(field "$WORK/f.json" pthread_mutex_trylock errors.EBUSY)" $N
expect_no_segments
