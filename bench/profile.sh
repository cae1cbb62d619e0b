#!/usr/bin/env bash
# Where an order's time goes in spotd (issue 14 item 1): spotd under a fixed open-loop
# load from spot-bench, observed from outside in three windows of WINDOW_S seconds each:
#   1. perf stat --per-thread: CPU time, context switches and CPU migrations per thread,
#      and heap allocations per thread (malloc, calloc, realloc, aligned; C++ new is a
#      malloc) counted by bench/alloc_count.c, LD_PRELOADed into spotd and dumped on
#      SIGUSR2 at the start and the end of the window;
#   2. perf trace -s: system calls per thread, by name;
#   3. perf record -g (cpu-clock, the VM has no hardware counters): the hottest symbols,
#      and the share of each thread.
# Each figure is divided by the orders (new-order requests) spotd received in that window
# (spot_orders_received_total before and after). W1's cancels come on top and are not
# counted: the load's requests/s offered, over the orders/s received, tells how many. Threads are named
# spot-<component> (spot-net, spot-matching, spot-journal, ...).
#
#   bench/profile.sh [http|tcp]     (default tcp)
#
# Environment (defaults): RATE=20000, WINDOW_S=5, CONNECTIONS=8 (tcp) / 32 (http),
# MODE=embedded (full: with PostgreSQL and Redis), OUT=DIR (keep the raw outputs there),
# BENCH_ARGS (more spot-bench arguments, e.g. "--send-interval-us 100").
# Everything listens on 127.0.0.1; the temp directory is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
protocol="${1:-tcp}"
case "$protocol" in http | tcp) ;; *) echo "usage: bench/profile.sh [http|tcp]" >&2; exit 2 ;; esac
RATE="${RATE:-20000}"
WINDOW_S="${WINDOW_S:-5}"
MODE="${MODE:-embedded}"
if [ "$protocol" = tcp ]; then CONNECTIONS="${CONNECTIONS:-8}"; else CONNECTIONS="${CONNECTIONS:-32}"; fi

