#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The examples in contrib/ are valid: systemd-analyze verify on the
# collector unit (instantiated) and on the drop-in attached to a generated
# service, with the build tree's binaries in place of /usr/local (verify
# checks that ExecStart exists); systemd-analyze security --offline on the
# collector unit; promtool check config on the scrape config. Each check is
# shown to fail on a broken copy, so a pass is not verify ignoring a file.
. "$(dirname "$0")/lib.sh"
CONTRIB="$(cd "$(dirname "$0")/../.." && pwd)/contrib"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not installed (tools/setup installs systemd)"
command -v promtool >/dev/null || fail "promtool not installed (tools/setup installs prometheus)"
[ -x "$TMCOLLECT" ] || fail "no $TMCOLLECT"
[ -e "$SHIM" ] || fail "no $SHIM"

# verify_quiet FILE: systemd-analyze verify passes and says nothing
verify_quiet() {
	local out
	out=$(systemd-analyze verify "$1" 2>&1) || { echo "$out" >&2; return 1; }
	[ -z "$out" ] || { echo "$out" >&2; return 1; }
}

units="$WORK/units"
mkdir "$units"

# --- the collector unit --------------------------------------------------
sed "s#/usr/local/bin/tmcollect#$TMCOLLECT#g" "$CONTRIB/systemd/tmcollect@.service" >"$units/tmcollect@.service"
grep -q "ExecStart=$TMCOLLECT " "$units/tmcollect@.service" || fail "ExecStart is not /usr/local/bin/tmcollect"
ln -s tmcollect@.service "$units/tmcollect@demo.service"
verify_quiet "$units/tmcollect@demo.service" || fail "systemd-analyze verify tmcollect@demo.service"
echo "ok: systemd-analyze verify tmcollect@demo.service"

sed "s#^ExecStart=$TMCOLLECT#ExecStart=$WORK/no-such-tmcollect#" "$units/tmcollect@.service" >"$units/broken@.service"
ln -s broken@.service "$units/broken@demo.service"
if systemd-analyze verify "$units/broken@demo.service" >/dev/null 2>&1; then
	fail "verify accepted a unit whose ExecStart does not exist"
fi
echo "ok: verify refuses a missing ExecStart"

grep -q '^DynamicUser=' "$units/tmcollect@.service" && fail "DynamicUser= cannot read the monitored user's segments"
grep -q '^User=' "$units/tmcollect@.service" || fail "no User="
grep -q '^RemoveIPC=yes' "$units/tmcollect@.service" && fail "RemoveIPC=yes would delete the segments"
grep -q '^Restart=on-failure' "$units/tmcollect@.service" || fail "no Restart=on-failure"
grep -q -- '--session %i' "$units/tmcollect@.service" || fail "the instance is not the session"
echo "ok: User=, no DynamicUser=/RemoveIPC=, Restart=on-failure, --session %i"

exposure=$(systemd-analyze security --offline=yes --threshold=15 "$units/tmcollect@demo.service" 2>&1) ||
	{ echo "$exposure" | grep -v '^✓' >&2; fail "tmcollect@.service: exposure above 1.5"; }
echo "ok: $(echo "$exposure" | grep -o 'Overall exposure level.*')"

# the options the unit passes exist, once tmcollect has them all
help=$("$TMCOLLECT" --help 2>&1 || true)
opts=$(grep '^ExecStart=' "$units/tmcollect@.service" | grep -o -- '--[a-z-]*' | sort -u)
if grep -q -- '--listen' <<<"$help"; then
	for o in $opts; do
		grep -q -- "$o" <<<"$help" || fail "tmcollect --help has no $o"
	done
	echo "ok: tmcollect knows" $opts
else
	echo "skip: tmcollect has no --listen yet; not checking" $opts
fi

# --- the drop-in, attached to a generated service -------------------------
cat >"$units/tmdemo.service" <<EOT
[Unit]
Description=stand-in for a monitored service

[Service]
Type=exec
User=www-data
ExecStart=$TARGETS/threads
EOT
[ -x "$TARGETS/threads" ] || sed -i "s#^ExecStart=.*#ExecStart=/bin/sleep infinity#" "$units/tmdemo.service"
mkdir "$units/tmdemo.service.d"
sed "s#/usr/local/lib/libtmshim.so#$SHIM#g" "$CONTRIB/systemd/monitored-service.conf" >"$units/tmdemo.service.d/tm.conf"
grep -q "^Environment=LD_PRELOAD=$SHIM\$" "$units/tmdemo.service.d/tm.conf" || fail "the drop-in does not preload /usr/local/lib/libtmshim.so"
for v in TM_SYMBOLS TM_SESSION; do
	grep -q "^Environment=\"\?$v=" "$units/tmdemo.service.d/tm.conf" || fail "the drop-in sets no $v"
done
verify_quiet "$units/tmdemo.service" || fail "systemd-analyze verify tmdemo.service with the drop-in"
echo "ok: systemd-analyze verify tmdemo.service + tmdemo.service.d/tm.conf"

# the drop-in really is read: a broken copy of it is reported
cp "$units/tmdemo.service" "$units/tmbad.service"
mkdir "$units/tmbad.service.d"
{ cat "$units/tmdemo.service.d/tm.conf"; echo "NoSuchSetting=1"; } >"$units/tmbad.service.d/tm.conf"
out=$(systemd-analyze verify "$units/tmbad.service" 2>&1 || true)
grep -q 'tmbad.service.d/tm.conf.*NoSuchSetting' <<<"$out" || fail "verify did not read the drop-in: $out"
echo "ok: verify reads the drop-in (a bad key in it is reported)"

# --- Prometheus --------------------------------------------------------------
promtool check config "$CONTRIB/prometheus/prometheus.yml" >"$WORK/promtool.log" 2>&1 ||
	{ cat "$WORK/promtool.log" >&2; fail "promtool check config contrib/prometheus/prometheus.yml"; }
echo "ok: promtool check config contrib/prometheus/prometheus.yml"
sed 's/scrape_interval: 5s/scrape_interval: 5 seconds/' "$CONTRIB/prometheus/prometheus.yml" >"$WORK/bad.yml"
if promtool check config "$WORK/bad.yml" >/dev/null 2>&1; then fail "promtool accepted a broken copy"; fi
echo "ok: promtool refuses a broken copy"

# the scrape target is the port the unit listens on
listen=$(sed -n 's/^Environment=TM_LISTEN=//p' "$CONTRIB/systemd/tmcollect@.service")
grep -q "targets: \['$listen'\]" "$CONTRIB/prometheus/prometheus.yml" || fail "prometheus.yml does not scrape $listen"
echo "ok: prometheus.yml scrapes $listen, the unit's TM_LISTEN"
