#!/usr/bin/env bash
# The soak with hostile clients (issue 15 part 4, DESIGN.md §9): one spotd with its own
# PostgreSQL and Redis, honest load for SOAK_SECONDS, hostile clients on every port for
# all but the first phase, PostgreSQL and Redis each restarted twice, then the invariants.
#
#   bench/soak.sh            (run it under nice on a shared machine: nice -n 10 bash bench/soak.sh)
#
# What it does, all on 127.0.0.1, everything in a temp directory removed at the end:
#   1. starts a private PostgreSQL (scripts/pg), a private Redis (scripts/redis) and spotd
#      (config/spotd.toml, every listener on 127.0.0.1, journal in the temp directory);
#   2. quiet phase (QUIET_SECONDS): honest load only: `spot-bench http` and `spot-bench tcp`
#      (W1 orders and cancels) and `spot-bench mixed` (orders, then GET/openOrders/depth
#      reads), each as bounded runs back to back, every run on a new funded account with
#      its own client-id offset, acknowledged ids kept (--acks-out);
#   3. attack phase (the rest of SOAK_SECONDS): the same honest load, and at once
#      `spot-bench hostile` on the HTTP, TCP and admin ports (oversized bodies, headers and
#      frames, bad JSON, garbage, slowloris, connection floods past each configured
#      connection limit), while PostgreSQL and Redis are each stopped twice for
#      OUTAGE_SECONDS (PostgreSQL at 1/5 and 3/5 of the phase, Redis at 2/5 and 4/5);
#   4. the invariants, each PASS or FAIL:
#      - spotd alive all along, /readyz ready at the end, its SIGTERM exit 0;
#      - every acknowledged order is a row of its account in PostgreSQL, and a sample of
#        ACK_GET_SAMPLE of them (0: all) read back over HTTP GET with its account's key
#        has the state PostgreSQL has;
#      - the database equals the journal: projector_checkpoint.last_seq reaches the
#        journal's durable seq (/readyz), orders in PostgreSQL = spot_orders_accepted_total,
#        trades = lastTradeId = spot_trades_total (ids 1..N once), open orders =
#        restingOrders, accounts = accounts of /admin/v1/state, executed quantities = the
#        sums of the trades, balances = the sums of the ledger, and per asset all balances
#        = all deposits (nothing made or lost);
#      - after the stop, `spotd --replay-only` on the journal gives the stateHash
#        /admin/v1/state gave before it;
#      - the dead-letter queue is empty (nothing in this run is poison);
#   5. prints a summary block for bench/RESULTS.md: honest throughput, p50, p99 and errors
#      before and during the attack, spotd's VmRSS at start, end and peak, the hostile
#      client's counts, the outages and the invariants. Exits 1 if an invariant failed.
#
# Environment (defaults):
#   SOAK_SECONDS=1800  QUIET_SECONDS (SOAK_SECONDS/6, at least 30)  RUN_SECONDS=60 (one run)
#   HTTP_RATE=300 HTTP_CONNECTIONS=4  TCP_RATE=600 TCP_CONNECTIONS=2  (orders/s, open loop)
#   MIXED_ORDERS=3000 MIXED_ORDER_RATE=200 MIXED_READS=3000 MIXED_READ_RATE=200
#   OUTAGE_SECONDS=10  FLOOD_EXTRA=50 (connections past each limit)  FLOOD_EVERY=30
#   SLOWLORIS=8 (per port and round)  HOSTILE_PAUSE=1 (s between hostile rounds)
#   ADMIN_FLOOD=1 (0: no flood on the admin port; `spot-bench mixed` gives up on the first
#   503 from /readyz, so with the flood its runs under attack end before their reads)
#   ACK_GET_SAMPLE=20000  CATCHUP_TIMEOUT=180 (s for the projector and cache at the end)
#   HTTP_MAX_CONNECTIONS, TCP_MAX_CONNECTIONS, ADMIN_MAX_CONNECTIONS (spotd's limits;
#   default: config/spotd.toml's)  SEED=20240601
#   SPOTD, SPOT_BENCH (default build/release/..., brought up to date by scripts/build
#   release first)  KEEP=1 keeps the temp directory
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_SECONDS="${SOAK_SECONDS:-1800}"
QUIET_SECONDS="${QUIET_SECONDS:-$((SOAK_SECONDS / 6 > 30 ? SOAK_SECONDS / 6 : 30))}"
RUN_SECONDS="${RUN_SECONDS:-60}"
HTTP_RATE="${HTTP_RATE:-300}"
HTTP_CONNECTIONS="${HTTP_CONNECTIONS:-4}"
TCP_RATE="${TCP_RATE:-600}"
TCP_CONNECTIONS="${TCP_CONNECTIONS:-2}"
MIXED_ORDERS="${MIXED_ORDERS:-3000}"
MIXED_ORDER_RATE="${MIXED_ORDER_RATE:-200}"
MIXED_READS="${MIXED_READS:-3000}"
MIXED_READ_RATE="${MIXED_READ_RATE:-200}"
OUTAGE_SECONDS="${OUTAGE_SECONDS:-10}"
FLOOD_EXTRA="${FLOOD_EXTRA:-50}"
FLOOD_EVERY="${FLOOD_EVERY:-30}"
SLOWLORIS="${SLOWLORIS:-8}"
HOSTILE_PAUSE="${HOSTILE_PAUSE:-1}"
ADMIN_FLOOD="${ADMIN_FLOOD:-1}"
ACK_GET_SAMPLE="${ACK_GET_SAMPLE:-20000}"
CATCHUP_TIMEOUT="${CATCHUP_TIMEOUT:-180}"
SEED="${SEED:-20240601}"
spotd="${SPOTD:-build/release/spotd}"
bench="${SPOT_BENCH:-build/release/spot-bench}"
# Funds of each honest account: far more than one run can lock (W1 orders are about 100
# USDT and at most 1 unit of base each), far less than int64 smallest units over all.
QUOTE_FUNDS=10000000
BASE_FUNDS=100000
# A run shorter than this is not started (its prefill and drain would dominate it).
MIN_RUN_SECONDS=15

