#!/usr/bin/env bash
# scripts/run keeps one demo account and one admin token across restarts, and makes a
# new account when the journal (and with it the account) is gone; by default it runs
# spotd with its PostgreSQL cluster and its Redis, and stops both with spotd.
#   tests/scripts/run_keeps_account.sh <spotd binary>
# Runs scripts/run --embedded three times on a temporary var directory, then once with
# the cluster (var/pg) and Redis (var/redis) (scripts_run_support.sh).
set -euo pipefail
source "$(dirname "$0")/scripts_run_support.sh"

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
