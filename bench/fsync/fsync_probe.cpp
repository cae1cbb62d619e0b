#include "bench/fsync/fsync_probe.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace spot::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kSlowListed = 20;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

}  // namespace

FsyncProbeResult run_fsync_probe(const FsyncProbeOptions& options) {
  FsyncProbeResult result;
  const std::string path = options.dir + "/spot-bench-fsync-probe.tmp";
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    result.error = "cannot create " + path + ": " + std::strerror(errno);
    return result;
  }
  const off_t prezeroed = static_cast<off_t>(options.prezeroed_mib) << 20;
  if (prezeroed > 0) {
    const std::string zeros(1 << 20, '\0');
    for (off_t at = 0; at < prezeroed; at += static_cast<off_t>(zeros.size())) {
      if (::write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size())) {
        result.error = std::string("writing zeros: ") + std::strerror(errno);
        break;
      }
    }
    if (result.error.empty() && (::fdatasync(fd) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)) {
      result.error = std::string("syncing the zeros: ") + std::strerror(errno);
    }
    if (!result.error.empty()) {
      ::close(fd);
      ::unlink(path.c_str());
      return result;
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<bool> busy_pinned{true};
  std::thread busy;
  if (options.busy_cpu >= 0) {
    busy = std::thread([&stop, &busy_pinned, cpu = options.busy_cpu] {
      if (!pin_to(cpu)) {
        busy_pinned.store(false);
        return;
      }
      while (!stop.load(std::memory_order_relaxed)) {
      }
    });
  }
  std::thread prober([&] {
    if (options.cpu >= 0 && !pin_to(options.cpu)) {
      result.error = "cannot pin to CPU " + std::to_string(options.cpu);
      return;
    }
    const std::string record(options.bytes, 'r');
    std::vector<double> took;
    const Clock::time_point start = Clock::now();
    const auto end = start + std::chrono::duration<double>(options.seconds);
    off_t at = 0;
    for (Clock::time_point t0 = start; t0 < end;) {
      if (prezeroed > 0 && at + static_cast<off_t>(record.size()) > prezeroed) {
        at = 0;
        ::lseek(fd, 0, SEEK_SET);
      }
      at += static_cast<off_t>(record.size());
      if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
        result.error = std::string("write: ") + std::strerror(errno);
        return;
      }
      t0 = Clock::now();
      if (::fdatasync(fd) != 0) {
        result.error = std::string("fdatasync: ") + std::strerror(errno);
        return;
      }
      const Clock::time_point t1 = Clock::now();
      const double ms = ms_between(t0, t1);
      took.push_back(ms);
      if (ms >= options.slow_ms) {
        ++result.slow_count;
        if (result.slow.size() < kSlowListed) result.slow.push_back({ms_between(start, t0), ms});
      }
      t0 = t1;
    }
    std::sort(took.begin(), took.end());
    result.syncs = took.size();
    result.p50_ms = quantile(took, 0.5);
    result.p99_ms = quantile(took, 0.99);
    result.p999_ms = quantile(took, 0.999);
    result.max_ms = took.empty() ? 0 : took.back();
    result.over_5ms =
        static_cast<std::uint64_t>(took.end() - std::upper_bound(took.begin(), took.end(), 5.0));
    result.over_10ms =
        static_cast<std::uint64_t>(took.end() - std::upper_bound(took.begin(), took.end(), 10.0));
  });
  prober.join();
  stop.store(true);
  if (busy.joinable()) busy.join();
  if (!busy_pinned.load() && result.error.empty()) {
    result.error = "cannot pin the busy thread to CPU " + std::to_string(options.busy_cpu);
  }
  ::close(fd);
  ::unlink(path.c_str());
  return result;
}

std::string to_json(const FsyncProbeOptions& options, const FsyncProbeResult& r) {
  std::string slow;
  for (const FsyncProbeResult::Slow& s : r.slow) {
    char item[64];
    std::snprintf(item, sizeof(item), "%s[%.1f,%.2f]", slow.empty() ? "" : ",", s.at_ms, s.took_ms);
    slow += item;
  }
  char out[512];
  std::snprintf(out, sizeof(out),
                "{\"mode\":\"fsync\",\"bytes\":%u,\"prezeroed_mib\":%u,\"cpu\":%d,\"busy_cpu\":%d,"
                "\"syncs\":%llu,"
                "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
                "\"over_5ms\":%llu,\"over_10ms\":%llu,\"slow_ms\":%.1f,\"slow_count\":%llu,",
                options.bytes, options.prezeroed_mib, options.cpu, options.busy_cpu,
                static_cast<unsigned long long>(r.syncs), r.p50_ms, r.p99_ms, r.p999_ms, r.max_ms,
                static_cast<unsigned long long>(r.over_5ms),
                static_cast<unsigned long long>(r.over_10ms), options.slow_ms,
                static_cast<unsigned long long>(r.slow_count));
  return std::string(out) + "\"slow\":[" + slow + "]}";
}

}  // namespace spot::bench
