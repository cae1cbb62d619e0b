// Results of one load run: exact latency percentiles, counters by kind, the JSON line.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spot/core/reject_reason.h"

namespace spot::bench::load {

// Keeps every sample (no binning), so percentiles are exact.
class LatencyRecorder {
 public:
  void reserve(std::size_t n) { samples_.reserve(n); }
  // Negative samples (clock skew cannot happen with steady_clock, but be safe) count as 0.
  void record(std::int64_t latency_ns);
  std::size_t count() const { return samples_.size(); }
  // Nearest rank: the smallest sample s such that at least p of all samples are <= s.
  // REQUIRES: 0 <= p <= 1. Returns 0 when there are no samples.
  std::int64_t percentile_ns(double p);
  std::int64_t max_ns();

 private:
  void sort();

  std::vector<std::int64_t> samples_;
  bool sorted_ = true;
};

// Everything that went wrong, by kind. The names are the JSON keys.
enum class ErrorKind : std::uint8_t {
  Http4xx,       // any 4xx except 429 (and 404 on a cancel, which is cancel_unknown)
  Http429,       // rate limited
  Http503,       // overloaded / not ready
  Http5xx,       // any other 5xx
  Rejected,      // tcp Rejected (by reason in rejected_reasons), except cancel_unknown
  Connect,       // a connection attempt that failed or timed out
  Login,         // tcp login refused
  Io,            // a request lost because its connection failed or was closed
  Timeout,       // a request still unanswered after the drain
  BadResponse,   // unparseable or unexpected response
  NoConnection,  // an op due while no connection was up
  SendOverflow,  // an op dropped because its connection's send buffer was full
  Unsent,        // an op the client could not send before the run's deadline
  kCount,
};

std::string_view error_name(ErrorKind kind);

struct ErrorCounts {
  std::array<std::uint64_t, static_cast<std::size_t>(ErrorKind::kCount)> by_kind{};
  std::array<std::uint64_t, 256> rejected_by_reason{};  // index: RejectReason code

  void add(ErrorKind kind) { ++by_kind[static_cast<std::size_t>(kind)]; }
  std::uint64_t get(ErrorKind kind) const { return by_kind[static_cast<std::size_t>(kind)]; }
  std::uint64_t total() const;
};

struct LatencySummary {
  std::uint64_t samples = 0;
  std::int64_t p50_ns = 0;
  std::int64_t p90_ns = 0;
  std::int64_t p99_ns = 0;
  std::int64_t p999_ns = 0;
  std::int64_t max_ns = 0;
};

LatencySummary summarize(LatencyRecorder& recorder);

struct RunResult {
  std::string mode;  // "http" or "tcp"
  double offered_rate = 0;
  double duration_s = 0;
  int connections = 0;
  std::uint64_t ops = 0;              // measured ops in the schedule
  std::uint64_t sent = 0;             // measured requests written
  std::uint64_t answered = 0;         // measured requests that got any response
  std::uint64_t acked = 0;            // answered without an error (incl. cancel_unknown)
  std::uint64_t cancel_unmapped = 0;  // cancels skipped: target not acknowledged (yet)
  std::uint64_t cancel_unknown = 0;   // cancels answered "unknown order" (404 / UNKNOWN_ORDER)
  std::uint64_t prefill_sent = 0;
  std::uint64_t prefill_acked = 0;
  ErrorCounts errors;
  LatencySummary latency;  // over every answered measured request, errors included
  std::string fatal;       // non-empty: the run could not happen (e.g. no connection)

  // Requests that should have been sent: the schedule minus skipped cancels.
  std::uint64_t expected() const { return ops - cancel_unmapped; }
  double achieved_rate() const;
};

// The one-line JSON object of a run (no trailing newline).
std::string to_json(const RunResult& result);

// A sweep step is good when p99 < limit, errors <= 1% and acked >= 90% of expected.
bool step_is_good(const RunResult& result, double p99_limit_ms);

}  // namespace spot::bench::load
