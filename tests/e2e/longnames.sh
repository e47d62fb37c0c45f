#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Function names longer than a segment's 199 bytes: two functions whose
# 228-byte names share their first 224 stay two, each with its own count,
# shown cut to 182 bytes and ending in "~" and a hash of the whole name;
# a short name beside them is as it was.
. "$(dirname "$0")/lib.sh"
N=100
"$TMRUN" -q -s 'ln_*' -o "$WORK/s.json" -- "$TARGETS/longnames" $N >"$WORK/out"
grep -q "longnames n=$N " "$WORK/out" || fail "target: $(cat "$WORK/out")"
jq -r '.symbols[] | "\(.name) \(.calls)"' "$WORK/s.json" | sort >"$WORK/names"
expect_eq "functions" "$(wc -l <"$WORK/names")" 3
expect_eq "the short one" "$(calls "$WORK/s.json" ln_short)" $((3 * N))
long=$(grep -v '^ln_short ' "$WORK/names" | awk '{ print $2 }' | sort -n | tr '\n' ' ')
expect_eq "the long ones, each its own count" "$long" "$N $((2 * N)) "
for n in $(grep -v '^ln_short ' "$WORK/names" | awk '{ print $1 }'); do
	expect_eq "cut name's length" "${#n}" 199
	[[ $n =~ ^ln_a_very_long_name_.*~[0-9a-f]{16}$ ]] || fail "cut name: $n"
done
[ "$(grep -v '^ln_short ' "$WORK/names" | awk '{ print $1 }' | sort -u | wc -l)" = 2 ] ||
	fail "the two long names were made one: $(cat "$WORK/names")"
echo "ok: two long names kept apart: $(grep -v '^ln_short ' "$WORK/names" | awk '{ print substr($1, 180) }' | tr '\n' ' ')"
