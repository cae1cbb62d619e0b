#!/usr/bin/env bash
# scripts/run keeps one demo account and one admin token across restarts, and makes a
# new account when the journal (and with it the account) is gone; by default it runs
# spotd with its PostgreSQL cluster and its Redis, and stops both with spotd.
#   tests/scripts/run_keeps_account.sh <spotd binary>
# Runs scripts/run --embedded three times on a temporary var directory, then once with
# the cluster (var/pg) and Redis (var/redis), every listener on 127.0.0.1 with an
# ephemeral port (the cluster: 5432 or the next free one; Redis: 6379 or the next free
# one), so it can run beside other tests.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 <spotd binary>" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/spot-run-test-XXXXXX)"
# The cluster in $work/var/pg runs as the user postgres, which must be able to reach it.
chmod 711 "$work"
run_pid=""
cleanup() {
  if [ -n "$run_pid" ]; then
    kill -TERM "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  if [ -d "$work/var/pg/data" ]; then "$root/scripts/pg" stop "$work/var/pg" 2>/dev/null || true; fi
  if [ -d "$work/var/redis" ]; then "$root/scripts/redis" stop "$work/var/redis" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [ -s "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}

export SPOTD="$1" SPOT_VAR_DIR="$work/var"
export SPOT_HTTP_ADDRESS=127.0.0.1 SPOT_HTTP_PORT=0 SPOT_TCP_ADDRESS=127.0.0.1 SPOT_TCP_PORT=0
export SPOT_ADMIN_ADDRESS=127.0.0.1 SPOT_ADMIN_PORT=0 SPOT_LOG_LEVEL=warn
unset SPOTD_ADMIN_TOKEN SPOT_JOURNAL_DIR

# Starts scripts/run ${@:2} in the background, output in $work/$1.out, and waits for its
# banner.
start() {
  "$root/scripts/run" "${@:2}" >"$work/$1.out" 2>"$work/$1.err" &
  run_pid=$!
  for _ in $(seq 1 300); do
    grep -q '^Ctrl-C stops spotd' "$work/$1.out" && return 0
    kill -0 "$run_pid" 2>/dev/null || fail "$1: scripts/run exited before its banner"
    sleep 0.1
  done
  fail "$1: no banner within 30 s"
}
# SIGTERM to scripts/run: it stops spotd, which drains and exits 0.
stop() {
  kill -TERM "$run_pid"
  local rc=0
  wait "$run_pid" || rc=$?
  run_pid=""
  [ "$rc" -eq 0 ] || fail "$1: scripts/run exited $rc after SIGTERM"
}
# "new <key>" or "reused <key>", as printed by run $1.
account_of() {
  sed -nE 's/^demo account \(([a-z]+),.*"apiKey":"([0-9a-f]+)".*/\1 \2/p' "$work/$1.out"
}
token_of() { sed -nE 's/^admin token: ([0-9a-f]+)$/\1/p' "$work/$1.out"; }
http_port() { sed -E 's/.*"http":([0-9]+).*/\1/' "$work/var/ports.json"; }
mode_of() { stat -c %a "$1"; }

start first --embedded
read -r origin1 key1 <<<"$(account_of first)"
token1="$(token_of first)"
[ "$origin1" = new ] || fail "first run: account is '$origin1', expected new"
[ -n "$key1" ] || fail "first run: no key printed"
[ -n "$token1" ] || fail "first run: no admin token printed"
[ "$(mode_of "$work/var/demo-account.json")" = 600 ] || fail "demo-account.json is not mode 600"
[ "$(mode_of "$work/var/admin-token")" = 600 ] || fail "admin-token is not mode 600"
order=$(curl -sf -X POST -H "X-API-Key: $key1" \
  -d '{"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"GTC","quantity":"0.5","price":"100.25"}' \
  "http://127.0.0.1:$(http_port)/api/v1/orders") || fail "first run: placing an order failed"
order_id=$(echo "$order" | sed -nE 's/.*"orderId":([0-9]+).*/\1/p')
[ -n "$order_id" ] || fail "first run: no orderId in $order"
stop first

start second --embedded
read -r origin2 key2 <<<"$(account_of second)"
[ "$origin2" = reused ] || fail "second run: account is '$origin2', expected reused"
[ "$key2" = "$key1" ] || fail "second run: key changed"
[ "$(token_of second)" = "$token1" ] || fail "second run: admin token changed"
got=$(curl -sf -H "X-API-Key: $key2" "http://127.0.0.1:$(http_port)/api/v1/orders/$order_id") ||
  fail "second run: GET /api/v1/orders/$order_id with the first run's key failed"
echo "$got" | grep -q "\"orderId\":${order_id}[,}]" || fail "second run: unexpected order $got"
stop second

rm -rf "$work/var/journal"
start third --embedded
read -r origin3 key3 <<<"$(account_of third)"
[ "$origin3" = new ] || fail "after deleting the journal: account is '$origin3', expected new"
[ "$key3" != "$key1" ] || fail "after deleting the journal: the old key was kept"
[ "$(token_of third)" = "$token1" ] || fail "after deleting the journal: admin token changed"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $key1" \
  "http://127.0.0.1:$(http_port)/api/v1/openOrders")
[ "$status" = 401 ] || fail "after deleting the journal: the old key got $status, expected 401"
grep -q '^database: none' "$work/third.out" || fail "third run (--embedded): a database was used"
[ ! -e "$work/var/pg" ] || fail "--embedded runs made a cluster"
grep -q '^cache: none' "$work/third.out" || fail "third run (--embedded): a cache was used"
[ ! -e "$work/var/redis" ] || fail "--embedded runs started Redis"
stop third

# The default: a cluster in var/pg, its URL in the banner and spotd's environment, and
# stopped when spotd stops.
start fourth
read -r origin4 key4 <<<"$(account_of fourth)"
[ "$origin4" = reused ] || fail "fourth run: account is '$origin4', expected reused"
[ "$key4" = "$key3" ] || fail "fourth run: key changed"
url=$(sed -nE 's/^database: (postgresql:[^ ]+) .*/\1/p' "$work/fourth.out")
[[ "$url" =~ ^postgresql://postgres@127\.0\.0\.1:[0-9]+/spotd$ ]] || fail "fourth run: no database URL"
[ "$("$root/scripts/pg" url "$work/var/pg")" = "$url" ] || fail "fourth run: URL is not the cluster's"
db=$(/usr/lib/postgresql/15/bin/psql -X -At "$url" -c 'SELECT current_database()') ||
  fail "fourth run: cannot query $url"
[ "$db" = spotd ] || fail "fourth run: connected to '$db'"
spotd_pid=$(sed -nE 's/^spotd is running \(pid ([0-9]+)\).*/\1/p' "$work/fourth.out")
tr '\0' '\n' <"/proc/$spotd_pid/environ" | grep -qxF "SPOT_POSTGRES_URL=$url" ||
  fail "fourth run: spotd does not have SPOT_POSTGRES_URL=$url"
redis_url=$(sed -nE 's/^cache: (redis:[^ ]+) .*/\1/p' "$work/fourth.out")
[[ "$redis_url" =~ ^redis://127\.0\.0\.1:[0-9]+/0$ ]] || fail "fourth run: no Redis URL"
[ "$("$root/scripts/redis" url "$work/var/redis")" = "$redis_url" ] ||
  fail "fourth run: the Redis URL is not the server's"
tr '\0' '\n' <"/proc/$spotd_pid/environ" | grep -qxF "SPOT_REDIS_URL=$redis_url" ||
  fail "fourth run: spotd does not have SPOT_REDIS_URL=$redis_url"
stop fourth
rc=0
"$root/scripts/pg" status "$work/var/pg" >/dev/null || rc=$?
[ "$rc" = 3 ] || fail "after the fourth run: the cluster is still running (scripts/pg status: $rc)"
rc=0
"$root/scripts/redis" status "$work/var/redis" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "after the fourth run: Redis is still running (scripts/redis status: $rc)"
echo "PASS: scripts/run kept key and token across a restart, replaced the account with the journal, and ran and stopped its cluster and Redis"
