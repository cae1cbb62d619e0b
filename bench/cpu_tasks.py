#!/usr/bin/env python3
"""CPU time of every task on the machine over a window, per order (bench/profile.sh).

  cpu_tasks.py snapshot FILE METRICS_URL
      utime + stime of every thread of every process (/proc/PID/task/TID/stat), with
      the process's and the thread's names, the time, and spot_orders_received_total
      read from spotd's METRICS_URL right after, as JSON in FILE.
  cpu_tasks.py report BEFORE AFTER SPOTD_PID
      The CPU each group of tasks spent between the two snapshots, in µs per order
      received in between
      and in % of one core: spotd by thread (spot-net, spot-matching, ...), then every
      other process by name (spot-bench, postgres, redis-server, ...), kernel threads
      by kind (kworker, ksoftirqd, jbd2, ...).

Tasks are matched by thread id, not by name: a kernel worker renames itself after the
work it is doing, so a name is no key. A thread that started within the window counts
from zero. The snapshots' own reading of /proc is left out.
"""
import json
import os
import re
import sys
import time
import urllib.request


def orders_received(metrics_url):
    with urllib.request.urlopen(metrics_url, timeout=10) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith("spot_orders_received_total "):
                return int(float(line.split()[1]))
    sys.exit(f"no spot_orders_received_total at {metrics_url}")


def snapshot(path, metrics_url):
    started = time.monotonic()
    tasks = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue  # not this snapshot's own reading
        try:
            with open(f"/proc/{pid}/comm") as f:
                process = f.read().strip()
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    stat = f.read()
                name = stat[stat.index("(") + 1:stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2:].split()
                tasks[tid] = [pid, process, name, int(fields[11]) + int(fields[12])]
        except (OSError, ValueError):
            continue  # the task ended while we looked
    with open(path, "w") as f:
        json.dump({"time": (started + time.monotonic()) / 2, "tasks": tasks,
                   "orders": orders_received(metrics_url)}, f)


def group(pid, process, name, spotd_pid):
    if pid == spotd_pid:
        return "spotd:" + name
    # Kernel threads (kworker/u8:1-events, ksoftirqd/0, jbd2/vda-8): by kind.
    return re.split(r"[/:]", process, maxsplit=1)[0] or process


def report(before_path, after_path, spotd_pid):
    before = json.load(open(before_path))
    after = json.load(open(after_path))
    tick_s = 1.0 / os.sysconf("SC_CLK_TCK")
    elapsed = after["time"] - before["time"]
    spent = {}
    for tid, (pid, process, name, ticks) in after["tasks"].items():
        then = before["tasks"].get(tid)
        start = then[3] if then and then[0] == pid else 0
        if ticks > start:
            key = group(pid, process, name, spotd_pid)
            spent[key] = spent.get(key, 0) + (ticks - start) * tick_s
    orders = max(after["orders"] - before["orders"], 1)
    print(f"-- the whole machine, per order ({orders} orders in {elapsed:.1f} s, "
          f"{orders / elapsed:.0f}/s; {os.cpu_count()} cores)")
    print(f"{'task':<24}{'CPU us':>10}{'% of a core':>13}")
    rows = sorted(spent.items(), key=lambda kv: -kv[1])
    spotd = sum(s for k, s in rows if k.startswith("spotd:"))
    for key, seconds in rows:
        if seconds * 1e6 / orders < 0.05:
            continue
        print(f"{key:<24}{seconds * 1e6 / orders:>10.2f}{100 * seconds / elapsed:>12.1f}%")
    total = sum(spent.values())
    print(f"{'spotd, all threads':<24}{spotd * 1e6 / orders:>10.2f}{100 * spotd / elapsed:>12.1f}%")
    print(f"{'all':<24}{total * 1e6 / orders:>10.2f}{100 * total / elapsed:>12.1f}%")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "snapshot":
        snapshot(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "report":
        report(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
