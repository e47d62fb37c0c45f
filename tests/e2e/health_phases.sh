#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Health and alerts through a target that changes behaviour in phases:
# steady (200 calls/s of 0.5 ms, 30 s), failing 30% with EIO (10 s), 10x
# slower (10 s), steady again (65 s: the detector resolves within 60 s).
# The configured rules and the anomaly detector must fire in the right
# phase and resolve, nothing may fire in the steady phases without cause,
# health must move healthy -> unhealthy -> degraded -> healthy, and the
# counts stay exact. Phase boundaries come from the target itself
# (PHASES_MARK), every check is against them, none against the wall clock
# of the test. The target sleeps: on a loaded machine a steady phase can
# really be slow for a while (sleeps overshoot), and the detector is right
# to say so. So an alert outside the designed phases is a failure only if
# the recorded data does not show its cause — the per-second p99 (for the
# detector, 4 seconds 20% over the steady median: its own bar), failures
# and calls of the summary's `seconds` in the 12 s before it — and one not
# resolved in time only if the last steady phase shows nothing that keeps
# it: the detector's hysteresis replayed on the recorded p99 (over 1.15x
# the first steady phase's is not normal) does not resolve in time either,
# or there were failures;
# then the health sequence and the end state allow for it.
source "$(dirname "$0")/lib.sh"

export PHASES_MARK="$WORK/marks"
"$TMRUN" -q -c "$DATA/health.json" -o "$WORK/s.json" --jsonl "$WORK/ev.jsonl" -- \
	"$TARGETS/phases" 200:500:30 200:500:10:30 200:5000:10 200:500:65 >"$WORK/out"
read -r calls failed < <(sed -n 's/^done calls=\([0-9]*\) failed=\([0-9]*\)/\1 \2/p' "$WORK/out")
expect_eq "calls" "$(calls "$WORK/s.json" phase_work)" "$calls"
expect_eq "failed" "$(field "$WORK/s.json" phase_work failed)" "$failed"
expect_eq "EIO" "$(jq -r '.symbols[0].errors.EIO' "$WORK/s.json")" "$failed"

python3 - "$WORK/marks" "$WORK/s.json" "$WORK/ev.jsonl" <<'PY' || fail "alerts and health against the phases"
import json, sys
S = 10**9
marks = [int(l.split()[3]) for l in open(sys.argv[1])]
p1, p2, p3, p4 = marks
end = p4 + 65 * S
d = json.load(open(sys.argv[2]))
ev = [json.loads(l) for l in open(sys.argv[3])]
alerts = d["alerts"]
def show(a):
    return "%s/%s %s %+.1fs..%s" % (a["name"], a["labels"].get("series", ""), a["state"],
        (a["starts_realtime_ns"] - p1) / S,
        "%+.1fs" % ((a["ends_realtime_ns"] - p1) / S) if a["ends_realtime_ns"] else "-")
print("phases at +0 +%.1f +%.1f +%.1f s" % ((p2 - p1) / S, (p3 - p1) / S, (p4 - p1) / S))
for a in alerts:
    print("alert", show(a), "|", a["annotations"]["summary"])
bad = []
# the recorded seconds: what a steady second looks like, and the cause of
# an alert outside the designed phases
sec = d["symbols"][0]["seconds"]
t0 = sec["start_realtime_ns"]
secs = [(t0 + i * S, sec["calls"][i], sec["failed"][i], sec["p99_ns"][i])
        for i in range(sec["points"])]