die() {
  echo "bench/soak.sh: $*" >&2
  exit 1
}
for n in SOAK_SECONDS QUIET_SECONDS RUN_SECONDS OUTAGE_SECONDS FLOOD_EXTRA ACK_GET_SAMPLE ADMIN_FLOOD; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || die "$n must be a whole number"
done
[ "$QUIET_SECONDS" -lt "$SOAK_SECONDS" ] || die "QUIET_SECONDS must be below SOAK_SECONDS"
attack_seconds=$((SOAK_SECONDS - QUIET_SECONDS))
# Both outages of each server must fit in the attack phase, one after the other.
[ "$attack_seconds" -ge $((5 * OUTAGE_SECONDS + 20)) ] ||
  die "the attack phase ($attack_seconds s) is too short for four outages of $OUTAGE_SECONDS s"
[ "$RUN_SECONDS" -ge "$MIN_RUN_SECONDS" ] || die "RUN_SECONDS must be at least $MIN_RUN_SECONDS"
# The tree the binaries are built from, as it is now (what the summary names).
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || commit="$commit with uncommitted changes"
if [ -z "${SPOTD:-}${SPOT_BENCH:-}" ]; then
  scripts/build release spotd spot-bench >/dev/null
else
  commit="$spotd and $bench"
fi
for b in "$spotd" "$bench"; do
  [ -x "$b" ] || die "no $b: build it first (scripts/build release spotd spot-bench)"
done
command -v psql >/dev/null || die "no psql (Debian package postgresql-client-15)"

work="$(mktemp -d /tmp/spotd-soak-XXXXXX)"
chmod 711 "$work" # scripts/pg needs its parent searchable by postgres
mkdir -p "$work/runs" "$work/acks"
start_epoch=$(date +%s)
say() { echo "[soak +$(($(date +%s) - start_epoch))s] $*" >&2; }

spotd_pid=""
background=() # the loops, the hostile client, the outages and the RSS sampler
cleanup() {
  local p
  for p in "${background[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${background[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$spotd_pid" ]; then
    kill -TERM "$spotd_pid" 2>/dev/null || true
    wait "$spotd_pid" 2>/dev/null || true
  fi
  scripts/redis stop "$work/redis" >/dev/null 2>&1 || true
  scripts/pg stop "$work/pg" >/dev/null 2>&1 || true
  if [ "${KEEP:-0}" = 1 ]; then echo "bench/soak.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the servers -------------------------------------------------------------------------

read -r http_limit tcp_limit admin_limit assets < <(python3 - <<'EOF'
import tomllib
c = tomllib.load(open("config/spotd.toml", "rb"))
names = sorted({a for s in c["symbols"] for a in s["name"].split("-")})
print(c["http"]["max_connections"], c["tcp"]["max_connections"], c["admin"]["max_connections"],
      ",".join(names))
EOF
)
http_limit="${HTTP_MAX_CONNECTIONS:-$http_limit}"
tcp_limit="${TCP_MAX_CONNECTIONS:-$tcp_limit}"
admin_limit="${ADMIN_MAX_CONNECTIONS:-$admin_limit}"
# The flood holds every connection of a port at once, in spot-bench and in spotd.
need_fds=$((http_limit + FLOOD_EXTRA + 512))
[ "$(ulimit -n)" -ge "$need_fds" ] || ulimit -n "$need_fds" 2>/dev/null ||
  die "the HTTP flood needs $need_fds descriptors; ulimit -n is $(ulimit -n) (set HTTP_MAX_CONNECTIONS lower)"

pg_url="$(scripts/pg start "$work/pg" 2>"$work/pg-start.log")" || die "PostgreSQL did not start: $(cat "$work/pg-start.log")"
pg_port="$(cat "$work/pg/port")"
redis_url="$(scripts/redis start "$work/redis" 2>"$work/redis-start.log")" || die "Redis did not start: $(cat "$work/redis-start.log")"
redis_port="$(cat "$work/redis/port")"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d spotd "$@"; }

