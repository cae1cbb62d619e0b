#!/usr/bin/env bash
# config/spotd.service passes `systemd-analyze verify`, with ExecStart pointed at the
# spotd just built (the installed path does not exist here). Usage: service_unit.sh SPOTD
set -euo pipefail
spotd="$1"
here="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s|/usr/local/bin/spotd|$spotd|" "$here/config/spotd.service" > "$work/spotd.service"
grep -q '^Type=notify$' "$work/spotd.service"
grep -q '^WatchdogSec=' "$work/spotd.service"
out="$(systemd-analyze verify "$work/spotd.service" 2>&1)" || {
  echo "$out"
  exit 1
}
# verify prints warnings without failing: any output is a finding.
if [ -n "$out" ]; then
  echo "$out"
  exit 1
fi
echo "config/spotd.service: systemd-analyze verify clean"