scripts/install-deps
command -v perf >/dev/null || { echo "bench/profile.sh needs perf (Debian: linux-perf)" >&2; exit 1; }
scripts/build release spotd spot-bench >/dev/null
work="$(mktemp -d /tmp/spotd-profile-XXXXXX)"
chmod 711 "$work"
cc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$work/alloc_count.so" bench/alloc_count.c
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/redis stop "$work/redis" >/dev/null 2>&1 || true
  scripts/pg stop "$work/pg" >/dev/null 2>&1 || true
  if [ -n "${OUT:-}" ]; then mkdir -p "$OUT" && cp "$work"/*.txt "$work"/*.csv "$OUT"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

extra=()
if [ "$MODE" = full ]; then
  extra+=(--set "postgres.url=$(scripts/pg start "$work/pg" 2>/dev/null)")
  extra+=(--set "redis.url=$(scripts/redis start "$work/redis" 2>/dev/null)")
fi
ALLOC_COUNT_OUT="$work/alloc.txt" LD_PRELOAD="$work/alloc_count.so" build/release/spotd --config config/spotd.toml --http-port 0 --tcp-port 0 --admin-port 0 \
  --admin-token prof --ports-file "$work/ports.json" --set journal.dir="$work/journal" \
  --set limits.orders_per_second_per_account=100000000 \
  --set limits.burst_per_account=100000000 --set log.level=warn "${extra[@]}" \
  2>"$work/spotd.log" &
spotd_pid=$!
pids+=("$spotd_pid")
wait_file "$work/ports.json" || { echo "spotd did not start:" >&2; cat "$work/spotd.log" >&2; exit 1; }
port="$(json_get "$work/ports.json" "$protocol")"
admin="$(json_get "$work/ports.json" admin)"
curl -sf -X POST -H 'Authorization: Bearer prof' -d '{"name":"prof"}' \
  "127.0.0.1:$admin/admin/v1/accounts" >"$work/account.json"
key="$(json_get "$work/account.json" apiKey)"
account="$(json_get "$work/account.json" accountId)"
fund_account "$admin" prof "$account" profile "${FUNDS:-1000000000}" || exit 1
received() {
  curl -s "127.0.0.1:$admin/metrics" | awk '$1 == "spot_orders_received_total" { printf "%d\n", $2 }'
}

alloc_dump() {  # one more dump of spotd's allocation counts in $work/alloc.txt
  local ends
  ends="$(grep -c '^end$' "$work/alloc.txt" 2>/dev/null || true)"
  kill -USR2 "$spotd_pid"
  for _ in $(seq 1 100); do
    [ "$(grep -c '^end$' "$work/alloc.txt" 2>/dev/null || true)" -gt "${ends:-0}" ] && return
    sleep 0.02
  done
  echo "bench/profile.sh: no allocation dump from spotd" >&2
  exit 1
}

total_s=$((4 * WINDOW_S + 6))
build/release/spot-bench "$protocol" --port "$port" --api-key "$key" --rate "$RATE" \
  --duration "$total_s" --connections "$CONNECTIONS" ${BENCH_ARGS:-} >"$work/load.txt" &
pids+=($!)
sleep 3  # prefill and the first seconds

window() {  # $1 name; the rest: the command observing spotd for WINDOW_S seconds
  local name="$1" before after
  shift
  before="$(received)"
  "$@"
  after="$(received)"
  echo "$name $((after - before))" >>"$work/requests.txt"
}
stat_window() {
  alloc_dump
  perf stat --per-thread -x, -o "$work/stat.csv" -e task-clock,context-switches,cpu-migrations \
    -p "$spotd_pid" -- sleep "$WINDOW_S"
  alloc_dump
}
machine_window() {
  python3 bench/cpu_tasks.py snapshot "$work/tasks-before.json" "http://127.0.0.1:$admin/metrics"
  sleep "$WINDOW_S"
  python3 bench/cpu_tasks.py snapshot "$work/tasks-after.json" "http://127.0.0.1:$admin/metrics"
}
window machine machine_window
window stat stat_window
window trace perf trace -s -p "$spotd_pid" -o "$work/trace.txt" -- sleep "$WINDOW_S"
window record perf record -q -F 499 -g -p "$spotd_pid" -o "$work/perf.data" -- sleep "$WINDOW_S"
wait "${pids[1]}" || true
perf report -i "$work/perf.data" --no-children -g none --percent-limit 0.7 --stdio \
  --sort comm,symbol 2>/dev/null | grep -E '^ +[0-9]' | sed -E 's/[ -]+$//' | head -40 \
  >"$work/symbols.txt" || true
perf report -i "$work/perf.data" --no-children -g none --stdio --sort comm 2>/dev/null |
  grep -E '^ +[0-9]' | sed -E 's/ +$//' >"$work/threads.txt" || true

python3 - "$work" "$protocol" "$RATE" "$MODE" "$spotd_pid" <<'EOF'
import collections, json, re, subprocess, sys
work, protocol, rate, mode, spotd_pid = sys.argv[1:6]
requests = dict(l.split() for l in open(work + "/requests.txt"))
requests = {k: int(v) for k, v in requests.items()}
print(f"== spotd over {protocol}, {rate} requests/s offered, mode {mode}")
print(f"orders received per window: {requests}")
load = [l for l in open(work + "/load.txt") if l.startswith("{")]
if load:
    r = json.loads(load[-1])
    print(f"load: achieved {r.get('achieved_rate')}/s, p50 {r.get('p50_ms')} ms, p99 {r.get('p99_ms')} ms, "
          f"errors {r.get('errors', {})}")

# 0. The whole machine, from /proc.
sys.stdout.flush()
subprocess.run([sys.executable, "bench/cpu_tasks.py", "report", work + "/tasks-before.json",
                work + "/tasks-after.json", spotd_pid], check=True)

# 1. perf stat --per-thread (CSV: value,unit,event,...) with the thread as "comm-tid";
# allocations: the difference of the last two dumps of bench/alloc_count.c, by thread.
per = collections.defaultdict(lambda: collections.defaultdict(float))
for line in open(work + "/stat.csv"):
    f = line.strip().split(",")
    if len(f) < 4 or line.startswith("#"):
        continue
    thread, value, event = f[0], f[1], f[3]
    try:
        v = float(value)
    except ValueError:
        continue
    per[re.sub(r"-\d+$", "", thread)][event] += v
dumps, dump = [], {}
for line in open(work + "/alloc.txt"):
    f = line.split()
    if f and f[0] == "thread":
        dump[f[1]] = (f[2], int(f[-1]))
    elif f and f[0] == "end":
        dumps.append(dump)
        dump = {}
first, last = dumps[-2], dumps[-1]
for tid, (name, total) in last.items():
    per[name]["alloc"] += total - first.get(tid, (name, 0))[1]
n = max(requests.get("stat", 0), 1)
print(f"\n-- spotd per order, window 1 ({n} orders), by thread")
print(f"{'thread':<18}{'CPU us':>10}{'ctx sw':>10}{'migr':>10}{'allocs':>10}")
totals = collections.defaultdict(float)
for thread in sorted(per, key=lambda t: -per[t].get("task-clock", 0)):
    e = per[thread]
    cpu_us = e.get("task-clock", 0) * 1000 / n  # task-clock is in ms
    row = [cpu_us, e.get("context-switches", 0) / n, e.get("cpu-migrations", 0) / n,
           e.get("alloc", 0) / n]
    if not any(row):
        continue
    for k, v in zip(("cpu", "cs", "migr", "alloc"), row):
        totals[k] += v
    print(f"{thread:<18}" + "".join(f"{v:>10.3f}" for v in row))
print(f"{'all':<18}" + "".join(f"{totals[k]:>10.3f}" for k in ("cpu", "cs", "migr", "alloc")))

# 2. perf trace -s: "<comm> (<tid>), N events" then a table of syscalls.
n = max(requests.get("trace", 0), 1)
print(f"\n-- system calls per order, window 2 ({n} orders), by thread")
thread, calls = None, collections.defaultdict(collections.Counter)
for line in open(work + "/trace.txt"):
    m = re.match(r"\s*(\S+) \((\d+)\), \d+ events", line)
    if m:
        thread = m.group(1)
        continue
    m = re.match(r"\s+([a-z_0-9]+)\s+(\d+)\s+\d+\s+[\d.]+", line)
    if m and thread:
        calls[thread][m.group(1)] += int(m.group(2))
all_calls = 0
for thread in sorted(calls, key=lambda t: -sum(calls[t].values())):
    total = sum(calls[thread].values())
    all_calls += total
    top = ", ".join(f"{k} {v / n:.3f}" for k, v in calls[thread].most_common(5))
    print(f"{thread:<18}{total / n:>8.3f}  ({top})")
print(f"{'all':<18}{all_calls / n:>8.3f}")

print("\n-- CPU samples by thread, window 3")
print(open(work + "/threads.txt").read().rstrip())
print("\n-- hottest symbols, window 3 (self time)")
print(open(work + "/symbols.txt").read().rstrip())
EOF