steady = sorted(q for t, c, f, q in secs if p1 + 20 * S <= t < p2 and q)
base_p99 = steady[len(steady) // 2] if steady else 0
def cause(a):
    """What the data shows in the 12 s before a started; None: nothing."""
    t = a["starts_realtime_ns"]
    w = [x for x in secs if t - 12 * S <= x[0] <= t]
    kind = a["name"] if a["name"] != "anomaly" else a["labels"].get("series", "")
    if kind == "phase_slow":
        q = max((x[3] or 0 for x in w), default=0)
        return "p99 %.2f ms in the data (steady %.2f ms)" % (q / 1e6, base_p99 / 1e6) if q > 3.6e6 else None
    if kind in ("p99", "p50"):
        # the detector fires when 4 of the last 8 seconds are 20% or more
        # over its baseline (and far out of its spread): are they, here?
        hi = [x[3] for x in w if x[3] and base_p99 and x[3] > 1.2 * base_p99]
        return ("%d seconds with a p99 over 1.2x the steady %.2f ms, up to %.2f ms" %
                (len(hi), base_p99 / 1e6, max(hi) / 1e6)) if len(hi) >= 4 else None
    if kind in ("phase_errors", "error_ratio"):
        f = sum(x[2] for x in w)
        return "%d failures in the data" % f if f else None
    if kind == "calls":
        off = [x[1] for x in w if abs(x[1] - 200) > 40]
        return "calls/s %r in the data" % off if off else None
    return None
def late_cause(a, resolved_by):
    """What the data shows that kept a firing past resolved_by; None:
    nothing. The detector resolves a series after 30 judged seconds in a
    row with fewer than 4 of the last 8 not normal (z >= 3: here some 15%
    over the steady median); replayed on the recorded p99 from the slow
    phase on, does it resolve by resolved_by?"""
    w = [x for x in secs if p4 <= x[0] <= resolved_by]
    kind = a["name"] if a["name"] != "anomaly" else a["labels"].get("series", "")
    if kind in ("phase_slow", "p99", "p50"):
        if not base_p99:
            return None
        lim, highs, calm, worst = 1.15 * base_p99, [], 0, 0
        for x in w:
            if not x[3]:
                continue  # a second without timed calls: no evidence
            highs = (highs + [x[3] > lim])[-8:]
            calm = calm + 1 if sum(highs) < 4 else 0
            worst = max(worst, x[3]) if x[3] > lim else worst
            if calm >= 30:
                return None
        return ("replayed on the recorded p99 (over 1.15x the first steady phase's %.2f ms "
                "is not normal, up to %.2f ms), it does not resolve by %+.1fs" %
                (base_p99 / 1e6, worst / 1e6, (resolved_by - p1) / S))
    if kind in ("phase_errors", "error_ratio"):
        f = sum(x[2] for x in w)
        return "%d failures in the last steady phase" % f if f else None
    return None
justified = []
def outside(a, why):
    c = cause(a)
    if c:
        justified.append(a)
        print("note: %s outside the designed phases: %s" % (show(a), c))
    else:
        bad.append("%s %s" % (show(a), why))
def one(name, series, lo, hi, resolved_by):
    # series: one, or a tuple of which at least one must fire in the phase
    ss = series if isinstance(series, tuple) else (series,)
    m = [a for a in alerts if a["name"] == name and a["labels"].get("series", "") in ss]
    if not m:
        bad.append("%s/%s never fired" % (name, "|".join(ss))); return
    inside = [a for a in m if lo <= a["starts_realtime_ns"] <= hi]
    if not inside:
        bad.append("%s/%s did not fire in its phase" % (name, "|".join(ss)))
    for a in m:
        if a not in inside:
            outside(a, "fired outside its phase")
        elif a["state"] != "resolved" or a["ends_realtime_ns"] > resolved_by:
            c = late_cause(a, resolved_by)
            if c:
                justified.append(a)
                print("note: %s not resolved in time: %s" % (show(a), c))
            else:
                bad.append("%s not resolved in time" % show(a))
# the rules: within their window plus `for`, resolved once the window is clean
one("phase_errors", "", p2, p2 + 8 * S, p3 + 14 * S)
one("phase_slow", "", p3, p3 + 8 * S, p4 + 14 * S)
# the detector: within 5 s of the step (+1.25 s for a second to be sealed),
# resolved within 60 s of the return to normal
one("anomaly", "error_ratio", p2, p2 + 7 * S, p3 + 60 * S)
# the latency series (p50 or p99: which of them stands out depends on how
# much the machine made the steady sleeps vary; each is tested against
# exact series in unit_anomaly) may already move in the failing phase on a
# busy machine: by the slow phase at the latest
one("anomaly", ("p50", "p99"), p2, p3 + 7 * S, p4 + 60 * S)
for a in alerts:
    if (a["starts_realtime_ns"] < p2 or a["starts_realtime_ns"] > p4 + 5 * S) and a not in justified:
        outside(a, "fired in a steady phase")
    if a["function"] != "phase_work" and a["process"] is None:
        bad.append("unexpected alert " + show(a))
e = [a for a in alerts if a["name"] == "phase_errors"][0]
if e["severity"] != "critical" or e["labels"] != {"team": "e2e"} or e["kind"] != "error_rate":
    bad.append("phase_errors fields: %r" % e)
if "EIO" not in e["annotations"]["summary"] or e["annotations"]["runbook"] != "tests/e2e/health_phases.sh":
    bad.append("phase_errors annotations: %r" % e["annotations"])
if not (0.1 < e["value"] <= 0.31):
    bad.append("phase_errors value %r" % e["value"])
# every alert change is a stream event: fired, and resolved unless it is
# still firing at the end
fired = [x for x in ev if x.get("type") == "alert"]
changes = sum(2 if a["state"] == "resolved" else 1 for a in alerts)
if len(fired) != changes:
    bad.append("%d alert events for %d alert changes" % (len(fired), changes))
# health of the function: healthy -> unhealthy -> degraded -> healthy
hs = [x for x in ev if x.get("type") == "health" and x.get("what") == "function"]
seq = [x["to"] for x in hs]
print("health", " -> ".join(seq))
core = [s for s in seq if s != "unknown"]
ded = [s for i, s in enumerate(core) if i == 0 or core[i - 1] != s]
want = ["healthy", "unhealthy", "degraded", "healthy"]
# an anomaly (a warning) may say degraded before the error rule says unhealthy
def subseq(w, seq):
    it = iter(seq)
    return all(x in it for x in w)
still = [a for a in justified if a["state"] != "resolved"]
if justified:
    # a slow spell of the machine outside the phases adds degraded spells;
    # one that lasts to the end keeps the last healthy away
    w = want[:-1] if still else want
    if not subseq(w, ded) or any(s not in ("healthy", "degraded", "unhealthy") for s in ded):
        bad.append("health went " + " -> ".join(ded))
elif ded not in (want, ["healthy", "degraded"] + want[1:]):
    bad.append("health went " + " -> ".join(ded))
for x in hs:
    t = x["t_realtime_ns"]
    if x["to"] == "unhealthy" and not (p2 <= t <= p3 + 2 * S):
        bad.append("unhealthy outside the failing phase: %+.1fs" % ((t - p1) / S))
if (d["symbols"][0]["health"]["state"] != "healthy" or d["health"]["state"] != "healthy") and not still:
    bad.append("health at the end: %r / %r" % (d["symbols"][0]["health"], d["health"]))
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
echo "ok: alerts and health follow the phases"
E2E="$(cd "$(dirname "$0")" && pwd)"
python3 "$E2E/jsonschema_check.py" urn:tm:summary:1 "$WORK/s.json" || fail "summary schema"
python3 "$E2E/jsonschema_check.py" urn:tm:stream:1 "$WORK/ev.jsonl" --lines || fail "stream schema"

# the table's footer says it too
"$TMRUN" -c "$DATA/health.json" -- "$TARGETS/phases" 100:500:1:50 >/dev/null 2>"$WORK/table"
grep -q '^findings:' "$WORK/table" || fail "no findings in the table: $(cat "$WORK/table")"
grep -q 'phase_work: 50% EIO — the device or file system reports I/O errors' "$WORK/table" ||
	fail "no error finding: $(cat "$WORK/table")"
grep -q '^health: ' "$WORK/table" || fail "no health line"
echo "ok: the table's footer"
