#!/usr/bin/env bash
# The whole daemon beside what bounds it, back to back in one go (issue 14 item 4):
#   null-server  spot-bench http and tcp sweeps against `spot-bench null-server`, which
#                answers at once: the load generator's own ceiling.
#   nginx        nginx-light, one worker, answering `return 201` with an order-shaped body:
#                wrk closed loop (CONNECTIONS connections) and the spot-bench http sweep.
#   spotd        spotd (with PostgreSQL and Redis unless MODE=embedded), a fresh one with
#                a funded account for each of: wrk closed loop on POST /api/v1/orders (IOC
#                orders, nothing rests), the spot-bench http and tcp sweeps (highest rate
#                with p99 < P99_MS), and a fixed run at half of each sweep's rate for its
#                p99.
# One JSON line per run on stdout ({"run":...}), then a summary line: spotd's HTTP figures
# as a ratio to nginx's, its TCP figure as a ratio to the null server's.
#
#   bench/compare.sh [ROUNDS]     (default 1)
#
# Environment (defaults): MODE=full (embedded: spotd without PostgreSQL and Redis),
# P99_MS=50, STEP_S=3 (seconds per sweep step), HALF_S=10 (the fixed run at half rate),
# WRK_S=10, CONNECTIONS=50 (wrk), HTTP_CONNECTIONS=32 and TCP_CONNECTIONS=8 (spot-bench),
# HTTP_MAX=200000 and TCP_MAX=400000 (sweep ceilings), BENCH_CPU (e.g. 1: pin the load
# generators to that core with taskset), JSON_OUT=FILE (also keep the JSON lines),
# SPOTD_SET="key=value ..." (spotd settings over config/spotd.toml, e.g.
# "journal.writer_thread=false"), BENCH_ARGS (more arguments to every spot-bench sweep and
# fixed run, the null server's included, e.g. "--send-interval-us 100").
# Everything listens on 127.0.0.1 and lives in a temp directory removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
rounds="${1:-1}"
MODE="${MODE:-full}"
P99_MS="${P99_MS:-50}"
STEP_S="${STEP_S:-3}"
HALF_S="${HALF_S:-10}"
WRK_S="${WRK_S:-10}"
CONNECTIONS="${CONNECTIONS:-50}"
HTTP_CONNECTIONS="${HTTP_CONNECTIONS:-32}"
TCP_CONNECTIONS="${TCP_CONNECTIONS:-8}"
HTTP_MAX="${HTTP_MAX:-200000}"
TCP_MAX="${TCP_MAX:-400000}"
case "$MODE" in full | embedded) ;; *) echo "MODE must be full or embedded" >&2; exit 2 ;; esac

scripts/install-deps --bench
scripts/build release spotd spot-bench >/dev/null
spotd=build/release/spotd
bench=build/release/spot-bench
pin=()
[ -n "${BENCH_CPU:-}" ] && pin=(taskset -c "$BENCH_CPU")

work="$(mktemp -d /tmp/spotd-compare-XXXXXX)"
chmod 711 "$work"  # scripts/pg needs its parent searchable by postgres
pids=()
stop_servers() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  scripts/redis stop "$work/redis" >/dev/null 2>&1 || true
  scripts/pg stop "$work/pg" >/dev/null 2>&1 || true
}
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
emit() { echo "$1" | tee -a "$work/results"; }