token="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
spotd_args=(--config config/spotd.toml --set journal.dir="$work/journal"
  --set http.address=127.0.0.1 --set tcp.address=127.0.0.1 --set admin.address=127.0.0.1
  --set http.max_connections="$http_limit" --set tcp.max_connections="$tcp_limit"
  --set admin.max_connections="$admin_limit"
  --set postgres.url="$pg_url" --set redis.url="$redis_url")
"$spotd" "${spotd_args[@]}" --http-port 0 --tcp-port 0 --admin-port 0 --admin-token "$token" \
  --ports-file "$work/ports.json" 2>"$work/spotd.log" &
spotd_pid=$!
for _ in $(seq 1 200); do [ -s "$work/ports.json" ] && break; sleep 0.05; done
[ -s "$work/ports.json" ] || die "spotd wrote no ports file: $(tail -5 "$work/spotd.log")"
port_of() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/ports.json" "$1"; }
http_port="$(port_of http)"
tcp_port="$(port_of tcp)"
admin_port="$(port_of admin)"

# An admin call, retried while the admin port is flooded (503) or briefly unreachable.
# $1 method, $2 path, $3 body (may be empty). Prints the body of the 2xx answer.
admin() {
  local out status
  for _ in $(seq 1 60); do
    out="$(curl -s -m 10 -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
      ${3:+-d "$3"} "http://127.0.0.1:$admin_port$2" || true)"
    status="${out##*$'\n'}"
    if [[ "$status" == 2* ]]; then
      echo "${out%$'\n'*}"
      return 0
    fi
    sleep 0.5
  done
  echo "bench/soak.sh: admin $1 $2 failed (last status $status)" >&2
  return 1
}
readyz() { curl -s -m 5 "http://127.0.0.1:$admin_port/readyz" || true; }
json_field() { python3 -c "import json,sys;d=json.loads(sys.argv[1]);print(eval('d'+sys.argv[2]))" "$1" "$2"; }
rss_kib() { awk '$1 == "VmRSS:" {print $2}' "/proc/$spotd_pid/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '$1 == "VmHWM:" {print $2}' "/proc/$spotd_pid/status" 2>/dev/null || echo 0; }

for _ in $(seq 1 300); do
  [ "$(json_field "$(readyz)" '.get("status")' 2>/dev/null)" = ready ] && break
  sleep 0.1
done
[ "$(json_field "$(readyz)" '.get("status")')" = ready ] || die "spotd is not ready: $(readyz)"
say "spotd $spotd_pid ready: http $http_port, tcp $tcp_port, admin $admin_port; $pg_url; $redis_url"

# A new account, funded with every asset; prints "ID KEY". $1 names it.
deposits="$work/deposits.txt" # asset amount, one line per deposit
new_account() {
  local account id key asset amount
  account="$(admin POST /admin/v1/accounts "{\"name\":\"$1\"}")" || return 1
  id="$(json_field "$account" '["accountId"]')"
  key="$(json_field "$account" '["apiKey"]')"
  for asset in ${assets//,/ }; do
    amount=$BASE_FUNDS
    [ "$asset" = USDT ] && amount=$QUOTE_FUNDS
    admin POST "/admin/v1/accounts/$id/deposits" \
      "{\"asset\":\"$asset\",\"amount\":\"$amount\",\"reference\":\"soak-$id-$asset\"}" >/dev/null ||
      return 1
    echo "$asset $amount" >>"$deposits"
  done
  echo "$id $key"
}

rss_start_kib="$(rss_kib)"
state_start="$(admin GET /admin/v1/state)"
# The hostile client's account: no funds, so any order it slips through is refused.
read -r _ hostile_key < <(new_account hostile)

# ---- honest load -----------------------------------------------------------------------

# Bounded runs of one kind back to back until the epoch $3. $1 phase, $2 kind, $4 the
# kind's number (client-id offsets of different loops never meet).
honest_loop() {
  local phase="$1" kind="$2" end="$3" kind_no="$4" n=0 left d name id key rc offset phase_no=0
  [ "$phase" = quiet ] || phase_no=1
  while :; do
    left=$((end - $(date +%s)))
    if [ "$kind" = mixed ]; then
      # orders, catch-up, reads: the whole run must fit
      d=$((MIXED_ORDERS / MIXED_ORDER_RATE + MIXED_READS / MIXED_READ_RATE + 5))
      [ "$left" -ge "$d" ] || break
    else
      d=$((left - 8 < RUN_SECONDS ? left - 8 : RUN_SECONDS)) # prefill and drain: ~8 s
      [ "$d" -ge "$MIN_RUN_SECONDS" ] || break
    fi
    n=$((n + 1))
    name="$phase-$kind-$n"
    say "run $name (${d} s)"
    if ! read -r id key < <(new_account "$name"); then
      echo "{\"phase\":\"$phase\",\"kind\":\"$kind\",\"run\":\"$name\",\"rc\":-1,\"result\":null}" >>"$work/runs.jsonl"
      sleep 1
      continue
    fi
    offset=$(((kind_no * 100000 + phase_no * 50000 + n) * 1000000000))
    rc=0
    case "$kind" in
      http | tcp)
        local rate=$HTTP_RATE connections=$HTTP_CONNECTIONS port=$http_port
        [ "$kind" = tcp ] && rate=$TCP_RATE connections=$TCP_CONNECTIONS port=$tcp_port
        "$bench" "$kind" --port "$port" --api-key "$key" --rate "$rate" --duration "$d" \
          --connections "$connections" --client-id-offset "$offset" --seed $((SEED + n)) \
          --acks-out "$work/acks/$name.txt" >"$work/runs/$name.out" 2>"$work/runs/$name.err" || rc=$?
        echo "$name $id $key" >>"$work/accounts.txt"
        ;;
      mixed)
        "$bench" mixed --port "$http_port" --admin-port "$admin_port" --api-key "$key" \
          --label "$name" --orders "$MIXED_ORDERS" --order-rate "$MIXED_ORDER_RATE" \
          --reads "$MIXED_READS" --read-rate "$MIXED_READ_RATE" --connections 2 \
          --client-id-offset "$offset" --seed $((SEED + n)) --catchup-timeout 60 \
          >"$work/runs/$name.out" 2>"$work/runs/$name.err" || rc=$?
        ;;
    esac
    say "run $name done: exit $rc"
    # A summary that does not parse leaves the run out of the table, not the loop dead.
    python3 - "$phase" "$kind" "$name" "$rc" "$work/runs/$name.out" >>"$work/runs.jsonl" <<'EOF' || true
import json, sys
phase, kind, name, rc, path = sys.argv[1:6]
result = None
for line in open(path):
    line = line.strip()
    if line.startswith('{"mode"'):
        result = json.loads(line)
print(json.dumps({"phase": phase, "kind": kind, "run": name, "rc": int(rc), "result": result}))
EOF
  done
}

