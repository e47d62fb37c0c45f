#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A TM_DIR the collector does not own, or that others can write, is
# refused in one line, as the shim refuses it (another user who created
# /dev/shm/tm-<uid> first could plant entries in it). In a directory of
# ours, 10 000 planted entries are each reported once and cost the
# collector's rescans time linear in their number.
. "$(dirname "$0")/lib.sh"

# refuse DIR WHAT: tmcollect and tmrun exit 2 with one line naming it
refuse() {
	local rc
	set +e
	TM_DIR="$1" timeout 20 "$TMCOLLECT" --session own --until-idle --summary "$WORK/r.json" \
		>"$WORK/out" 2>"$WORK/err"
	rc=$?
	set -e
	expect_eq "$2: tmcollect exit" "$rc" 2
	expect_eq "$2: tmcollect says so in one line" "$(wc -l <"$WORK/err")" 1
	grep -q "TM_DIR $1: .*must be owned by you" "$WORK/err" || fail "$2: $(cat "$WORK/err")"
	echo "ok: $(cat "$WORK/err")"
	set +e
	TM_DIR="$1" timeout 20 "$TMRUN" -q -s work_noop -o "$WORK/r.json" -- true 2>"$WORK/err"
	rc=$?
	set -e
	expect_eq "$2: tmrun exit" "$rc" 2
	expect_eq "$2: tmrun says so in one line" "$(wc -l <"$WORK/err")" 1
}

mkdir -m 700 "$WORK/open"
chmod 0777 "$WORK/open"
refuse "$WORK/open" "mode 0777"
chmod 0750 "$WORK/open"
refuse "$WORK/open" "mode 0750"

if [ "$(id -u)" = 0 ]; then
	user="tmtestuser$$"
	useradd -M -r -s /usr/sbin/nologin "$user"
	trap 'userdel "$user" 2>/dev/null || true; rm -rf "$WORK"' EXIT
	# the other user creates the directory first, private to them, and
	# plants an entry named like a segment
	mkdir "$WORK/theirs"
	chown "$user" "$WORK/theirs"
	chmod 0711 "$WORK"
	setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
		sh -c "mkdir -m 700 '$WORK/theirs/d' && head -c 8192 /dev/zero >'$WORK/theirs/d/own.1.0.tm'"
	refuse "$WORK/theirs/d" "owned by $user"
	userdel "$user"
	chmod 0700 "$WORK"
else
	echo "skipped: another user's directory (needs root to create a user)"
fi

# 10 000 entries named like segments of the session, with bad headers,
# and one real process; the collector is left running for 3 s
python3 - "$TM_DIR" <<'PY'
import sys
d = sys.argv[1]
for i in range(10000):
    with open(f"{d}/many.{100000 + i}.{i:08x}.tm", "wb") as f:
        f.write(b"\x55" * 4096)
PY
"$TMCOLLECT" --session many --summary "$WORK/m.json" 2>"$WORK/merr" &
col=$!
TM_SESSION=many TM_SYMBOLS=work_noop LD_PRELOAD="$SHIM" "$TARGETS/shapes_pie" 100 >/dev/null
sleep 3
read -r ut st < <(awk '{print $14, $15}' "/proc/$col/stat")
kill -INT $col
wait $col
expect_eq "the real process counted" "$(calls "$WORK/m.json" work_noop)" 100
expect_eq "each planted entry reported once" "$(grep -c 'ignoring it' "$WORK/merr")" 10000
expect_eq "... in words" "$(grep -c 'bad magic; ignoring it' "$WORK/merr")" 10000
cpu=$(((ut + st) * 1000 / $(getconf CLK_TCK)))
echo "collector CPU over ~3 s with 10 000 planted entries: $cpu ms"
# a rescan (every 250 ms) is one readdir and a hash lookup per entry;
# quadratic (a linear search per entry) it took seconds each
[ "$cpu" -lt 1200 ] || fail "collector CPU $cpu ms over 3 s: rescans not linear"
rm -f "$TM_DIR"/many.*.tm
expect_no_segments