# The sweep's {"sweep_result":...} line with a run name: $1 run, $2 http|tcp, $3 port,
# $4 key, $5 ceiling, $6 connections, $7 client id offset.
sweep() {
  local out="$work/sweep.out"
  "${pin[@]}" "$bench" "$2" --port "$3" --api-key "$4" --rate 5000 --sweep \
    --p99-limit-ms "$P99_MS" --sweep-step "$STEP_S" --sweep-max-rate "$5" \
    --connections "$6" --client-id-offset "$7" ${BENCH_ARGS:-} >"$out" || true
  local result
  result="$(grep '"sweep_result"' "$out" | tail -1)"
  [ -n "$result" ] || result='{"sweep_result":{"max_rate_p99_under_limit":0},"error":"no sweep result"}'
  emit "$(python3 -c '
import json,sys
r = json.loads(sys.argv[1])
r["run"] = sys.argv[2]; r["protocol"] = sys.argv[3]; r["mode"] = sys.argv[4]
print(json.dumps(r, separators=(",", ":")))' "$result" "$1" "$2" "$MODE")"
}
best_of() {  # the best rate of the last emitted sweep named $1 over protocol $2
  python3 - "$work/results" "$1" "$2" <<'EOF'
import json, sys
best = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("run") == sys.argv[2] and r.get("protocol") == sys.argv[3] and "sweep_result" in r:
        best = r["sweep_result"].get("max_rate_p99_under_limit", 0)
print(int(best))
EOF
}
# A fixed-rate run: $1 run, $2 http|tcp, $3 port, $4 key, $5 rate, $6 connections, $7 offset.
fixed() {
  local out="$work/fixed.out"
  "${pin[@]}" "$bench" "$2" --port "$3" --api-key "$4" --rate "$5" --duration "$HALF_S" \
    --connections "$6" --client-id-offset "$7" ${BENCH_ARGS:-} >"$out" || true
  local line
  line="$(grep '^{"mode"' "$out" | tail -1)"
  [ -n "$line" ] || line='{"error":"no result"}'
  emit "$(python3 -c '
import json,sys
r = json.loads(sys.argv[1]); r["run"] = sys.argv[2]; r["protocol"] = sys.argv[3]
print(json.dumps(r, separators=(",", ":")))' "$line" "$1" "$2")"
}
# wrk closed loop: $1 run, $2 URL, $3 extra header (or ""), $4 body.
wrk_run() {
  cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$4'
wrk.headers["Content-Type"] = "application/json"
$( [ -n "$3" ] && echo "wrk.headers[\"${3%%:*}\"] = \"${3#*: }\"" )
EOF
  local out="$work/wrk.out"
  "${pin[@]}" wrk -t1 -c"$CONNECTIONS" -d"${WRK_S}s" --latency -s "$work/post.lua" "$2" >"$out" 2>&1 || true
  emit "$(python3 - "$out" "$1" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
def num(pattern):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None
def ms(pattern):
    m = re.search(pattern + r"\s+([\d.]+)(us|ms|s)", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
non2xx = num(r"Non-2xx or 3xx responses: (\d+)") or 0
print(json.dumps({"run": sys.argv[2], "tool": "wrk", "requests_per_s": num(r"Requests/sec:\s+([\d.]+)"),
                  "p50_ms": ms(r"50%"), "p99_ms": ms(r"99%"), "non_2xx": int(non2xx),
                  "connections": int(re.search(r"(\d+) connections", text).group(1)) if re.search(r"(\d+) connections", text) else None},
                 separators=(",", ":")))
EOF
)"
}

order_body='{"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"IOC","price":"100.00","quantity":"1.000"}'

# A fresh spotd (with PostgreSQL and Redis unless MODE=embedded) and a funded load
# account: sets http, tcp and key. $1 names the run (its directory).
spotd_up() {
  local run="$work/spotd-$1"
  rm -rf "$run" "$work/pg" "$work/redis"
  mkdir -p "$run"
  local extra=() setting
  for setting in ${SPOTD_SET:-}; do extra+=(--set "$setting"); done
  if [ "$MODE" = full ]; then
    extra+=(--set "postgres.url=$(scripts/pg start "$work/pg" 2>/dev/null)")
    extra+=(--set "redis.url=$(scripts/redis start "$work/redis" 2>/dev/null)")
  fi
  "$spotd" --config config/spotd.toml --http-port 0 --tcp-port 0 --admin-port 0 \
    --admin-token cmp --ports-file "$run/ports.json" --set journal.dir="$run/journal" \
    --set limits.orders_per_second_per_account=100000000 \
    --set limits.burst_per_account=100000000 --set log.level=warn "${extra[@]}" \
    2>"$run/spotd.log" &
  pids+=($!)
  wait_file "$run/ports.json" || { echo "spotd did not start:" >&2; cat "$run/spotd.log" >&2; exit 1; }
  http="$(json_get "$run/ports.json" http)"
  tcp="$(json_get "$run/ports.json" tcp)"
  local admin account status
  admin="$(json_get "$run/ports.json" admin)"
  curl -sf -X POST -H 'Authorization: Bearer cmp' -d '{"name":"cmp"}' \
    "127.0.0.1:$admin/admin/v1/accounts" >"$run/account.json"
  key="$(json_get "$run/account.json" apiKey)"
  account="$(json_get "$run/account.json" accountId)"
  fund_account "$admin" cmp "$account" cmp || exit 1
  # wrk counts any answer as a request served: check that the order is accepted.
  status="$(curl -s -o "$run/probe.json" -w '%{http_code}' -X POST -H "X-API-Key: $key" \
    -H 'Content-Type: application/json' -d "$order_body" "127.0.0.1:$http/api/v1/orders")"
  [ "$status" = 201 ] ||
    { echo "bench/compare.sh: spotd answered $status to the order: $(cat "$run/probe.json")" >&2; exit 1; }
}

for round in $(seq 1 "$rounds"); do
  echo "== round $round" >&2
  offset=$(( round * 100000000000000 ))

  # 1. The generator's ceiling.
  "$bench" null-server --ports-file "$work/null.json" >"$work/null.out" &
  pids+=($!)
  wait_file "$work/null.json" || { echo "null-server did not start" >&2; exit 1; }
  sweep null-server http "$(json_get "$work/null.json" http)" k "$HTTP_MAX" "$HTTP_CONNECTIONS" 0
  sweep null-server tcp "$(json_get "$work/null.json" tcp)" k "$TCP_MAX" "$TCP_CONNECTIONS" 0
  stop_servers
  rm -f "$work/null.json"

  # 2. nginx, one worker, a canned reply.
  nginx_port="$(free_port)"
  mkdir -p "$work/nginx"
  exchange_info="$(python3 -c '