# Runs the three honest loops until epoch $2 and waits for them. $1 the phase.
honest_phase() {
  local loops=() p
  honest_loop "$1" http "$2" 1 &
  loops+=($!)
  honest_loop "$1" tcp "$2" 2 &
  loops+=($!)
  honest_loop "$1" mixed "$2" 3 &
  loops+=($!)
  background+=("${loops[@]}")
  for p in "${loops[@]}"; do wait "$p" || true; done
}

# VmRSS every 5 s while spotd lives, until the file $work/stop-sampling appears.
(
  while [ ! -e "$work/stop-sampling" ] && kill -0 "$spotd_pid" 2>/dev/null; do
    echo "$(($(date +%s) - start_epoch)) $(rss_kib)" >>"$work/rss.txt"
    sleep 5
  done
) &
background+=($!)

# ---- outages ---------------------------------------------------------------------------

# Stops one server, waits OUTAGE_SECONDS, starts it again on the same port. $1 pg|redis.
outage() {
  local what="$1" port dir rc=0
  if [ "$what" = pg ]; then port=$pg_port dir="$work/pg"; else port=$redis_port dir="$work/redis"; fi
  say "stopping $what"
  "scripts/$what" stop "$dir" 2>>"$work/outages.log" || rc=$?
  local stopped=$(($(date +%s) - start_epoch))
  sleep "$OUTAGE_SECONDS"
  "scripts/$what" start "$dir" "$port" >/dev/null 2>>"$work/outages.log" || rc=$?
  echo "$what $stopped $(($(date +%s) - start_epoch)) $rc" >>"$work/outages.txt"
  say "started $what again (rc $rc)"
}

# The four outages spread over the attack phase: PostgreSQL, Redis, PostgreSQL, Redis.
outages() {
  local phase_start=$1 k what
  k=0
  for what in pg redis pg redis; do
    k=$((k + 1))
    sleep $((phase_start + k * attack_seconds / 5 - $(date +%s) > 0 ? phase_start + k * attack_seconds / 5 - $(date +%s) : 0))
    outage "$what"
  done
}

# ---- the run ---------------------------------------------------------------------------

t0=$(date +%s)
quiet_end=$((t0 + QUIET_SECONDS))
soak_end=$((t0 + SOAK_SECONDS))
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
say "quiet phase: $QUIET_SECONDS s of honest load"
honest_phase quiet "$quiet_end"
sleep $((quiet_end - $(date +%s) > 0 ? quiet_end - $(date +%s) : 0))
rss_quiet_kib="$(rss_kib)"
load_quiet="$(cut -d' ' -f1-3 /proc/loadavg)"

attack_start=$(date +%s)
attack_seconds=$((soak_end - attack_start > 60 ? soak_end - attack_start : 60))
soak_end=$((attack_start + attack_seconds))
say "attack phase: $attack_seconds s of honest load, hostile clients and outages"
"$bench" hostile --http-port "$http_port" --tcp-port "$tcp_port" --admin-port "$admin_port" \
  --api-key "$hostile_key" --admin-token "$token" --duration "$attack_seconds" --seed "$SEED" \
  --round-pause "$HOSTILE_PAUSE" --slowloris "$SLOWLORIS" \
  --flood-http $((http_limit + FLOOD_EXTRA)) --flood-tcp $((tcp_limit + FLOOD_EXTRA)) \
  --flood-admin $((ADMIN_FLOOD == 0 ? 0 : admin_limit + FLOOD_EXTRA)) --flood-every "$FLOOD_EVERY" \
  >"$work/hostile.out" 2>"$work/hostile.err" &
