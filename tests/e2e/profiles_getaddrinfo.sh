#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# getaddrinfo and getnameinfo (libc profile) with no configuration, no
# network: getent resolving localhost (from /etc/hosts) is ok; python3
# asking for a name that is not numeric with AI_NUMERICHOST gets
# EAI_NONAME, and a service name for a socket type that has none gets
# EAI_SERVICE: each failed once by name, as python's socket.gaierror says
# (its errno is the EAI_* value); getnameinfo of 127.0.0.1 with
# NI_NUMERICHOST is ok.
. "$(dirname "$0")/lib.sh"
"$TMRUN" -q -s getaddrinfo -o "$WORK/g.json" -- getent ahosts localhost >"$WORK/g.out"
grep -qE '^(127\.0\.0\.1|::1) ' "$WORK/g.out" || fail "getent: $(cat "$WORK/g.out")"
s=$WORK/g.json
[ "$(field "$s" getaddrinfo ok)" -ge 1 ] || fail "getaddrinfo not ok"
expect_eq "getent: getaddrinfo failed" "$(field "$s" getaddrinfo failed)" 0

cat >"$WORK/gai.py" <<'P'
import socket
for host, port, kw in (("not-a-number.invalid", 80, {"flags": socket.AI_NUMERICHOST}),
                       ("127.0.0.1", "no-such-service-tm", {"type": socket.SOCK_STREAM})):
    try:
        socket.getaddrinfo(host, port, **kw)
        print("resolved")
    except socket.gaierror as e:
        print(e.errno)
print(socket.getaddrinfo("127.0.0.1", 80, flags=socket.AI_NUMERICHOST)[0][4][0])
print(socket.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV))
P
"$TMRUN" -q -s getaddrinfo,getnameinfo -o "$WORK/p.json" -- python3 "$WORK/gai.py" >"$WORK/p.out"
expect_eq "python's view" "$(cat "$WORK/p.out")" "$(printf '%s\n' -2 -8 127.0.0.1 "('127.0.0.1', '80')")"
s=$WORK/p.json
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$s" >/dev/null || fail "schema"
# python's socket.getnameinfo resolves the address with getaddrinfo first
expect_eq "getaddrinfo calls" "$(calls "$s" getaddrinfo)" 4
expect_eq "getaddrinfo ok" "$(field "$s" getaddrinfo ok)" 2
kv='to_entries | map("\(.key)=\(.value)") | sort | join(" ")'
expect_eq "getaddrinfo errors" "$(field "$s" getaddrinfo "errors | $kv")" 'EAI_NONAME=1 EAI_SERVICE=1'
expect_eq "getaddrinfo categories" "$(field "$s" getaddrinfo "errors_by_category | $kv")" \
	'invalid_input=1 not_found=1'
expect_eq "getnameinfo ok" "$(field "$s" getnameinfo ok)" 1
expect_eq "getnameinfo failed" "$(field "$s" getnameinfo failed)" 0
expect_no_segments
