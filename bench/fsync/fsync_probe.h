// `spot-bench fsync`: how long fdatasync takes on this machine, the way the journal
// calls it (a small append, then fdatasync, again and again), optionally with another
// CPU kept busy by a spinning thread. It tells the disk's and the kernel's part of an
// order's latency apart from spotd's: on a small VM, fsyncs that wait on an interrupt
// taken by a busy CPU can stall for milliseconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spot::bench {

struct FsyncProbeOptions {
  std::string dir;             // where the scratch file goes (removed at the end)
  double seconds = 5;          // how long to keep appending and syncing
  std::uint32_t bytes = 1024;  // appended before each fdatasync
  int cpu = -1;                // pin the syncing thread to this CPU (-1: no pinning)
  int busy_cpu = -1;           // spin a thread on this CPU meanwhile (-1: none)
  double slow_ms = 4;          // an fsync at least this long is listed in `slow`
  // Write the file full of zeros (and fdatasync it) first, then overwrite it: each
  // fdatasync then flushes data only, no file size or block allocation. The file is
  // sized for `prezeroed_mib` MiB; the probe wraps around to its start when it is full.
  std::uint32_t prezeroed_mib = 0;  // 0: append to an empty file, as the journal does
};

struct FsyncProbeResult {
  std::uint64_t syncs = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  std::uint64_t over_5ms = 0, over_10ms = 0;
  // The first slow fsyncs: when each started (ms after the first) and how long it took.
  struct Slow {
    double at_ms = 0;
    double took_ms = 0;
  };
  std::vector<Slow> slow;
  std::uint64_t slow_count = 0;  // all of them, listed or not
  std::string error;             // set if the probe could not run
};

FsyncProbeResult run_fsync_probe(const FsyncProbeOptions& options);
std::string to_json(const FsyncProbeOptions& options, const FsyncProbeResult& result);

}  // namespace spot::bench
