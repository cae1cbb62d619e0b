// The network side of the load generator: one open-loop run over many pipelined
// connections on a single Boost.Asio io_context (one thread).
#pragma once

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
};

// Plays `workload`: the prefill (windowed, unmeasured), then the rest on the open-loop
// schedule, then a drain. Every acknowledged server order id is appended to *acks (when
// not null) in arrival order. REQUIRES: workload.ops.size() >= prefill + warmup_ops.
RunResult drive(const DriverConfig& config, const Workload& workload,
                std::vector<std::uint64_t>* acks);

// GET `target` on a fresh connection to host:port; the body of a 200, else nullopt with
// *error set. Gives up after timeout_s.
std::optional<std::string> http_get(const std::string& host, std::uint16_t port,
                                    std::string_view target, double timeout_s, std::string* error);

}  // namespace spot::bench::load
