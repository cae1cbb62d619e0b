#!/usr/bin/env bash
# Does a periodic snapshot disturb order latency? Runs spotd (journal on) on loopback,
# builds up state with a warm-up load, then measures a TCP run at a fixed rate with
# periodic snapshots every SNAP_MS and prints spot-bench's JSON line and the snapshot
# metrics. Run it twice, with SNAP_MS=0 (no periodic snapshots) as the baseline.
#   SNAP_MS=5000 RATE=5000 DURATION=30 bench/snapshot_pause.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SNAP_MS="${SNAP_MS:-5000}"
RATE="${RATE:-5000}"
DURATION="${DURATION:-30}"
WARM_RATE="${WARM_RATE:-20000}"
WARM_S="${WARM_S:-20}"
work="$(mktemp -d /tmp/spot-snapbench-XXXXXX)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
build/release/spotd --config config/spotd.toml --http-port 0 --tcp-port 0 --admin-port 0 \
  --admin-token secret --ports-file "$work/ports.json" --set "journal.dir=$work/journal" \
  --set "snapshot.interval_ms=$SNAP_MS" --set limits.orders_per_second_per_account=10000000 \
  --set limits.burst_per_account=10000000 --set log.level=warn >"$work/spotd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
port() { sed -E "s/.*\"$1\":([0-9]+).*/\1/" "$work/ports.json"; }
tcp="$(port tcp)"
admin="$(port admin)"
key="$(curl -s -XPOST -H 'Authorization: Bearer secret' "127.0.0.1:$admin/admin/v1/accounts" |
  sed -E 's/.*"apiKey":"([^"]+)".*/\1/')"
build/release/spot-bench tcp --port "$tcp" --api-key "$key" --rate "$WARM_RATE" \
  --duration "$WARM_S" --connections 8 --client-id-offset 1000000000 >/dev/null
echo "snapshot.interval_ms=$SNAP_MS, after a warm-up of ${WARM_S}s at ${WARM_RATE}/s:"
build/release/spot-bench tcp --port "$tcp" --api-key "$key" --rate "$RATE" \
  --duration "$DURATION" --connections 8 --client-id-offset 2000000000
curl -s "127.0.0.1:$admin/metrics" | grep -E '^spot_snapshot_|^spot_journal_appends_total'
