#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sqlite3's interactive shell (-interactive: prompts and echo, as at a
# terminal) fed through a pipe, attached between two
# statements and detached later: sqlite3_step is called once per INSERT,
# and the inserts made while attached are those total_changes() counts.
# The shell's output is that of the same session never attached.
. "$(dirname "$0")/attach_lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 not installed"

session() { # session OUT [attach]
	rm -f "$WORK/db" "$WORK/in"
	mkfifo "$WORK/in"
	stdbuf -oL sqlite3 -interactive "$WORK/db" <"$WORK/in" >"$1" 2>&1 & # line-buffered: marks arrive
	local pid=$! tr rc
	PIDS+=("$pid")
	exec 7>"$WORK/in"
	printf "CREATE TABLE t(x);\nSELECT 'before', total_changes();\n.print mark1\n" >&7
	wait_for "$1" '^mark1$'
	if [ "${2:-}" = attach ]; then
		"$TMRUN" --attach "$pid" -s sqlite3_step -o "$WORK/s.json" 2>"$WORK/t.err" &
		tr=$!
		PIDS+=("$tr")
		wait_for "$WORK/t.err" '^tmrun: attached to process'
	fi
	for i in $(seq 1 300); do echo "INSERT INTO t VALUES($i);"; done >&7
	echo ".print mark2" >&7
	wait_for "$1" '^mark2$'
	if [ "${2:-}" = attach ]; then
		kill -INT "$tr"
		wait "$tr" || fail "tmrun: $(cat "$WORK/t.err")"
		not_stopped "$pid" >&2
	fi
	echo "SELECT 'after', total_changes(), count(*), sum(x) FROM t;" >&7
	exec 7>&-
	set +e
	wait "$pid"
	rc=$?
	set -e
	echo "$rc"
}
rc_a=$(session "$WORK/a.out" attach)
rc_b=$(session "$WORK/b.out")
expect_eq "exit status attached / not" "$rc_a" "$rc_b"
expect_eq "output attached / not" "$(cat "$WORK/a.out")" "$(cat "$WORK/b.out")"
before=$(sed -n 's/^before|//p' "$WORK/a.out")
after=$(sed -n 's/^after|\([0-9]*\)|.*/\1/p' "$WORK/a.out")
expect_eq "sqlite3_step calls = rows total_changes() counted while attached" \
	"$(calls "$WORK/s.json" sqlite3_step)" $((after - before))
expect_eq "rows" "$(sed -n 's/^after|[0-9]*|//p' "$WORK/a.out")" "300|45150"
