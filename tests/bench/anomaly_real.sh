#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The anomaly detector on a real workload, with its default settings (no
# rules file): the phases target under tmrun, 200 calls/s of a 0.5 ms
# sleep, on whatever else the machine is doing.
#   steady       6 min (the 60 s warm-up, then 5 min): false alarms
#   alternating  6 min switching between 0.4 and 0.6 ms every 10 s: false alarms
#   step         2 min steady, 20 s at 10x, 90 s steady: delay, resolution
# usage: anomaly_real.sh BUILD_DIR [SCENARIO...]
set -euo pipefail
B=${1:?build dir}
shift
[ $# -gt 0 ] || set -- steady alternating step
W=$(mktemp -d /tmp/tm-anreal.XXXXXX)
trap 'rm -rf "$W"' EXIT
export TM_DIR="$W/shm"
mkdir -m 700 "$TM_DIR"
cat >"$W/r.json" <<'J'
{"symbols": {"phase_work": {"ret": "long", "success": "ret > 0"}}}
J

run() {
	local name=$1
	shift
	PHASES_MARK="$W/$name.marks" "$B/tools/tmrun" -q -c "$W/r.json" -o "$W/$name.json" -- \
		"$B/tests/targets/phases" "$@" >/dev/null
}

for s in "$@"; do
	case "$s" in
	steady) run steady 200:500:360 & ;;
	alternating)
		args=()
		for _ in $(seq 1 18); do args+=(200:400:10 200:600:10); done
		run alternating "${args[@]}" &
		;;
	step) run step 200:500:120 200:5000:20 200:500:90 & ;;
	*) echo "unknown scenario $s" >&2; exit 2 ;;
	esac
done
wait
for s in "$@"; do
	python3 - "$s" "$W/$s.json" "$W/$s.marks" <<'PY'
import json, sys
name, summ, marks = sys.argv[1:]
d = json.load(open(summ))
m = [int(l.split()[3]) for l in open(marks)]
an = [a for a in d["alerts"] if a["kind"] == "anomaly"]
if name != "step":
    n = len(an)
    print("BENCH name=anomaly_real.%s value=%d unit=alarms baseline=0 ratio=0 target==0 ok=%d "
          "what=anomaly_alerts_in_360_s_%s_default_settings" % (name, n, n == 0, name))
    for a in an:
        print("  alarm: %s at +%.0f s" % (a["annotations"]["summary"], (a["starts_realtime_ns"] - m[0]) / 1e9))
    sys.exit(0)
p2, p3 = m[1], m[2]
lat = [a for a in an if a["labels"].get("series") in ("p99", "p50")]
early = [a for a in an if a["starts_realtime_ns"] < p2]
late = [a for a in an if a["starts_realtime_ns"] > p3 + 5e9]
first = min((a["starts_realtime_ns"] for a in lat), default=None)
delay = (first - p2) / 1e9 if first else -1
ends = [a["ends_realtime_ns"] for a in lat if a["ends_realtime_ns"]]
res = (max(ends) - p3) / 1e9 if ends and len(ends) == len(lat) else -1
print("BENCH name=anomaly_real.step_delay value=%.2f unit=s baseline=0 ratio=0 target=<=5 ok=%d "
      "what=first_latency_anomaly_after_a_10x_step" % (delay, 0 <= delay <= 5))
print("BENCH name=anomaly_real.step_resolve value=%.2f unit=s baseline=0 ratio=0 target=<=60 ok=%d "
      "what=last_latency_anomaly_resolved_after_the_return" % (res, 0 <= res <= 60))
print("BENCH name=anomaly_real.step_false value=%d unit=alarms baseline=0 ratio=0 target==0 ok=%d "
      "what=anomalies_starting_in_the_steady_parts" % (len(early) + len(late), not early and not late))
PY
done
