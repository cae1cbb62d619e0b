#!/usr/bin/env bash
# Database reads with the Redis cache on and off (issue 11 item 8): the same spotd binary
# with [postgres] url and [redis] url (cache-on), and with [postgres] url alone
# (cache-off), each on a fresh journal, a fresh PostgreSQL cluster (scripts/pg) and, for
# cache-on, a fresh Redis (scripts/redis), driven by `spot-bench mixed` with the same seed.
# Rounds take turns which mode goes first. Prints spot-bench's table per run, then the
# runs side by side, and exits nonzero if any run had an unexpected error.
#
#   bench/cache_ab.sh [ROUNDS]      (default 1)
#
# Environment (defaults): ORDERS=20000 ORDER_RATE=2000 READS=20000 READ_RATE=2000
# HISTORY=1000 (engine.order_history: most GETs ask for orders that left memory)
# GET_SET=2000 GET_RATIO=0.8 OPEN_RATIO=0.1 DEPTH_RATIO=0.1 CONNECTIONS=8 SEED=20240601
# SPOTD, SPOT_BENCH (default build/release/...); JSON_OUT=FILE also keeps spot-bench's
# JSON lines, one per run. Everything listens on 127.0.0.1; the
# servers live in a temp directory and are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-1}"
spotd="${SPOTD:-build/release/spotd}"
bench="${SPOT_BENCH:-build/release/spot-bench}"
ORDERS="${ORDERS:-20000}"
ORDER_RATE="${ORDER_RATE:-2000}"
READS="${READS:-20000}"
READ_RATE="${READ_RATE:-2000}"
HISTORY="${HISTORY:-1000}"
GET_SET="${GET_SET:-2000}"
GET_RATIO="${GET_RATIO:-0.8}"
OPEN_RATIO="${OPEN_RATIO:-0.1}"
DEPTH_RATIO="${DEPTH_RATIO:-0.1}"
CONNECTIONS="${CONNECTIONS:-8}"
SEED="${SEED:-20240601}"

work="$(mktemp -d /tmp/spotd-cacheab-XXXXXX)"
chmod 711 "$work"  # scripts/pg needs its parent searchable by postgres
spotd_pid=""
stop_servers() {
  if [ -n "$spotd_pid" ]; then
    kill -TERM "$spotd_pid" 2>/dev/null || true
    wait "$spotd_pid" 2>/dev/null || true
    spotd_pid=""
  fi
  scripts/redis stop "$work/redis" >/dev/null 2>&1 || true
  scripts/pg stop "$work/pg" >/dev/null 2>&1 || true
}
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

run_one() {  # $1 = cache-on | cache-off; appends spot-bench's JSON line to $work/results
  local mode="$1" run="$work/run"
  rm -rf "$run" "$work/pg" "$work/redis"
  mkdir -p "$run"
  local extra=(--set "postgres.url=$(scripts/pg start "$work/pg" 2>/dev/null)")
  if [ "$mode" = cache-on ]; then
    extra+=(--set "redis.url=$(scripts/redis start "$work/redis" 2>/dev/null)")
  fi
  "$spotd" --config config/spotd.toml --http-port 0 --tcp-port 0 --admin-port 0 \
    --admin-token ab --ports-file "$run/ports.json" --set journal.dir="$run/journal" \
    --set engine.order_history="$HISTORY" \
    --set limits.orders_per_second_per_account=1000000 --set limits.burst_per_account=1000000 \
    --set log.level=warn "${extra[@]}" 2>"$run/spotd.log" &
  spotd_pid=$!
  for _ in $(seq 1 200); do [ -s "$run/ports.json" ] && break; sleep 0.05; done
  [ -s "$run/ports.json" ] || { echo "spotd did not start:" >&2; cat "$run/spotd.log" >&2; exit 1; }
  local http admin key
  http="$(port "$run/ports.json" http)"
  admin="$(port "$run/ports.json" admin)"
  key=$(curl -sf -X POST -H 'Authorization: Bearer ab' -d '{"name":"ab"}' \
    "127.0.0.1:$admin/admin/v1/accounts" | python3 -c 'import json,sys;print(json.load(sys.stdin)["apiKey"])')
  local rc=0
  "$bench" mixed --port "$http" --admin-port "$admin" --api-key "$key" --label "$mode" \
    --seed "$SEED" --orders "$ORDERS" --order-rate "$ORDER_RATE" --reads "$READS" \
    --read-rate "$READ_RATE" --get-set "$GET_SET" --get-ratio "$GET_RATIO" \
    --open-ratio "$OPEN_RATIO" --depth-ratio "$DEPTH_RATIO" --connections "$CONNECTIONS" \
    >"$run/out" || rc=$?
  grep -v '^{' "$run/out" || true
  grep '^{"mode":"mixed"' "$run/out" >>"$work/results" || true
  stop_servers
  return "$rc"
}

status=0
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then modes="cache-off cache-on"; else modes="cache-on cache-off"; fi
  for mode in $modes; do
    echo "== round $round, $mode (engine.order_history=$HISTORY)"
    run_one "$mode" || status=1
  done
done

[ -n "${JSON_OUT:-}" ] && cp "$work/results" "$JSON_OUT"
echo "== side by side ($rounds round(s); spot-bench mixed, seed $SEED)"
python3 - "$work/results" <<'EOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not runs:
    sys.exit("no run reported a result")
rows = [
    ("orders accepted", lambda r: "%d" % r["orders"]["accepted"]),
    ("order errors", lambda r: "%d" % r["orders"]["errors"]),
    ("reads done", lambda r: "%d" % r["reads"]["done"]),
    ("  get_order ok", lambda r: "%d" % r["reads"]["by_kind"]["get_order"]["ok"]),
    ("  get_order not found", lambda r: "%d" % r["reads"]["by_kind"]["get_order"]["not_found"]),
    ("  open_orders ok", lambda r: "%d" % r["reads"]["by_kind"]["open_orders"]["ok"]),
    ("  depth ok", lambda r: "%d" % r["reads"]["by_kind"]["depth"]["ok"]),
    ("read errors", lambda r: "%d" % r["reads"]["errors"]),
    ("read p50 ms", lambda r: "%.2f" % r["reads"]["p50_ms"]),
    ("read p99 ms", lambda r: "%.2f" % r["reads"]["p99_ms"]),
    ("db read stmts / 1,000 reads", lambda r: "%.2f" % r["db"]["read_statements_per_1000_reads"]),
    ("db stmts / accepted order", lambda r: "%.4f" % r["db"]["statements_per_order"]),
    ("  with the reads' stmts", lambda r: "%.4f" % r["db"]["statements_per_order_whole_run"]),
    ("cache hit", lambda r: "%d" % r["cache_requests"]["hit"]),
    ("cache miss", lambda r: "%d" % r["cache_requests"]["miss"]),
    ("cache error", lambda r: "%d" % r["cache_requests"]["error"]),
]
print("%-30s" % "" + "".join("%14s" % r["label"] for r in runs))
for name, f in rows:
    print("%-30s" % name + "".join("%14s" % f(r) for r in runs))
if not runs[0]["db"]["by_kind"]:
    print("(spot_db_statements_total has no kind label in this spotd: read statements count 0)")
off = [r["db"]["read_statements_per_1000_reads"] for r in runs if r["label"] == "cache-off"]
on = [r["db"]["read_statements_per_1000_reads"] for r in runs if r["label"] == "cache-on"]
if off and on and sum(off) > 0:
    print("db read statements, cache on vs off: %.1f%% fewer" % (100 * (1 - sum(on) / sum(off))))
EOF
exit "$status"
