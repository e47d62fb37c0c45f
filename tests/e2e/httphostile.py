#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile HTTP client for tmcollect --listen.

    python3 httphostile.py HOST PORT [--only CASE,...] [--list]
                           [--budget SECONDS] [--slow-conns N]
                           [--slow-seconds S] [--expect-timeout S]

Sends malformed, oversized, slow and plentiful requests, one case at a time,
and prints one line per case: `ok CASE` or `FAIL CASE: reason` (lines
starting with `#` are information). Between cases the server must answer
GET /healthz with 200; once it does not, the remaining cases are not run.
Exits 1 if any case failed, 2 on bad usage. Standard library only; bounded:
the whole run stops after --budget seconds (default 20), each request waits
at most 3 s.

What the server must do:
- refuse a malformed request (garbage, GET without a path, HTTP/9.9, NUL
  bytes, broken chunked body) with a 4xx status or 505, or by closing the
  connection, and answer a complete one (no waiting for more bytes);
- refuse oversized requests (1 MiB header, 10000 headers): 4xx or close,
  never 200;
- answer unknown paths 404, POST/PUT/DELETE on /metrics 405;
- never serve anything outside its endpoints for paths with `..` or
  percent-encoding;
- answer bad /api/v1/series queries 400 or 404 (414/431 for a huge URL);
- keep answering a fresh connection while 32 slowloris connections dribble
  a request line byte by byte, and after 1000 connections opened at once
  (it may refuse some);
