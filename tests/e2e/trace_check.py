#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Checks a tm --trace file (Chrome Trace Event JSON): valid JSON, every
# complete event within [0, SPAN_US], per thread properly nested (children
# inside their parents), the depth of each event equal to the number of
# events around it when nothing was sampled out (at least it otherwise),
# at most MAX events, and the counters summing to CALLS.
# usage: trace_check.py FILE MAX SPAN_US CALLS
import json
import sys

path, cap, span, calls = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
with open(path) as f:
    doc = json.load(f)
ev = doc["traceEvents"]
other = doc["otherData"]
xs = [e for e in ev if e["ph"] == "X"]
assert len(xs) <= cap, f"{len(xs)} events over the cap {cap}"
assert other["events_written"] == len(xs)
assert other["calls_seen"] == calls, f"calls_seen {other['calls_seen']} != {calls}"
sampled = other["sampled"]
assert sampled == (calls > cap), f"sampled={sampled} with {calls} calls, cap {cap}"
names = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
procs = {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
counted = sum(e["args"]["calls"] for e in ev if e["ph"] == "C")
assert counted == calls, f"counters sum to {counted}, not {calls}"
by_thread = {}
for e in xs:
    assert e["ts"] >= 0 and e["dur"] >= 0, e
    assert e["ts"] + e["dur"] <= span, f"event past the run ({span} us): {e}"
    assert (e["pid"], e["tid"]) in names and e["pid"] in procs, f"unnamed thread: {e}"
    by_thread.setdefault((e["pid"], e["tid"]), []).append(e)
# in ns, as written (3 decimals of us): exact integers
for evs in by_thread.values():
    evs.sort(key=lambda e: (round(e["ts"] * 1000), -round(e["dur"] * 1000), e["args"]["depth"]))
    stack = []
    for e in evs:
        s = round(e["ts"] * 1000)
        end = s + round(e["dur"] * 1000)
        while stack and stack[-1] <= s:
            stack.pop()
        assert not stack or end <= stack[-1], f"not nested: {e}"
        d = e["args"]["depth"]
        assert d >= len(stack) if sampled else d == len(stack), f"depth {d}, {len(stack)} around: {e}"
        stack.append(end)
print(f"ok: {len(xs)} events, {len(by_thread)} threads, nested, sampled={sampled}")
