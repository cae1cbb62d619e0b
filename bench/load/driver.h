// The network side of the load generator: one open-loop run over many pipelined
// connections on a single Boost.Asio io_context (one thread).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load/http_codec.h"
#include "bench/load/load.h"
#include "bench/load/stats.h"
#include "bench/workload/workload.h"

namespace spot::bench::load {

enum class Protocol : std::uint8_t { Http, Tcp };

struct DriverConfig {
  Protocol protocol = Protocol::Http;
  LoadOptions options;  // host, port, connections, api_key, symbols, timings
  double rate = 0;      // of this run (a sweep step's rate, not options.rate)
  double duration_s = 0;
  std::uint64_t warmup_ops = 0;  // ops after the prefill that are sent but not measured
  // Added to every workload order id to form the client order id, so that sweep steps
  // against one server do not collide with the idempotent client order ids of earlier
  // steps.
  std::uint64_t client_id_offset = 0;
  const HttpRequestWriter* http = nullptr;  // REQUIRED when protocol == Http
  HttpLimits http_limits;                   // on every response (openOrders can be large)
};

// Plays `workload`: the prefill (windowed, unmeasured), then the rest on the open-loop
// schedule, then a drain. Every acknowledged server order id is appended to *acks (when
// not null) in arrival order. REQUIRES: workload.ops.size() >= prefill + warmup_ops.
RunResult drive(const DriverConfig& config, const Workload& workload,
                std::vector<std::uint64_t>* acks);

// One read of the mixed mode's read phase (HTTP only).
enum class ReadKind : std::uint8_t { GetOrder, OpenOrders, Depth, kCount };
inline constexpr std::size_t kReadKinds = static_cast<std::size_t>(ReadKind::kCount);

struct ReadOp {
  ReadKind kind = ReadKind::GetOrder;
  std::uint64_t order_id = 0;  // GetOrder: the server's order id
  std::uint32_t symbol = 0;    // OpenOrders and Depth: index into the server's symbols
};

struct ReadKindResult {
  std::uint64_t sent = 0;
  std::uint64_t ok = 0;         // 2xx
  std::uint64_t not_found = 0;  // GetOrder answered 404 (counted apart, not an error)
  std::uint64_t errors = 0;     // any other answer, or none (lost, timed out)
  LatencySummary latency;       // over every answered read of the kind
};

struct ReadRunResult {
  RunResult run;  // mode "reads": sent, answered, acked (= ok + not_found), errors, latency
  std::array<ReadKindResult, kReadKinds> by_kind{};
};

// Plays `reads` on the open-loop schedule of config.rate (no prefill, no warmup), then a
// drain, as drive() plays orders. REQUIRES: config.protocol == Http, config.http set.
ReadRunResult drive_reads(const DriverConfig& config, const std::vector<ReadOp>& reads);

// GET `target` on a fresh connection to host:port; the body of a 200, else nullopt with
// *error set. Gives up after timeout_s.
// Bodies up to limits.max_body_bytes; with X-API-Key when api_key is not empty.
std::optional<std::string> http_get(const std::string& host, std::uint16_t port,
                                    std::string_view target, double timeout_s, std::string* error,
                                    const HttpLimits& limits = {}, std::string_view api_key = {});

}  // namespace spot::bench::load