hostile_pid=$!
background+=("$hostile_pid")
outages "$attack_start" &
outages_pid=$!
background+=("$outages_pid")
honest_phase attack "$soak_end"
hostile_rc=0
wait "$hostile_pid" || hostile_rc=$?
wait "$outages_pid" || true
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
say "load over; hostile client exit $hostile_rc"

# ---- invariants ------------------------------------------------------------------------

checks="$work/checks.txt" # PASS|FAIL name: detail
check() { # $1 0 = pass, $2 name, $3 detail
  if [ "$1" = 0 ]; then echo "PASS $2: $3" >>"$checks"; else echo "FAIL $2: $3" >>"$checks"; fi
}
# 0 when the command succeeds, else 1 (a failed test must not end the script: set -e).
holds() { if "$@"; then echo 0; else echo 1; fi; }
spotd_alive=1
kill -0 "$spotd_pid" 2>/dev/null || spotd_alive=0
check $((1 - spotd_alive)) "spotd alive" "pid $spotd_pid after $SOAK_SECONDS s"
[ "$spotd_alive" = 1 ] || { cat "$checks"; tail -20 "$work/spotd.log" >&2; exit 1; }

# The projector and the cache catch up with the journal.
caught=1
for _ in $(seq 1 $((CATCHUP_TIMEOUT * 2))); do
  r="$(readyz)"
  if python3 - "$r" <<'EOF'; then caught=0 && break; fi
import json, sys
d = json.loads(sys.argv[1] or "{}")
p, c = d.get("postgres", {}), d.get("redis", {})
ok = d.get("status") == "ready" and p.get("checkpoint") == p.get("durableSeq") and \
     c.get("writtenSeq") == p.get("durableSeq")
sys.exit(0 if ok else 1)
EOF
  sleep 0.5
done
ready_end="$(readyz)"
check "$caught" "projector and cache caught up" "$ready_end"
touch "$work/stop-sampling"
rss_end_kib="$(rss_kib)"
hwm_end_kib="$(hwm_kib)"
state_end="$(admin GET /admin/v1/state)"
metrics="$(curl -s -m 10 "http://127.0.0.1:$admin_port/metrics")"
metric() { echo "$metrics" | awk -v n="$1" '$1 == n {printf "%d\n", $2}'; }
accepted="$(metric spot_orders_accepted_total)"
trades_metric="$(metric spot_trades_total)"

durable="$(json_field "$ready_end" '["postgres"]["durableSeq"]')"
checkpoint_db="$(sql -c 'SELECT last_seq FROM projector_checkpoint')"
check "$(holds [ "$checkpoint_db" = "$durable" ])" "projector_checkpoint = durable seq" "last_seq $checkpoint_db, durableSeq $durable"

read -r last_order last_trade accounts resting state_hash < <(python3 - "$state_end" <<'EOF'
import json, sys
s = json.loads(sys.argv[1])
print(s["lastOrderId"], s["lastTradeId"], s["accounts"], s["restingOrders"], s["stateHash"])
EOF
)
IFS='|' read -r db_orders db_max_order db_open < <(sql -c \
  "SELECT count(*), coalesce(max(order_id), 0), count(*) FILTER (WHERE status IN ('NEW', 'PARTIALLY_FILLED')) FROM orders")
IFS='|' read -r db_trades db_trade_ids db_min_trade db_max_trade < <(sql -c \
  "SELECT count(*), count(DISTINCT trade_id), coalesce(min(trade_id), 0), coalesce(max(trade_id), 0) FROM trades")
db_accounts="$(sql -c 'SELECT count(*) FROM accounts')"
check "$(holds [ "$db_orders" = "$accepted" -a "$db_max_order" -le "$last_order" ])" "orders in PostgreSQL = accepted" "rows $db_orders (max id $db_max_order), spot_orders_accepted_total $accepted, lastOrderId $last_order"
trades_ok=1
if [ "$db_trades" = "$last_trade" ] && [ "$db_trade_ids" = "$last_trade" ] &&
  [ "$trades_metric" = "$last_trade" ] && [ "$db_max_trade" = "$last_trade" ] &&
  { [ "$last_trade" = 0 ] || [ "$db_min_trade" = 1 ]; }; then
  trades_ok=0
