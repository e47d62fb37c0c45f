# SPDX-License-Identifier: MIT
# Shared by the benchmark scripts: a private work directory on tmpfs with a
# segment directory in it ($W, $W/shm), removed at exit unless TM_KEEP=1,
# and bench_need to skip a figure whose tool is missing.
W=$(mktemp -d /dev/shm/tmbench.XXXXXX)
trap '[ -n "${TM_KEEP:-}" ] || rm -rf "$W"' EXIT
mkdir -m 700 "$W/shm"

# bench_need COMMAND FIGURE: says SKIP and ends the script when COMMAND is missing
bench_need() {
	command -v "$1" >/dev/null && return 0
	echo "SKIP $2: $1 is not installed (apt-get install $1)"
	exit 0
}