import json
print(json.dumps({"symbols": [{"index": i, "symbol": s, "tickSize": "0.01", "lotSize": "0.001"}
      for i, s in enumerate(["BTC-USDT","ETH-USDT","SOL-USDT","XRP-USDT","ADA-USDT","DOGE-USDT","DOT-USDT","LTC-USDT"])]},
      separators=(",", ":")))')"
  cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    default_type application/json;
    location = /api/v1/exchangeInfo { return 200 '$exchange_info'; }
    location /api/v1/orders {
      return 201 '{"clientOrderId":"w1","executedQty":"0.000","fills":[],"orderId":1,"origQty":"0.500","price":"100.25","side":"BUY","status":"NEW","symbol":"BTC-USDT","timeInForce":"GTC","type":"LIMIT"}';
    }
  }
}
EOF
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf -o /dev/null "127.0.0.1:$nginx_port/api/v1/exchangeInfo" && break; sleep 0.05; done
  wrk_run nginx-wrk "http://127.0.0.1:$nginx_port/api/v1/orders" "" "$order_body"
  sweep nginx http "$nginx_port" k "$HTTP_MAX" "$HTTP_CONNECTIONS" 0
  stop_servers

  # 3. spotd: each measurement on a fresh spotd, journal, database and cache, so that none
  # inherits the one before it (a sweep ends past what spotd can take, leaving a book
  # that grew and, with PostgreSQL attached, a projection that is behind).
  spotd_up wrk
  wrk_run spotd-wrk "http://127.0.0.1:$http/api/v1/orders" "X-API-Key: $key" "$order_body"
  stop_servers
  spotd_up http-sweep
  sweep spotd http "$http" "$key" "$HTTP_MAX" "$HTTP_CONNECTIONS" "$offset"
  stop_servers
  half=$(( $(best_of spotd http) / 2 ))
  if [ "$half" -gt 0 ]; then
    spotd_up http-half
    fixed spotd-half http "$http" "$key" "$half" "$HTTP_CONNECTIONS" $((offset + 10000000000000))
    stop_servers
  fi
  spotd_up tcp-sweep
  sweep spotd tcp "$tcp" "$key" "$TCP_MAX" "$TCP_CONNECTIONS" $((offset + 20000000000000))
  stop_servers
  half=$(( $(best_of spotd tcp) / 2 ))
  if [ "$half" -gt 0 ]; then
    spotd_up tcp-half
    fixed spotd-half tcp "$tcp" "$key" "$half" "$TCP_CONNECTIONS" $((offset + 30000000000000))
    stop_servers
  fi

  python3 - "$work/results" "$round" "$MODE" "${BENCH_ARGS:-}" <<'EOF' | tee -a "$work/summaries"
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def last(pred):
    found = [r for r in runs if pred(r)]
    return found[-1] if found else {}
def best(run, proto):
    return last(lambda r: r.get("run") == run and r.get("protocol") == proto and "sweep_result" in r).get("sweep_result", {}).get("max_rate_p99_under_limit", 0)
def ratio(a, b):
    return round(a / b, 3) if a and b else None
nginx_wrk = last(lambda r: r.get("run") == "nginx-wrk").get("requests_per_s")
spotd_wrk = last(lambda r: r.get("run") == "spotd-wrk").get("requests_per_s")
half = {p: last(lambda r, p=p: r.get("run") == "spotd-half" and r.get("protocol") == p) for p in ("http", "tcp")}
print(json.dumps({
    "run": "summary", "round": int(sys.argv[2]), "mode": sys.argv[3], "bench_args": sys.argv[4],
    "null_server_http": best("null-server", "http"), "null_server_tcp": best("null-server", "tcp"),
    "nginx_wrk_rps": nginx_wrk, "nginx_http": best("nginx", "http"),
    "spotd_wrk_rps": spotd_wrk, "spotd_http": best("spotd", "http"), "spotd_tcp": best("spotd", "tcp"),
    "spotd_http_p99_ms_at_half": half["http"].get("p99_ms"), "spotd_tcp_p99_ms_at_half": half["tcp"].get("p99_ms"),
    "http_ratio_to_nginx": ratio(best("spotd", "http"), best("nginx", "http")),
    "wrk_ratio_to_nginx": ratio(spotd_wrk, nginx_wrk),
    "tcp_ratio_to_null_server": ratio(best("spotd", "tcp"), best("null-server", "tcp")),
}, separators=(",", ":")))
EOF
done
[ -n "${JSON_OUT:-}" ] && cat "$work/results" "$work/summaries" >"$JSON_OUT"
exit 0