fi
check "$trades_ok" "trades in PostgreSQL = trades of spotd" "rows $db_trades ($db_trade_ids ids, $db_min_trade..$db_max_trade), lastTradeId $last_trade, spot_trades_total $trades_metric"
check "$(holds [ "$db_open" = "$resting" ])" "open orders in PostgreSQL = resting orders" "rows $db_open, restingOrders $resting"
check "$(holds [ "$db_accounts" = "$accounts" ])" "accounts in PostgreSQL = accounts of spotd" "rows $db_accounts, accounts $accounts"
bad_exec="$(sql -c "SELECT count(*) FROM orders o WHERE o.executed_qty <> coalesce((SELECT sum(qty) FROM trades t WHERE t.maker_order_id = o.order_id OR t.taker_order_id = o.order_id), 0)")"
check "$(holds [ "$bad_exec" = 0 ])" "executed quantities = sums of trades" "$bad_exec orders differ"
bad_ledger="$(sql -c "SELECT count(*) FROM balances b FULL JOIN (SELECT account_id, asset, sum(delta_free) f, sum(delta_locked) l FROM ledger GROUP BY 1, 2) g USING (account_id, asset) WHERE coalesce(b.free, 0) <> coalesce(g.f, 0) OR coalesce(b.locked, 0) <> coalesce(g.l, 0)")"
check "$(holds [ "$bad_ledger" = 0 ])" "balances = sums of the ledger" "$bad_ledger (account, asset) pairs differ"
conserved=0
conservation="$(python3 - "$deposits" "$(sql -c 'SELECT asset, sum(free + locked) FROM balances GROUP BY asset')" <<'EOF'
import sys
from decimal import Decimal
want = {}
for line in open(sys.argv[1]):
    asset, amount = line.split()
    want[asset] = want.get(asset, Decimal(0)) + Decimal(amount)
have = {}
for line in sys.argv[2].splitlines():
    if line:
        asset, total = line.split("|")
        have[asset] = Decimal(total)
wrong = [f"{a}: deposited {want.get(a, 0)}, held {have.get(a, 0)}"
         for a in sorted(set(want) | set(have)) if want.get(a, 0) != have.get(a, 0)]
print("; ".join(wrong) if wrong else f"{len(want)} assets, every one held = deposited")
sys.exit(1 if wrong else 0)
EOF
)" || conserved=1
check "$conserved" "balances per asset = deposits" "$conservation"

# Every acknowledged order: a row of its account (all of them), and a sample read back.
acks_ok=0
acks_check="$(python3 - "$work" "$http_port" "$pg_port" "$ACK_GET_SAMPLE" "$SEED" <<'EOF'
import http.client, json, os, random, subprocess, sys, threading
work, http_port, pg_port, sample_size, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
acks = []  # (order id, account id, key)
for line in open(os.path.join(work, "accounts.txt")):
    name, account, key = line.split()
    path = os.path.join(work, "acks", name + ".txt")
    if os.path.exists(path):
        acks += [(int(l), int(account), key) for l in open(path) if l.strip()]
def psql(script):  # a script on stdin, so that COPY can take its rows inline
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                           "-p", pg_port, "-U", "postgres", "-d", "spotd"],
                          input=script, capture_output=True, text=True, check=True).stdout
rows = "".join(f"{o},{a}\n" for o, a, _ in acks)
missing = psql("CREATE TEMP TABLE acks (order_id BIGINT, account_id BIGINT);\n"
               "COPY acks FROM STDIN (FORMAT csv);\n" + rows + "\\.\n"
               "SELECT count(*) FROM acks a LEFT JOIN orders o USING (order_id) "
               "WHERE o.order_id IS NULL OR o.account_id <> a.account_id;\n").split()[-1]
duplicates = len(acks) - len({o for o, _, _ in acks})
sample = acks if sample_size == 0 or sample_size >= len(acks) else random.Random(seed).sample(acks, sample_size)
status_of = {}
ids = [o for o, _, _ in sample]
for i in range(0, len(ids), 5000):
    chunk = ",".join(map(str, ids[i:i + 5000]))
    for line in psql(f"SELECT order_id, status FROM orders WHERE order_id IN ({chunk});").splitlines():
        o, s = line.split("|")
        status_of[int(o)] = s
problems, lock = [], threading.Lock()
def read(part):
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    for order, account, key in part:
        try:
            conn.request("GET", f"/api/v1/orders/{order}", headers={"X-API-Key": key})
            r = conn.getresponse()
            body = r.read()
            got = json.loads(body) if r.status == 200 else {}
            ok = r.status == 200 and int(got.get("orderId", 0)) == order and got.get("status") == status_of.get(order)
            why = f"order {order}: HTTP {r.status}, status {got.get('status')}, database {status_of.get(order)}"
        except Exception as e:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            ok, why = False, f"order {order}: {e!r}"
        if not ok:
            with lock:
                problems.append(why)
threads = [threading.Thread(target=read, args=(sample[k::4],)) for k in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(f"{len(acks)} acknowledged, {missing} not in PostgreSQL under their account, {duplicates} acknowledged twice; "
      f"{len(sample)} read back over GET, {len(problems)} wrong" + (f" (first: {problems[0]})" if problems else ""))
sys.exit(0 if missing == "0" and duplicates == 0 and not problems and acks else 1)
EOF
)" || acks_ok=1
check "$acks_ok" "every acknowledged order present, in the right state" "$acks_check"

dlq="$(sql -c "SELECT count(*), count(*) FILTER (WHERE status = 'PENDING') FROM dead_letters")"
check "$(holds [ "$dlq" = "0|0" ])" "dead-letter queue empty" "entries|pending: $dlq"

ready_status="$(json_field "$(readyz)" '.get("status")' 2>/dev/null || echo none)"
check "$(holds [ "$ready_status" = ready ])" "spotd ready at the end" "/readyz status $ready_status"

