#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun --top: the live view on tmrun's own collector while the command
# runs, in a real terminal (a private tmux server, 120x40). The function's
# row appears; when the command ends the view gives the terminal back and
# tmrun prints its table and exits with the command's status; the
# command's output went to --top-output, and the counts are exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
PACED="$TM_BUILD/tests/bench_paced"
command -v tmux >/dev/null || fail "tmux not installed (tools/setup installs it)"
SOCK="tm-e2e-tmrun-top-$$"
tmx() { tmux -L "$SOCK" "$@"; }
tm_on_exit "tmux -L $SOCK kill-server >/dev/null 2>&1 || true"
export LANG=C.UTF-8 LC_ALL=C.UTF-8

tmx new-session -d -x 120 -y 40 -s run \
	"env TERM=xterm-256color TM_DIR='$TM_DIR' '$TMRUN' --top --top-output '$WORK/cmd.out' \
	 -s work_noop -o '$WORK/s.json' -- '$PACED' 2000 8 2>'$WORK/err'; echo \$? >'$WORK/rc'; echo TMRUN-EXITED; exec cat"

# wait_screen ERE TIMEOUT
wait_screen() {
	local deadline s=""
	deadline=$(_tm_deadline "$2")
	while _tm_before "$deadline"; do
		s=$(tmx capture-pane -p -t run 2>/dev/null) || s=""
		grep -qE -- "$1" <<<"$s" && return 0
		sleep 0.1
	done
	echo "--- screen ---" >&2
	echo "$s" >&2
	fail "nothing matched /$1/ within $2 s"
}
wait_screen 'work_noop' 20
echo "ok: the view shows work_noop while the command runs"
wait_screen 'TMRUN-EXITED' 60
expect_eq "tmrun's exit status" "$(cat "$WORK/rc")" 0
grep -q '^paced calls=16000' "$WORK/cmd.out" || fail "the command's output: $(cat "$WORK/cmd.out")"
expect_eq "calls" "$(calls "$WORK/s.json" work_noop)" 16000
grep -q '^work_noop ' "$WORK/err" || fail "no table after the view: $(cat "$WORK/err")"
echo "ok: the view gave the terminal back, the table and the counts are right"
