#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Smoke: git on a small repository (init, add, commit, status, diff, log -p,
# gc) with open, read, write, close, malloc and free hooked. git calls
# open64: configured as `open`, the large-file alias counts under `open`.
# Each command's output and exit code equal a native run's; open/read/write/
# close equal ltrace -c's count of git's own calls, never exceed strace's
# syscalls, and every process (git spawns children) ends once.
. "$(dirname "$0")/lib.sh"
export HOME="$WORK" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org \
	GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
SYMS=open,read,write,close,malloc,free
CMDS=("init -q -b main" "add ." "commit -q -m first" "status --short" "diff --stat"
	"commit -q -a -m second" "log -p" "rev-parse HEAD" "gc -q" "fsck --no-progress")

populate() {
	mkdir -p "$1/sub"
	for i in 1 2 3 4; do seq 1 $((i * 500)) >"$1/f$i.txt"; done
	echo nested >"$1/sub/n.txt"
	old "$1"
}
# Files older than the index are never "racily clean": git does not rewrite
# the index depending on which second a command ran in.
old() { find "$1" -path "$1/.git" -prune -o -exec touch -h -d 2020-01-01 {} +; }
# edit between the two commits, identically in every repository
edit() {
	echo changed >>"$1/f2.txt"
	rm "$1/f4.txt"
	old "$1"
}

tot_tm=() tot_lt=() tot_st=()
declare -A tm lt st
for m in native shim ltrace strace; do
	populate "$WORK/$m"
done
i=0
for c in "${CMDS[@]}"; do
	i=$((i + 1))
	[ "$c" = "commit -q -a -m second" ] && for m in native shim ltrace strace; do edit "$WORK/$m"; done
	set +e
	# shellcheck disable=SC2086
	git -C "$WORK/native" $c >"$WORK/native.$i.out" 2>&1
	nrc=$?
	# shellcheck disable=SC2086
	"$TMRUN" -q -s "$SYMS" -o "$WORK/s.$i.json" -- git -C "$WORK/shim" $c >"$WORK/shim.$i.out" 2>&1
	src=$?
	# shellcheck disable=SC2086
	ltrace -f -c -e open64+read+write+close -o "$WORK/lt.$i" git -C "$WORK/ltrace" $c >/dev/null 2>&1
	# shellcheck disable=SC2086
	strace -f -c -U calls,name -e trace=openat,read,write,close -o "$WORK/st.$i" \
		git -C "$WORK/strace" $c >/dev/null 2>&1
	set -e
	expect_eq "git $c: exit code" "$src" "$nrc"
	cmp "$WORK/native.$i.out" "$WORK/shim.$i.out" || fail "git $c: output differs"
	for f in open read write close; do
		t=$(calls "$WORK/s.$i.json" $f)
		tm[$f]=$((${tm[$f]:-0} + t))
		l=$(awk -v f=$([ $f = open ] && echo open64 || echo $f) '$NF == f { print $4 }' "$WORK/lt.$i")
		lt[$f]=$((${lt[$f]:-0} + ${l:-0}))
		s=$(awk -v f=$([ $f = open ] && echo openat || echo $f) '$2 == f { print $1 }' "$WORK/st.$i")
		st[$f]=$((${st[$f]:-0} + ${s:-0}))
		[ "$t" -le "${s:-0}" ] || fail "git $c: $f $t calls > strace's ${s:-0} syscalls"
	done
	# a forked child that calls exec is one image before ("exec") and one after
	np=$(jq '[.processes[] | select(.status != "exec")] | length' "$WORK/s.$i.json")
	npid=$(jq '[.processes[] | select(.status != "exec") | .pid] | unique | length' "$WORK/s.$i.json")
	expect_eq "git $c: each process ended once" "$npid" "$np"
done
for f in open read write close; do
	expect_eq "$f calls = ltrace -c (all commands)" "${tm[$f]}" "${lt[$f]}"
	echo "   strace saw ${st[$f]} $f syscalls (stdio and libc-internal calls included)"
done
[ "${tm[open]}" -gt 20 ] || fail "open: ${tm[open]} calls"
m=$(jq -s '[.[].symbols[] | select(.name == "malloc") | .calls] | add' "$WORK"/s.*.json)
[ "$m" -gt 1000 ] || fail "malloc: $m calls"
echo "ok: malloc $m calls"
git -C "$WORK/shim" log --format=%H >"$WORK/shim.hashes"
git -C "$WORK/native" log --format=%H | cmp - "$WORK/shim.hashes" || fail "commit hashes differ"
expect_no_segments