# Stop spotd (it drains and writes a snapshot), then replay its journal from scratch.
kill -TERM "$spotd_pid"
spotd_rc=0
wait "$spotd_pid" || spotd_rc=$?
spotd_pid=""
check "$spotd_rc" "spotd exit on SIGTERM" "exit code $spotd_rc"
replay="$("$spotd" "${spotd_args[@]}" --replay-only 2>"$work/replay.err" || true)"
replay_hash="$(json_field "$replay" '["stateHash"]' 2>/dev/null || echo none)"
check "$(holds [ "$replay_hash" = "$state_hash" ])" "replay of the journal = live state" "replay stateHash $replay_hash, live $state_hash ($replay)"

outages_ok=1
if [ -f "$work/outages.txt" ] && [ "$(wc -l <"$work/outages.txt")" = 4 ] &&
  awk '$4 != 0 {bad = 1} END {exit bad}' "$work/outages.txt"; then
  outages_ok=0
fi
check "$outages_ok" "PostgreSQL and Redis each restarted twice" "$(tr '\n' ';' <"$work/outages.txt" 2>/dev/null)"

# ---- the summary -----------------------------------------------------------------------

admin_flood_note=""
[ "$ADMIN_FLOOD" != 0 ] || admin_flood_note=", none on the admin port"
settings="spotd $commit; honest load: http ${HTTP_RATE}/s on $HTTP_CONNECTIONS connections and tcp \
${TCP_RATE}/s on $TCP_CONNECTIONS (W1, runs of up to $RUN_SECONDS s, a new account each), mixed \
$MIXED_ORDERS orders at $MIXED_ORDER_RATE/s then $MIXED_READS reads at $MIXED_READ_RATE/s; \
outages of $OUTAGE_SECONDS s; hostile: slowloris $SLOWLORIS per port and round, floods every \
$FLOOD_EVERY s$admin_flood_note"

python3 - "$work" "$rss_start_kib" "$rss_end_kib" "$hwm_end_kib" "$state_start" "$state_end" \
  "$SOAK_SECONDS" "$QUIET_SECONDS" "$attack_seconds" "$hostile_rc" "$OUTAGE_SECONDS" \
  "$http_limit" "$tcp_limit" "$admin_limit" "$FLOOD_EXTRA" "$rss_quiet_kib" \
  "$load_start" "$load_quiet" "$load_end" "$settings" <<'EOF'
import json, os, statistics, sys
(work, rss_start, rss_end, hwm, state_start, state_end, soak_s, quiet_s, attack_s, hostile_rc,
 outage_s, http_limit, tcp_limit, admin_limit, flood_extra, rss_quiet, load_start, load_quiet,
 load_end, settings) = sys.argv[1:21]
runs = [json.loads(l) for l in open(os.path.join(work, "runs.jsonl")) if l.strip()]
mib = lambda kib: f"{int(kib) / 1024:.1f} MiB"

def row(phase, kind):
    rs = [r for r in runs if r["phase"] == phase and r["kind"] == kind]
    ok = [r for r in rs if r["result"] and not r["result"].get("error")]
    failed = sum(1 for r in rs if r["rc"] != 0)
    # Why runs were cut short, with how many each reason cut.
    why = {}
    for r in rs:
        reason = (r["result"] or {}).get("error") or ("no summary" if not r["result"] else None)
        if reason:
            why[reason] = why.get(reason, 0) + 1
    cut = "; ".join(f"{n} cut short: {reason}" for reason, n in why.items())
    if kind == "mixed":
        # The order phase of a run cut short (e.g. in the catch-up) still counts.
        orders = [r["result"]["orders"] for r in rs if r["result"] and "orders" in r["result"]]
        reads = [r["result"]["reads"] for r in ok]
        placed = f"{sum(x['accepted'] for x in orders)} orders ({sum(x['errors'] for x in orders)} errors)"
        if not reads:
            return f"| mixed reads | {len(rs)} ({failed} exit≠0) | {placed}, no read phase | - | - | {cut} |"
        return (f"| mixed reads | {len(rs)} ({failed} exit≠0) | {sum(x['done'] for x in reads)} reads, {placed} | "
                f"{statistics.median(x['p50_ms'] for x in reads):.2f} | "
                f"{statistics.median(x['p99_ms'] for x in reads):.2f} / {max(x['p99_ms'] for x in reads):.2f} | "
                f"{sum(x['errors'] for x in reads)} read errors" + (f"; {cut}" if cut else "") + " |")
    res = [r["result"] for r in ok if "p99_ms" in r["result"]]
    if not res:
        return f"| {kind} orders | {len(rs)} ({failed} exit≠0) | - | - | - | {cut} |"
    seconds = sum(x["duration_s"] for x in res)
    acked = sum(x["acked"] for x in res)
    errors = {}
    for x in res:
        for k, v in x["errors"].items():
            errors[k] = errors.get(k, 0) + v
        for k, v in x.get("rejected_reasons", {}).items():
            errors["rejected " + k] = errors.get("rejected " + k, 0) + v
    err = ", ".join(f"{k} {v}" for k, v in sorted(errors.items()) if v) or "0"
    if cut:
        err += "; " + cut
    return (f"| {kind} orders | {len(rs)} ({failed} exit≠0) | {acked / seconds:.0f}/s acked "
            f"(offered {res[0]['offered_rate']:.0f}/s) | {statistics.median(x['p50_ms'] for x in res):.2f} | "
            f"{statistics.median(x['p99_ms'] for x in res):.2f} / {max(x['p99_ms'] for x in res):.2f} | {err} |")

