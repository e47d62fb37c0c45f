#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A child that switches user keeps its calls: root's tmrun, with the
# default directories, follows its session into the other user's
# /dev/shm/tm-<uid> (owned by that uid, 0700, as the shim makes it) and
# counts the child's calls exactly, then removes the finished segment.
# Needs root (it creates a user): skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "skipped: needs root to create a user"
	exit 77
fi
for t in useradd userdel setpriv; do
	command -v $t >/dev/null || { echo "skipped: no $t"; exit 77; }
done
N=5000
user="tmtestuser$$"
useradd -M -r -s /usr/sbin/nologin "$user"
uid=$(id -u "$user")
gid=$(id -g "$user")
sess="su$$"
# the build tree may not be reachable by that user: what the child runs
# is copied to a directory everybody can read
BIN="$(mktemp -d /tmp/tm-su.XXXXXX)"
trap 'userdel "$user" 2>/dev/null || true; [ -n "${TM_KEEP:-}" ] || rm -rf "$WORK"; rm -rf "$BIN" "/dev/shm/tm-$uid"; rm -f /dev/shm/tm-0/$sess.*' EXIT
cp "$SHIM" "$TARGETS/blocker" "$TARGETS/libshapes.so" "$BIN/"
chmod 0755 "$BIN" "$BIN"/*
rm -rf "/dev/shm/tm-$uid" # a directory left by an earlier user with this uid
# the follow applies to the default directories only
unset TM_DIR
mkdir -p -m 700 /dev/shm/tm-0

TM_SHIM="$BIN/libtmshim.so" LD_LIBRARY_PATH="$BIN" "$TMRUN" -q --session "$sess" -s work_noop \
	-o "$WORK/s.json" -- setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	"$BIN/blocker" $N </dev/null >"$WORK/out" 2>"$WORK/err" ||
	fail "tmrun: $(cat "$WORK/err")"
grep -q "^ready" "$WORK/out" || fail "the child did not run: $(cat "$WORK/out" "$WORK/err")"
[ -d "/dev/shm/tm-$uid" ] || fail "the child wrote no segment in /dev/shm/tm-$uid"
S="$WORK/s.json"
expect_eq "work_noop calls" "$(calls "$S" work_noop)" $N
expect_eq "the child's calls (uid $uid)" \
	"$(jq '[.processes[] | select(.exe | endswith("/blocker")) | .calls] | add' "$S")" $N
expect_eq "segments left in /dev/shm/tm-$uid" \
	"$(find "/dev/shm/tm-$uid" -name "$sess.*" | wc -l)" 0
expect_eq "segments left in /dev/shm/tm-0" "$(find /dev/shm/tm-0 -name "$sess.*" | wc -l)" 0
