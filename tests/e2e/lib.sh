# SPDX-License-Identifier: MIT
# Helpers for the end-to-end tests. Each test gets a private TM_DIR and
# session, so tests run in parallel without seeing each other.
set -euo pipefail

: "${TM_BUILD:?TM_BUILD must point at the build directory}"
SHIM="$TM_BUILD/shim/libtmshim.so"
TMRUN="$TM_BUILD/tools/tmrun"
TMCOLLECT="$TM_BUILD/collector/tmcollect"
TARGETS="$TM_BUILD/tests/targets"
DATA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/data"

WORK="$(mktemp -d /tmp/tm-e2e.XXXXXX)"
export TM_DIR="$WORK/shm"
mkdir -m 700 "$TM_DIR"
[ -n "${TM_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

# A failing test keeps its work directory (files up to 16 MiB) under
# TM_FAILED_DIR (default /tmp/tm-e2e-failed), so a miss seen once in CI can
# be read afterwards: summaries, traces, the command's stderr.
fail() {
	echo "FAIL: $*" >&2
	local keep
	keep="${TM_FAILED_DIR:-/tmp/tm-e2e-failed}/$(basename "$0" .sh).$$"
	if mkdir -p "$keep" 2>/dev/null; then
		(cd "$WORK" && find . -type f -size -16M -print0 2>/dev/null |
			tar --null -T - -cf - 2>/dev/null | tar -C "$keep" -xf -) || true
		echo "kept: $keep (the test's work directory)" >&2
	fi
	exit 1
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
	echo "ok: $1 = $3"
}

# jq over a summary, one value out
jqv() { jq -r "$2" "$1"; }

# calls of symbol NAME in SUMMARY
calls() { jq -r --arg n "$2" '[.symbols[] | select(.name == $n) | .calls] | add // 0' "$1"; }
field() { jq -r --arg n "$2" ".symbols[] | select(.name == \$n) | .$3" "$1"; }

# The segment directory holds nothing once everything is collected.
expect_no_segments() {
	local left
	left=$(find "$TM_DIR" -name '*.tm' | wc -l)
	expect_eq "segments left in TM_DIR" "$left" 0
}