print()
print("=" * 100)
print(f"### Soak with hostile clients: {soak_s} s (quiet {quiet_s} s, attack {attack_s} s)")
print()
print(settings)
print()
print("| phase: load | runs | throughput | p50 ms (median run) | p99 ms (median / worst run) | errors |")
print("|---|---|---|---|---|---|")
for phase in ("quiet", "attack"):
    for kind in ("http", "tcp", "mixed"):
        print(f"| {phase}: " + row(phase, kind)[2:])
s0, s1 = json.loads(state_start), json.loads(state_end)
print()
print(f"Machine load average (1/5/15 min): start {load_start}, end of quiet phase {load_quiet}, "
      f"end {load_end} ({os.cpu_count()} CPUs)")
print(f"spotd VmRSS: start {mib(rss_start)}, end of quiet phase {mib(rss_quiet)}, end {mib(rss_end)}, "
      f"peak (VmHWM) {mib(hwm)}; "
      f"resting orders {s0['restingOrders']} -> {s1['restingOrders']}, "
      f"orders {s0['lastOrderId']} -> {s1['lastOrderId']}, trades {s1['lastTradeId']}, accounts {s1['accounts']}")
samples = [l.split() for l in open(os.path.join(work, "rss.txt")) if l.strip()] if os.path.exists(os.path.join(work, "rss.txt")) else []
if samples:
    print(f"VmRSS samples (every 5 s): min {mib(min(int(s[1]) for s in samples))}, max {mib(max(int(s[1]) for s in samples))}, "
          f"last {mib(samples[-1][1])}")
outages = [l.split() for l in open(os.path.join(work, "outages.txt"))] if os.path.exists(os.path.join(work, "outages.txt")) else []
print("Outages (stopped at +s, started at +s): " +
      ", ".join(f"{'PostgreSQL' if o[0] == 'pg' else 'Redis'} {o[1]}-{o[2]}" + ("" if o[3] == "0" else " (start FAILED)") for o in outages))
hostile = None
for line in open(os.path.join(work, "hostile.out")):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("mode") == "hostile":
        hostile = j
print()
if not hostile:
    print(f"hostile client: no summary (exit {hostile_rc})")
else:
    print(f"Hostile client ({hostile['elapsed_s']} s; flood = limit + {flood_extra}: http {http_limit}, tcp {tcp_limit}, admin {admin_limit}):")
    for port in ("http", "admin"):
        p = hostile.get(port)
        if p:
            sent = sum(c["sent"] for c in p["probes"].values())
            ans = ", ".join(f"{k} {v}" for k, v in sorted(p["answers"].items()))
            print(f"- {port}: {sent} malformed requests; answers {ans} ({p['refused_at_limit']} of the 503s: "
                  f"refused at the limit during a flood); closed by spotd {p['closed_by_server']} "
                  f"(reset {p['reset_by_server']}), left open {p['left_open']}; unexpected {p['unexpected']}")
    p = hostile.get("tcp")
    if p:
        sent = sum(c["sent"] for c in p["probes"].values())
        ans = ", ".join(f"{k} {v}" for k, v in sorted(p["answers"].items()))
        print(f"- tcp: {sent} malformed sessions; answers {ans}; closed by spotd {p['closed_by_server']} "
              f"({p['refused_at_limit']} without a word during a flood: at the limit), "
              f"left open {p['left_open']}; unexpected {p['unexpected']}")
    for port, s in hostile["slowloris"].items():
        c = s["close_after_s"]
        print(f"- slowloris {port}: {s['connections']} connections ({s['refused_at_limit']} refused at the limit "
              f"during a flood), {s['closed_by_server']} closed by spotd "
              f"after {c.get('min', '-')}..{c.get('max', '-')} s (p50 {c.get('p50', '-')}), held to the max {s['held_to_max']}, "
              f"cut at the end {s['cut_at_end']}")
    for port, f in hostile["flood"].items():
        print(f"- flood {port}: {f['floods']} floods, {f['attempted']} connects, {f['connected']} connected, "
              f"at the limit: {f['refused_503']} refused with 503, {f['closed_without_answer']} closed without a word (refused, or closed to make room for a newer one); "
              f"held open at most {f['held_open_max']}; connect failed/timed out {f['connect_failed'] + f['connect_refused']}/{f['connect_timeout']}")
    if hostile["examples"]:
        print(f"- unexpected answers ({hostile['unexpected']}): " + "; ".join(hostile["examples"]))
print()
print("Invariants:")
for line in open(os.path.join(work, "checks.txt")):
    print("- " + line.strip())
print("=" * 100)
EOF

if grep -q '^FAIL' "$checks"; then
  echo "bench/soak.sh: an invariant failed" >&2
  exit 1
fi
