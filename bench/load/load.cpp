#include "bench/load/load.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <vector>

#include "bench/load/driver.h"
#include "bench/load/schedule.h"
#include "bench/workload/workload.h"
#include "spot/proto/tcp.h"

namespace spot::bench::load {
namespace {

// Limits on what one invocation may ask for.
constexpr double kMaxRate = 10'000'000;
constexpr double kMaxSeconds = 24 * 3600;
constexpr int kMaxConnections = 4096;
constexpr std::uint64_t kMaxPrefillPerSymbol = 1'000'000;
constexpr double kMaxOpsPerRun = 50'000'000;  // the generated workload is held in memory
constexpr double kMaxDrainSeconds = 60;
constexpr int kMaxTcpSymbols = 65535;
constexpr double kMaxSendIntervalUs = 10'000;
// Sweep step k offsets client order ids by k * this, far above any W1 order id.
constexpr std::uint64_t kSweepClientIdStride = 1'000'000'000'000ull;
constexpr std::uint64_t kMaxClientIdOffset = 1ull << 62;  // room for the sweep's strides
constexpr const char* kExchangeInfoTarget = "/api/v1/exchangeInfo";

bool positive(double v) { return std::isfinite(v) && v > 0; }

struct Step {
  double rate = 0;
  double duration_s = 0;
  std::uint64_t client_id_offset = 0;
};

RunResult run_step(Protocol protocol, const LoadOptions& options, const HttpRequestWriter* http,
                   const Step& step, std::vector<std::uint64_t>* acks) {
  const std::uint64_t warmup_ops = options.warmup_s > 0 ? ops_for(step.rate, options.warmup_s) : 0;
  const std::uint64_t measured_ops = ops_for(step.rate, step.duration_s);
  const Workload workload = generate_w1({options.seed, warmup_ops + measured_ops, options.prefill});
  DriverConfig config;
  config.protocol = protocol;
  config.options = options;
  config.rate = step.rate;
  config.duration_s = step.duration_s;
  config.warmup_ops = warmup_ops;
  config.client_id_offset = step.client_id_offset;
  config.http = http;
  return drive(config, workload, acks);
}

bool append_acks(const std::string& path, const std::vector<std::uint64_t>& acks, bool truncate) {
  std::ofstream out(path, truncate ? std::ios::trunc : std::ios::app);
  for (std::uint64_t id : acks) out << id << '\n';
  out.flush();
  if (!out) {
    std::fprintf(stderr, "spot-bench: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

void print_line(const std::string& json) {
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
}

int run(Protocol protocol, const LoadOptions& options) {
  const char* mode = protocol == Protocol::Http ? "http" : "tcp";
  std::string problem = validate_options(options);
  if (problem.empty() && protocol == Protocol::Tcp &&
      options.api_key.size() > proto::tcp::kApiKeyBytes) {
    problem = "the api key is longer than the tcp Login field (64 bytes)";
  }
  if (!problem.empty()) {
    std::fprintf(stderr, "spot-bench %s: %s\n", mode, problem.c_str());
    return 2;
  }
  // Fail before the run, not after it, when the acks file cannot be written.
  if (!options.acks_out.empty() && !append_acks(options.acks_out, {}, /*truncate=*/true)) {
    return 1;
  }

  std::optional<HttpRequestWriter> http;
  if (protocol == Protocol::Http) {
    std::string error;
    const auto body = http_get(options.host, options.port, kExchangeInfoTarget,
                               options.connect_timeout_s, &error);
    std::optional<std::vector<SymbolInfo>> symbols;
    if (body) symbols = parse_exchange_info(*body, &error);
    if (!symbols) {
      RunResult failed;
      failed.mode = mode;
      failed.offered_rate = options.rate;
      failed.connections = options.connections;
      failed.fatal = error;
      print_line(to_json(failed));
      std::fprintf(stderr, "spot-bench %s: %s\n", mode, error.c_str());
      return 1;
    }
    http.emplace(options.host + ":" + std::to_string(options.port), options.api_key,
                 std::move(*symbols));
  }
  const HttpRequestWriter* writer = http ? &*http : nullptr;
  std::vector<std::uint64_t> acks;
  std::vector<std::uint64_t>* acks_sink = options.acks_out.empty() ? nullptr : &acks;

  if (!options.sweep) {
    const RunResult result =
        run_step(protocol, options, writer,
                 {options.rate, options.duration_s, options.client_id_offset}, acks_sink);
    print_line(to_json(result));
    if (acks_sink && !append_acks(options.acks_out, acks, /*truncate=*/false)) return 1;
    return result.fatal.empty() ? 0 : 1;
  }

  SweepPlanner planner(options.rate, options.sweep_max_rate);
  std::uint64_t step_index = 0;
  while (const auto rate = planner.next_rate()) {
    acks.clear();
    const RunResult result = run_step(
        protocol, options, writer,
        {*rate, options.sweep_step_s, options.client_id_offset + step_index * kSweepClientIdStride},
        acks_sink);
    print_line(to_json(result));
    if (acks_sink && !append_acks(options.acks_out, acks, /*truncate=*/false)) return 1;
    if (!result.fatal.empty()) return 1;
    planner.report(step_is_good(result, options.p99_limit_ms));
    ++step_index;
  }
  char line[256];
  std::snprintf(line, sizeof line,
                "{\"sweep_result\":{\"mode\":\"%s\",\"max_rate_p99_under_limit\":%.0f,"
                "\"p99_limit_ms\":%.3f,\"steps\":%llu}}",
                mode, planner.best_rate(), options.p99_limit_ms,
                static_cast<unsigned long long>(step_index));
  print_line(line);
  return 0;
}

}  // namespace

std::string validate_options(const LoadOptions& o) {
  if (o.host.empty()) return "host must not be empty";
  if (o.port == 0) return "port must be set (1..65535)";
  if (!positive(o.rate) || o.rate > kMaxRate) return "rate must be in (0, 10000000] orders/s";
  if (!positive(o.duration_s) || o.duration_s > kMaxSeconds) {
    return "duration must be in (0, 86400] s";
  }
  if (o.connections < 1 || o.connections > kMaxConnections) {
    return "connections must be in [1, 4096]";
  }
  if (!std::isfinite(o.warmup_s) || o.warmup_s < 0 || o.warmup_s > kMaxSeconds) {
    return "warmup must be in [0, 86400] s";
  }
  if (!std::isfinite(o.send_interval_us) || o.send_interval_us < 0 ||
      o.send_interval_us > kMaxSendIntervalUs) {
    return "send interval must be in [0, 10000] us";
  }
  // W1 cancels pick from the resting orders, so there must be some from the start.
  if (o.prefill < 1 || o.prefill > kMaxPrefillPerSymbol) {
    return "prefill must be in [1, 1000000] per symbol";
  }
  if (o.symbols < 1 || o.symbols > kMaxTcpSymbols) return "symbols must be in [1, 65535]";
  if (o.client_id_offset > kMaxClientIdOffset) return "client id offset must be below 2^62";
  if (!positive(o.connect_timeout_s) || o.connect_timeout_s > kMaxDrainSeconds) {
    return "connect timeout must be in (0, 60] s";
  }
  if (!positive(o.prefill_timeout_s) || o.prefill_timeout_s > kMaxSeconds) {
    return "prefill timeout must be in (0, 86400] s";
  }
  if (!std::isfinite(o.drain_s) || o.drain_s < 0 || o.drain_s > kMaxDrainSeconds) {
    return "drain must be in [0, 60] s";
  }
  for (char c : o.api_key) {
    if (c < 0x21 || c > 0x7E) return "the api key must be printable ASCII without spaces";
  }
  const double max_rate = o.sweep ? o.sweep_max_rate : o.rate;
  const double step_s = o.sweep ? o.sweep_step_s : o.duration_s;
  if (o.sweep) {
    if (!positive(o.p99_limit_ms)) return "p99 limit must be > 0 ms";
    if (!positive(o.sweep_step_s) || o.sweep_step_s > kMaxSeconds) {
      return "sweep step must be in (0, 86400] s";
    }
    if (!positive(o.sweep_max_rate) || o.sweep_max_rate > kMaxRate || o.sweep_max_rate < o.rate) {
      return "sweep max rate must be in [rate, 10000000] orders/s";
    }
  }
  const double ops = max_rate * (step_s + o.warmup_s) +
                     static_cast<double>(kW1Symbols) * static_cast<double>(o.prefill);
  if (ops > kMaxOpsPerRun) return "rate * (duration + warmup) + prefill exceeds 50M ops per run";
  return {};
}

int run_http(const LoadOptions& options) { return run(Protocol::Http, options); }
int run_tcp(const LoadOptions& options) { return run(Protocol::Tcp, options); }

}  // namespace spot::bench::load