- no 500 anywhere: an internal error is a bug.
With --expect-timeout S the slowloris connections must also be closed by
the server within S + 2 seconds once they stop sending; without it, how
many it closed is only reported (an idle timeout does not stop a client
that keeps sending one byte a second: the connection limit must).
"""

import argparse
import errno
import os
import resource
import select
import socket
import sys
import time

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: tm\r\nConnection: close\r\n\r\n"
REQ_TIMEOUT = 3.0


class Budget:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return self.end - time.monotonic()

    def timeout(self, want=REQ_TIMEOUT):
        return max(0.05, min(want, self.left()))


class Result:
    """What came back: status (int or None), headers (dict, lower-case
    names), body (bytes), how it ended ('complete', 'closed', 'reset',
    'timeout', 'refused')."""

    def __init__(self, status=None, headers=None, body=b"", end="closed", raw=b""):
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.end = end
        self.raw = raw

    def __repr__(self):
        if self.status is not None:
            return "HTTP %d (%s)" % (self.status, self.end)
        return "no response (%s)" % self.end


def parse_head(buf):
    """(status, headers, body_start) once buf holds a full head, else None."""
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        return None
    lines = buf[:i].split(b"\r\n")
    parts = lines[0].split(None, 2)
    status = None
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        status = int(parts[1])
    headers = {}
    for ln in lines[1:]:
        k, sep, v = ln.partition(b":")
        if sep:
            headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return status, headers, i + 4


def complete(buf):
    """A whole response (head + Content-Length body, or chunked up to the
    last chunk) is in buf."""
    h = parse_head(buf)
    if h is None:
        return False
    status, headers, start = h
    if "content-length" in headers:
        try:
            return len(buf) - start >= int(headers["content-length"])
        except ValueError:
            return False
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return buf.endswith(b"0\r\n\r\n")
    return status in (204, 304) or (status is not None and 100 <= status < 200)


def exchange(host, port, data, budget, timeout=REQ_TIMEOUT, chunk=65536):
    """Connect, send data (bytes, or a list of pieces), read the answer.
    Sending stops early when the server answers or closes."""
    deadline = time.monotonic() + budget.timeout(timeout)
    try:
        s = socket.create_connection((host, port), timeout=budget.timeout(timeout))
    except OSError as e:
        return Result(end="refused: %s" % e.strerror)
    s.setblocking(False)
    pieces = data if isinstance(data, list) else [data]
    out = b"".join(pieces)
    sent = 0
    buf = b""
    end = "timeout"
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            wl = [s] if sent < len(out) else []
            r, w, _ = select.select([s], wl, [], left)
            if r:
                try:
                    got = s.recv(65536)
                except ConnectionResetError:
                    end = "reset"
                    break
                except BlockingIOError:
                    continue
                if not got:
                    end = "closed"
                    break
                buf += got
                if complete(buf):
                    end = "complete"
                    break
            if w:
                try:
                    sent += s.send(out[sent : sent + chunk])
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    # the server stopped reading and closed: read what it said
                    sent = len(out)
                    end = "reset"
    finally:
        s.close()
    h = parse_head(buf)
    if h is None:
        return Result(end=end, raw=buf)
    status, headers, start = h
    return Result(status, headers, buf[start:], end, buf)


def get(host, port, path, budget, method="GET", extra=b"", body=b""):
    req = b"%s %s HTTP/1.1\r\nHost: tm\r\nConnection: close\r\n%s" % (
        method.encode(),
        path if isinstance(path, bytes) else path.encode(),
        extra,
    )
    if body:
        req += b"Content-Length: %d\r\n" % len(body)
    return exchange(host, port, req + b"\r\n" + body, budget)


class Failed(Exception):
    pass


def refused(r, what):
    """A malformed or oversized request was refused: 4xx, 505, or closed."""
    if r.status is None:
        if r.end in ("closed", "reset"):
            return
        raise Failed("%s: %r, expected a 4xx status or the connection closed" % (what, r))
    if 400 <= r.status < 500 or r.status == 505:
        return
    raise Failed("%s: %r, expected refusal (4xx, 505 or close)" % (what, r))


def expect_status(r, allowed, what):
    if r.status not in allowed:
        raise Failed("%s: %r, expected %s" % (what, r, "/".join(map(str, allowed))))


def no_leak(r, what):
    for marker in (b"root:x:0:0", b"root:*:", b"[boot loader]"):
        if marker in r.body:
            raise Failed("%s: served a file from outside its endpoints" % what)


# ---------------------------------------------------------------- cases


def case_baseline(a, b):
    expect_status(get(a.host, a.port, "/healthz", b), (200,), "GET /healthz")


def case_garbage(a, b):
    junk = bytes((i * 37 + 11) % 256 for i in range(512)).replace(b"\r\n\r\n", b"")
    refused(exchange(a.host, a.port, junk + b"\r\n\r\n", b), "random bytes")


def case_no_path(a, b):
    refused(exchange(a.host, a.port, b"GET\r\n\r\n", b), "GET alone")
    refused(exchange(a.host, a.port, b"GET HTTP/1.1\r\nHost: tm\r\n\r\n", b), "GET HTTP/1.1")


def case_http99(a, b):
    refused(exchange(a.host, a.port, b"GET /healthz HTTP/9.9\r\nHost: tm\r\n\r\n", b), "HTTP/9.9")


def case_nul_path(a, b):
    r = exchange(a.host, a.port, b"GET /heal\x00thz HTTP/1.1\r\nHost: tm\r\nConnection: close\r\n\r\n", b)
    if r.status == 404:
        return
    refused(r, "NUL in the path")


def case_nul_header(a, b):
    r = exchange(a.host, a.port, b"GET /healthz HTTP/1.1\r\nHost: tm\r\nX-A: b\x00c\r\nConnection: close\r\n\r\n", b)
    if r.status == 200:
        return  # a NUL inside a header value that is not used: harmless
    refused(r, "NUL in a header")


def case_huge_header(a, b):
    big = b"X-Big: " + b"a" * (1 << 20) + b"\r\n"
    r = exchange(a.host, a.port, b"GET /healthz HTTP/1.1\r\nHost: tm\r\n" + big + b"Connection: close\r\n\r\n", b)
    refused(r, "a 1 MiB header")


def case_header_flood(a, b):
    hs = b"".join(b"X-H%d: v\r\n" % i for i in range(10000))
    r = exchange(a.host, a.port, b"GET /healthz HTTP/1.1\r\nHost: tm\r\n" + hs + b"Connection: close\r\n\r\n", b)
    refused(r, "10000 headers")


def case_body_on_get(a, b):
    r = get(a.host, a.port, "/healthz", b, body=b"x" * 64)
    if r.status != 200:
        refused(r, "GET with a body")
    # a body announced but never sent: the server must not answer with
    # something wrong; waiting then timing out, or refusing, are both fine
    r = exchange(a.host, a.port, b"GET /healthz HTTP/1.1\r\nHost: tm\r\nContent-Length: 1000000000\r\n\r\nxx", b, timeout=1)
    if r.status is not None and r.status >= 500 and r.status != 505:
        raise Failed("GET with an unsent 1 GB body: %r" % r)


def case_chunked_garbage(a, b):
    r = exchange(
        a.host,
        a.port,
        b"POST /healthz HTTP/1.1\r\nHost: tm\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZZZ\r\nhello\r\n",
        b,
    )
    refused(r, "a broken chunked body")


def case_404(a, b):
    for p in ("/nope", "/metricsx", "/api/v1/nope", "/healthz/extra"):
        expect_status(get(a.host, a.port, p, b), (404,), "GET " + p)


def make_method_case(m):
    def case(a, b):
        r = get(a.host, a.port, "/metrics", b, method=m, body=b"x=1" if m != "DELETE" else b"")
        expect_status(r, (405,), "%s /metrics" % m)

    return case


def case_dotdot(a, b):
    for p in ("/../../../../etc/passwd", "/api/v1/../../../etc/passwd", "/metrics/../../etc/passwd"):
        r = get(a.host, a.port, p, b)
        no_leak(r, p)
        if r.status not in (400, 404):
            refused(r, "GET " + p)


def case_percent(a, b):
    for p in ("/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/..%2f..%2fetc%2fpasswd", "/%00", "/%zz", "/%"):
        r = get(a.host, a.port, p, b)
        no_leak(r, p)
        if r.status not in (400, 404):
            refused(r, "GET " + p)
    # an encoded name of a real endpoint may be decoded or not, never a 5xx
    r = get(a.host, a.port, "/%6detrics", b)
    if r.status is None or (r.status >= 500 and r.status != 505):
        raise Failed("GET /%%6detrics: %r" % r)


def case_series(a, b):
    base = "/api/v1/series"
    for q, what in (
        ("", "no query"),
        ("?window=1m", "no function"),
        ("?function=", "empty function"),
        ("?function=read&window=bogus", "bad window"),
        ("?function=read&window=", "empty window"),
        ("?function=read&window=-1m", "negative window"),
        ("?function=read&window=99999999999999999999h", "overflowing window"),
        ("?function=%zz&window=1m", "bad percent-encoding"),
        ("?function=%00&window=1m", "NUL in function"),
        ("?function=no_such_function_anywhere&window=1m", "unknown function"),
        ("?function&window", "keys without values"),
    ):
        r = get(a.host, a.port, base + q, b)
        expect_status(r, (400, 404), "series, %s" % what)
    r = get(a.host, a.port, base + "?" + "&".join("function=f%d" % i for i in range(2000)), b)
    if r.status not in (400, 404, 414, 431):
        refused(r, "series, 2000 function keys")
    r = get(a.host, a.port, base + "?function=" + "A" * 100000 + "&window=1m", b)
    if r.status not in (400, 404, 414, 431):
        refused(r, "series, a 100 kB function name")


def case_slowloris(a, b):
    n, secs = a.slow_conns, a.slow_seconds
    conns = []
    for _ in range(n):
        try:
            s = socket.create_connection((a.host, a.port), timeout=budget_timeout(b, 1))
            s.setblocking(False)
            conns.append(s)
        except OSError:
            pass  # the server limits connections: fine
    print("# slowloris: %d of %d connections open" % (len(conns), n))
    line = b"GET /healthz HTTP/1.1\r\nHost: tm\r\n"
    start = time.monotonic()
    pos = 0
    closed = 0
    checked = False
    try:
        while time.monotonic() - start < secs and b.left() > 2:
            for s in list(conns):
                try:
                    s.send(line[pos % len(line) : pos % len(line) + 1])
                    r, _, _ = select.select([s], [], [], 0)
                    if r and not s.recv(4096):
                        raise ConnectionResetError
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    conns.remove(s)
                    s.close()
                    closed += 1
            pos += 1
            if not checked and time.monotonic() - start > min(2, secs / 2):
                r = get(a.host, a.port, "/healthz", b)
                expect_status(r, (200,), "a fresh GET /healthz during slowloris")
                checked = True
            time.sleep(0.5)
        if not checked:
            expect_status(get(a.host, a.port, "/healthz", b), (200,), "a fresh GET /healthz during slowloris")
        if a.expect_timeout is not None and conns:
            # stop dribbling: the server's idle timeout must close the rest
            wait_end = time.monotonic() + min(a.expect_timeout + 2, max(0, b.left() - 1))
            while conns and time.monotonic() < wait_end:
                r, _, _ = select.select(conns, [], [], max(0, wait_end - time.monotonic()))
                for s in r:
                    try:
                        if s.recv(4096):
                            continue
                    except OSError:
                        pass
                    conns.remove(s)
                    s.close()
                    closed += 1
            if conns:
                raise Failed("%d slowloris connections still open %.0f s after their last byte" % (len(conns), a.expect_timeout + 2))
        print("# slowloris: the server closed %d, %d still open after %.1f s" % (closed, len(conns), time.monotonic() - start))
    finally:
        for s in conns:
            s.close()


def budget_timeout(b, want):
    return b.timeout(want)


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def case_thousand(a, b):
    n = 1000
    limit = raise_nofile(n + 64)
    if limit != resource.RLIM_INFINITY and limit < n + 16:
        n = limit - 16
        print("# thousand: RLIMIT_NOFILE %d, opening %d" % (limit, n))
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((a.host, a.port))
            if err not in (0, errno.EINPROGRESS, errno.EAGAIN):
                s.close()
                continue
            socks.append(s)
        # connected ones send a whole request
        end = time.monotonic() + budget_timeout(b, 2)
        pending = set(socks)
        connected = []
        while pending and time.monotonic() < end:
            _, w, _ = select.select([], list(pending)[:1000], [], max(0, end - time.monotonic()))
            for s in w:
                pending.discard(s)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    try:
                        s.send(HEALTHZ)
                        connected.append(s)
                    except OSError:
                        pass
        ok = refused_n = 0
        bufs = {s: b"" for s in connected}
        live = set(connected)
        end = time.monotonic() + budget_timeout(b, 3)
        while live and time.monotonic() < end:
            r, _, _ = select.select(list(live)[:1000], [], [], max(0, end - time.monotonic()))
            for s in r:
                try:
                    got = s.recv(65536)
                except OSError:
                    got = b""
                if got:
                    bufs[s] += got
                    if not complete(bufs[s]):
                        continue
                live.discard(s)
                h = parse_head(bufs[s])
                if h and h[0] == 200:
                    ok += 1
                else:
                    refused_n += 1
                if h and h[0] is not None and h[0] >= 500 and h[0] != 503:
                    raise Failed("thousand: a connection got HTTP %d" % h[0])
        print(
            "# thousand: %d sockets, %d connected, %d answered 200, %d refused or closed, %d no answer"
            % (len(socks), len(connected), ok, refused_n, len(live))
        )
    finally:
        for s in socks:
            s.close()
    # the server may need a moment to drop them: a 200 within 3 s
    end = time.monotonic() + budget_timeout(b, 3)
    while True:
        r = get(a.host, a.port, "/healthz", b)
        if r.status == 200:
            return
        if time.monotonic() >= end:
            raise Failed("GET /healthz after 1000 connections: %r" % r)
        time.sleep(0.1)


CASES = [
    ("baseline_healthz", case_baseline),
    ("garbage_bytes", case_garbage),
    ("get_without_path", case_no_path),
    ("http_9_9", case_http99),
    ("nul_in_path", case_nul_path),
    ("nul_in_header", case_nul_header),
    ("huge_header_1mib", case_huge_header),
    ("header_count_flood", case_header_flood),
    ("body_on_get", case_body_on_get),
    ("chunked_garbage", case_chunked_garbage),
    ("unknown_path_404", case_404),
    ("post_metrics_405", make_method_case("POST")),
    ("put_metrics_405", make_method_case("PUT")),
    ("delete_metrics_405", make_method_case("DELETE")),
    ("dotdot_path", case_dotdot),
    ("percent_encoding", case_percent),
    ("series_query_abuse", case_series),
    ("slowloris", case_slowloris),
    ("thousand_connections", case_thousand),
]


def healthy(a, b):
    """GET /healthz answers 200 (three tries within about a second)."""
    last = None
    for _ in range(3):
        last = get(a.host, a.port, "/healthz", b)
        if last.status == 200:
            return None
        time.sleep(0.3)
    return last


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--only", help="comma-separated case names")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--budget", type=float, default=20.0, help="seconds for the whole run (20)")
    p.add_argument("--slow-conns", type=int, default=32, help="slowloris connections (32)")
    p.add_argument("--slow-seconds", type=float, default=5.0, help="how long they dribble (5)")
    p.add_argument(
        "--expect-timeout",
        type=float,
        help="the server's idle timeout: slowloris connections must be closed within it (+2 s)",
    )
    if "--list" in sys.argv[1:]:
        for name, _ in CASES:
            print(name)
        return 0
    a = p.parse_args()
    cases = CASES
    if a.only:
        want = a.only.split(",")
        unknown = [w for w in want if w not in dict(CASES)]
        if unknown:
            p.error("unknown case(s): %s" % ", ".join(unknown))
        cases = [c for c in CASES if c[0] in want]
    b = Budget(a.budget)
    failed = 0
    down = None
    for name, fn in cases:
        if down is not None:
            print("FAIL %s: not run, the server stopped answering after %s" % (name, down))
            failed += 1
            continue
        if b.left() <= 0.5:
            print("FAIL %s: not run, time budget of %.0f s used up" % (name, a.budget))
            failed += 1
            continue
        try:
            fn(a, b)
            print("ok %s" % name)
        except Failed as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
        except OSError as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
        sys.stdout.flush()
        bad = healthy(a, b)
        if bad is not None:
            print("FAIL %s: GET /healthz afterwards: %r" % (name, bad))
            failed += 1
            down = name
    print("# %d cases, %d failed, %.1f s" % (len(cases), failed, a.budget - b.left()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
