#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The GOT slots and memory protections of a running process, for the
attach tests (tests/e2e/attach_got.sh).

  attach_gots.py snapshot PID OUT.json
      every JUMP_SLOT, GLOB_DAT and R_X86_64_64 relocation (with a symbol)
      of every ELF object mapped in PID but libtmshim (readelf for the
      relocations, /proc/PID/maps for the load bases, /proc/PID/mem for the
      values), and PID's mappings
  attach_gots.py check PID BEFORE.json attached|detached
      compares PID now with a snapshot taken before the attach:
      - the protections of every mapping of BEFORE are unchanged (each
        mapping now overlapping it has the same permissions), and every
        object's PT_GNU_RELRO range is read-only;
      - attached: some slots point into libtmshim (listed);
      - detached: no slot points into libtmshim, and every slot holds what
        it held before, but a lazy JUMP_SLOT that was still unbound (it
        pointed into its own object) and has been bound since.
Prints what it found; exits 1 on a difference."""
import json
import os
import re
import subprocess
import sys


def maps(pid):
    out = []
    for line in open(f"/proc/{pid}/maps"):
        f = line.split(maxsplit=5)
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        path = f[5].strip() if len(f) > 5 else ""
        out.append([lo, hi, f[1], int(f[2], 16), path])
    return out


def is_shim(path):
    return os.path.basename(path).startswith("libtmshim")


def readelf(args, path):
    return subprocess.run(["readelf", "-W"] + args + [path], capture_output=True,
                          text=True).stdout


def objects(m):
    """(path, base, relro range or None) of every ELF object mapped."""
    seen, out = set(), []
    for lo, hi, perms, off, path in m:
        if off != 0 or not path.startswith("/") or path in seen or is_shim(path):
            continue
        seen.add(path)
        try:
            with open(path, "rb") as f:
                if f.read(4) != b"\x7fELF":
                    continue
        except OSError:
            continue
        hdr = readelf(["-h"], path)
        ph = readelf(["-l"], path)
        loads = [l.split() for l in ph.splitlines() if l.split()[:1] == ["LOAD"]]
        if not loads:
            continue
        first = int(loads[0][2], 16) & ~0xfff
        base = lo - first if "DYN" in hdr else 0
        relro = None
        for l in ph.splitlines():
            f = l.split()
            if f[:1] == ["GNU_RELRO"]:
                v, sz = int(f[2], 16), int(f[5], 16)
                relro = [base + v, base + v + sz]
        out.append((path, base, relro))
    return out


RELOC = re.compile(r"^([0-9a-f]+)\s+[0-9a-f]+\s+R_X86_64_(JUMP_SLOT|GLOB_DAT|64)"
                   r"\s+[0-9a-f]+\s+(\S+)")


def slots(pid, objs):
    out = {}
    with open(f"/proc/{pid}/mem", "rb") as mem:
        for path, base, _ in objs:
            for l in readelf(["-r"], path).splitlines():
                r = RELOC.match(l.strip())
                if not r:
                    continue
                a = base + int(r.group(1), 16)
                mem.seek(a)
                v = int.from_bytes(mem.read(8), "little")
                out[f"{path}+{r.group(1)}"] = [r.group(2), r.group(3), a, v]
    return out


def snapshot(pid):
    m = maps(pid)
    objs = objects(m)
    return {"maps": m, "objects": objs, "slots": slots(pid, objs)}


def inside(ranges, a):
    return any(lo <= a < hi for lo, hi in ranges)


def check(pid, before, mode):
    now = snapshot(pid)
    bad = []
    shim = [(lo, hi) for lo, hi, _, _, p in now["maps"] if is_shim(p)]
    if not shim:
        bad.append("libtmshim is not mapped")
    # protections: every mapping that was there keeps its permissions
    for lo, hi, perms, _, path in before["maps"]:
        for nlo, nhi, nperms, _, npath in now["maps"]:
            if nlo < hi and lo < nhi and nperms != perms:
                bad.append(f"{max(lo, nlo):x}-{min(hi, nhi):x} ({path or 'anon'}): "
                           f"{perms} before, {nperms} now")
    nrelro = 0
    for path, base, relro in now["objects"]:
        if not relro:
            continue
        nrelro += 1
        for lo, hi, perms, _, p in now["maps"]:
            if lo < relro[1] and relro[0] < hi and perms[:2] != "r-":
                bad.append(f"RELRO of {path} at {lo:x}-{hi:x} is {perms}")
    print(f"{len(before['maps'])} mappings compared, {nrelro} RELRO ranges looked at")
    # the slots
    objs = {p: b for p, b, _ in now["objects"]}
    ranges = {p: [(lo, hi) for lo, hi, _, _, mp in now["maps"] if mp == p] for p in objs}
    into = []
    for key, (typ, sym, a, v) in sorted(now["slots"].items()):
        path = key.rsplit("+", 1)[0]
        if inside(shim, v):
            into.append(f"{os.path.basename(path)} {typ} {sym}")
        if mode != "detached":
            continue
        old = before["slots"].get(key)
        if inside(shim, v):
            bad.append(f"{path}: {typ} {sym} at {a:x} points into libtmshim ({v:x})")
        elif old and old[3] != v:
            lazy = typ == "JUMP_SLOT" and inside(ranges.get(path, []), old[3])
            if not lazy:
                bad.append(f"{path}: {typ} {sym} at {a:x} was {old[3]:x}, now {v:x}")
            else:
                print(f"bound since: {os.path.basename(path)} {sym}")
    print(f"{len(now['slots'])} slots of {len(objs)} objects read; "
          f"{len(into)} point into libtmshim" + (": " + ", ".join(into) if into else ""))
    if mode == "attached" and not into:
        bad.append("attached, yet no slot points into libtmshim")
    for b in bad:
        print("BAD: " + b)
    return 1 if bad else 0


def main():
    if sys.argv[1] == "snapshot":
        json.dump(snapshot(int(sys.argv[2])), open(sys.argv[3], "w"))
        return 0
    return check(int(sys.argv[2]), json.load(open(sys.argv[3])), sys.argv[4])


sys.exit(main())
