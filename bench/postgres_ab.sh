#!/usr/bin/env bash
# Order entry with and without the PostgreSQL projector: the same spotd binary, embedded
# (journal only) and with [postgres] url set, taking turns on a fresh journal (and a
# fresh database) per run, driven by spot-bench. Prints one summary line per run.
#
#   bench/postgres_ab.sh [ROUNDS]      (default 2)
#
# Per round and mode: HTTP 30 s at 5,000/s over 16 connections, TCP 30 s at 5,000/s over
# 8 connections, an HTTP sweep and a TCP sweep (highest rate with p99 < 50 ms). Uses
# build/release (SPOTD, SPOT_BENCH override). Everything listens on 127.0.0.1; the
# cluster lives in a temp directory and is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-2}"
spotd="${SPOTD:-build/release/spotd}"
bench="${SPOT_BENCH:-build/release/spot-bench}"
work="$(mktemp -d /tmp/spotd-pgab-XXXXXX)"
chmod 711 "$work"
spotd_pid=""
cleanup() {
  [ -n "$spotd_pid" ] && kill -TERM "$spotd_pid" 2>/dev/null && wait "$spotd_pid" || true
  scripts/pg stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
url="$(scripts/pg start "$work/pg" 2>/dev/null)"
psql_admin() { runuser -u postgres -- psql -q -h 127.0.0.1 -p "$(cat "$work/pg/port")" -d postgres "$@"; }

start_spotd() {  # $1 = embedded | postgres
  local run="$work/run"
  rm -rf "$run"
  mkdir -p "$run"
  local extra=()
  if [ "$1" = postgres ]; then
    psql_admin -c 'DROP DATABASE IF EXISTS spotd' -c 'CREATE DATABASE spotd'
    extra=(--set "postgres.url=$url")
  fi
  "$spotd" --config config/spotd.toml --http-port 0 --tcp-port 0 --admin-port 0 \
    --admin-token ab --ports-file "$run/ports.json" --set journal.dir="$run/journal" \
    --set limits.orders_per_second_per_account=1000000 --set limits.burst_per_account=1000000 \
    --set log.level=warn "${extra[@]}" 2>"$run/spotd.log" &
  spotd_pid=$!
  for _ in $(seq 1 200); do [ -s "$run/ports.json" ] && break; sleep 0.05; done
  http=$(python3 -c "import json;print(json.load(open('$run/ports.json'))['http'])")
  tcp=$(python3 -c "import json;print(json.load(open('$run/ports.json'))['tcp'])")
  admin=$(python3 -c "import json;print(json.load(open('$run/ports.json'))['admin'])")
  key=$(curl -sf -X POST -H 'Authorization: Bearer ab' -d '{"name":"ab"}' \
    "127.0.0.1:$admin/admin/v1/accounts" | python3 -c 'import json,sys;print(json.load(sys.stdin)["apiKey"])')
}

stop_spotd() {
  local statements accepted
  statements=$(curl -s "127.0.0.1:$admin/metrics" | awk '$1 ~ /^spot_db_statements_total/{s+=$2} END{print s+0}')
  accepted=$(curl -s "127.0.0.1:$admin/metrics" | awk '$1=="spot_orders_accepted_total"{print $2}')
  echo "    db statements ${statements:-0} for ${accepted:-0} accepted orders"
  kill -TERM "$spotd_pid"
  wait "$spotd_pid" || true
  spotd_pid=""
}

summary() {  # the fields that matter of spot-bench's JSON lines
  python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin if l.startswith("{")]
steps = [l for l in lines if "mode" in l]
sweep = [l["sweep_result"] for l in lines if "sweep_result" in l]
if sweep:
    s = sweep[-1]
    over = [x for x in steps if x["p99_ms"] >= s["p99_limit_ms"]]
    print("    %s sweep: %d/s with p99 < %.0f ms over %d steps%s" % (
        s["mode"], s["max_rate_p99_under_limit"], s["p99_limit_ms"], s["steps"],
        "; failed at %.0f/s, p50 %.2f p99 %.1f ms" % (over[-1]["offered_rate"], over[-1]["p50_ms"], over[-1]["p99_ms"]) if over else ""))
else:
    s = steps[-1]
    print("    %s %.0f/s  p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms  errors %d" % (
        s["mode"], s["achieved_rate"], s["p50_ms"], s["p99_ms"], s["p999_ms"], s["max_ms"],
        sum(s["errors"].values())))
'
}

for round in $(seq 1 "$rounds"); do
  # Alternate which mode goes first.
  if [ $((round % 2)) -eq 1 ]; then modes="embedded postgres"; else modes="postgres embedded"; fi
  for mode in $modes; do
    echo "round $round, $mode"
    start_spotd "$mode"
    "$bench" http --port "$http" --api-key "$key" --rate 5000 --duration 30 --connections 16 | summary
    "$bench" tcp --port "$tcp" --api-key "$key" --rate 5000 --duration 30 --connections 8 \
      --client-id-offset 1000000000 | summary
    stop_spotd
    start_spotd "$mode"
    "$bench" http --port "$http" --api-key "$key" --rate 5000 --sweep --p99-limit-ms 50 \
      --sweep-step 3 --sweep-max-rate 60000 --connections 32 | summary
    stop_spotd
    start_spotd "$mode"
    "$bench" tcp --port "$tcp" --api-key "$key" --rate 5000 --sweep --p99-limit-ms 50 \
      --sweep-step 3 --sweep-max-rate 100000 --connections 8 | summary
    stop_spotd
  done
done
