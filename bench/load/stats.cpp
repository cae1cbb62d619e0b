#include "bench/load/stats.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>

namespace spot::bench::load {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(ErrorKind::kCount)> kErrorNames = {
    "http_4xx", "http_429", "http_503",     "http_5xx",      "rejected",      "connect", "login",
    "io",       "timeout",  "bad_response", "no_connection", "send_overflow", "unsent",
};

void append_ms(std::string& out, std::string_view key, std::int64_t ns) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%.*s\":%.3f", static_cast<int>(key.size()), key.data(),
                static_cast<double>(ns) / 1e6);
  out += buf;
}

void append_uint(std::string& out, std::string_view key, std::uint64_t v) {
  out += '"';
  out += key;
  out += "\":";
  out += std::to_string(v);
}

void append_double(std::string& out, std::string_view key, double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%.*s\":%.*f", static_cast<int>(key.size()), key.data(),
                decimals, v);
  out += buf;
}

}  // namespace

void LatencyRecorder::record(std::int64_t latency_ns) {
  samples_.push_back(std::max<std::int64_t>(latency_ns, 0));
  sorted_ = false;
}

void LatencyRecorder::sort() {
  if (!sorted_) std::sort(samples_.begin(), samples_.end());
  sorted_ = true;
}

std::int64_t LatencyRecorder::percentile_ns(double p) {
  assert(p >= 0 && p <= 1);
  if (samples_.empty()) return 0;
  sort();
  const double n = static_cast<double>(samples_.size());
  // Rank k (1-based) = ceil(p * n), at least 1.
  auto rank = static_cast<std::size_t>(std::ceil(p * n - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, samples_.size());
  return samples_[rank - 1];
}

std::int64_t LatencyRecorder::max_ns() {
  if (samples_.empty()) return 0;
  sort();
  return samples_.back();
}

std::string_view error_name(ErrorKind kind) { return kErrorNames[static_cast<std::size_t>(kind)]; }

std::uint64_t ErrorCounts::total() const {
  std::uint64_t sum = 0;
  for (std::uint64_t n : by_kind) sum += n;
  return sum;
}

LatencySummary summarize(LatencyRecorder& recorder) {
  LatencySummary s;
  s.samples = recorder.count();
  s.p50_ns = recorder.percentile_ns(0.50);
  s.p90_ns = recorder.percentile_ns(0.90);
  s.p99_ns = recorder.percentile_ns(0.99);
  s.p999_ns = recorder.percentile_ns(0.999);
  s.max_ns = recorder.max_ns();
  return s;
}

double RunResult::achieved_rate() const {
  return duration_s > 0 ? static_cast<double>(acked) / duration_s : 0;
}

std::string to_json(const RunResult& r) {
  std::string out = "{\"mode\":\"" + r.mode + "\",";
  append_double(out, "offered_rate", r.offered_rate, 1);
  out += ',';
  append_double(out, "achieved_rate", r.achieved_rate(), 1);
  out += ',';
  append_double(out, "duration_s", r.duration_s, 3);
  out += ',';
  append_uint(out, "ops", r.ops);
  out += ',';
  append_uint(out, "sent", r.sent);
  out += ',';
  append_uint(out, "answered", r.answered);
  out += ',';
  append_uint(out, "acked", r.acked);
  out += ',';
  append_uint(out, "cancel_unmapped", r.cancel_unmapped);
  out += ',';
  append_uint(out, "cancel_unknown", r.cancel_unknown);
  out += ',';
  append_uint(out, "prefill_sent", r.prefill_sent);
  out += ',';
  append_uint(out, "prefill_acked", r.prefill_acked);
  out += ",\"errors\":{";
  for (std::size_t k = 0; k < r.errors.by_kind.size(); ++k) {
    if (k > 0) out += ',';
    append_uint(out, error_name(static_cast<ErrorKind>(k)), r.errors.by_kind[k]);
  }
  out += "},\"rejected_reasons\":{";
  bool first = true;
  for (std::size_t code = 0; code < r.errors.rejected_by_reason.size(); ++code) {
    const std::uint64_t n = r.errors.rejected_by_reason[code];
    if (n == 0) continue;
    if (!first) out += ',';
    first = false;
    const std::string_view name = to_string(static_cast<RejectReason>(code));
    append_uint(out, name == "UNKNOWN" ? "CODE_" + std::to_string(code) : std::string(name), n);
  }
  out += "},";
  append_uint(out, "latency_samples", r.latency.samples);
  out += ',';
  append_ms(out, "p50_ms", r.latency.p50_ns);
  out += ',';
  append_ms(out, "p90_ms", r.latency.p90_ns);
  out += ',';
  append_ms(out, "p99_ms", r.latency.p99_ns);
  out += ',';
  append_ms(out, "p999_ms", r.latency.p999_ns);
  out += ',';
  append_ms(out, "max_ms", r.latency.max_ns);
  out += ",\"connections\":" + std::to_string(r.connections);
  if (!r.fatal.empty()) {
    out += ",\"error\":\"";
    for (char c : r.fatal) {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

bool step_is_good(const RunResult& r, double p99_limit_ms) {
  if (!r.fatal.empty()) return false;
  const auto expected = static_cast<double>(r.expected());
  if (expected <= 0) return false;
  const double p99_ms = static_cast<double>(r.latency.p99_ns) / 1e6;
  return p99_ms < p99_limit_ms && static_cast<double>(r.errors.total()) <= 0.01 * expected &&
         static_cast<double>(r.acked) >= 0.9 * expected;
}

}  // namespace spot::bench::load
