// spot-bench: workload benchmarks for spotd.
//
//   spot-bench core --workload w1 --ops N --seed S --prefill P [--dump F | --replay F]
//   spot-bench core --workload w1b ... [--only matcher|core|engine|engine-balances]
//   spot-bench http --port P --api-key K --rate R --duration S --connections C [--acks-out F]
//   [--sweep] spot-bench tcp  --port P --api-key K --rate R --duration S --connections C
//   [--acks-out F] [--sweep]
//   spot-bench mixed --port P --admin-port A --api-key K [--orders N] [--order-rate R]
//   [--reads M] [--read-rate R] [--get-ratio G --open-ratio O --depth-ratio D] [--get-set S]
//   spot-bench hostile [--http-port P] [--tcp-port T] [--admin-port A] --duration S
//   [--flood-http N --flood-tcp N --flood-admin N] [--slowloris N] (see bench/load/hostile.h)
//   spot-bench replay --ops N --seed S --prefill P [--snapshot-at K] --dir D [--repeat R]
//   [--order-history H] [--idempotency-window W]
//   spot-bench project --postgres URL [--orders N] [--rounds R] [--batch-max-records B]
//   [--copy-min-rows C] [--flush-ms F] [--dir D]
//
// `core` plays a workload through the matching core in this process. Generation (or
// reading the file) happens before timing. Two passes run on fresh matchers: the
// first (repeated, median reported) times the whole op stream (throughput), the last
// times each op with the CPU's time-stamp counter (percentiles); all passes must
// produce the same checksums.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "bench/fsync/fsync_probe.h"
#include "bench/load/hostile.h"
#include "bench/load/load.h"
#include "bench/load/mixed.h"
#include "bench/load/null_server.h"
#include "bench/project/project.h"
#include "bench/replay/replay.h"
#include "bench/workload/core_balances.h"
#include "bench/workload/workload.h"

namespace {

using spot::bench::Checksums;
using spot::bench::Workload;

std::uint64_t ticks_now() {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

double ns_per_tick() {
#if defined(__x86_64__)
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t c0 = __rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t1 = std::chrono::steady_clock::now();
  const std::uint64_t c1 = __rdtsc();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(c1 - c0);
#else
  return 1.0;
#endif
}

struct Timed {
  Checksums sums;
  double seconds = 0;
  double cpu_seconds = 0;
  std::vector<std::uint64_t> op_ticks;
};

// Prefill untimed, then the measured ops. With per_op, every op is timed on its own.
Timed play(const Workload& w, bool per_op) {
  spot::Matcher matcher = spot::bench::make_matcher(w);
  spot::EventBuffer events;
  events.reserve(4096);
  const std::size_t prefill = w.prefill_ops();
  for (std::size_t i = 0; i < prefill; ++i) {
    events.clear();
    spot::bench::apply(matcher, w.ops[i], events);
  }
  Timed t;
  const std::size_t n = w.ops.size() - prefill;
  if (per_op) t.op_ticks.resize(n);
  const spot::bench::Stopwatch clock;
  for (std::size_t i = 0; i < n; ++i) {
    events.clear();
    if (per_op) {
      const std::uint64_t c0 = ticks_now();
      spot::bench::apply(matcher, w.ops[prefill + i], events);
      t.op_ticks[i] = ticks_now() - c0;
    } else {
      spot::bench::apply(matcher, w.ops[prefill + i], events);
    }
    spot::bench::account(events, t.sums);
  }
  t.seconds = clock.wall_seconds();
  t.cpu_seconds = clock.cpu_seconds();
  for (spot::SymbolId s = 0; s < matcher.symbol_count(); ++s) {
    t.sums.resting += matcher.book(s).order_count();
  }
  return t;
}

double percentile(std::vector<std::uint64_t>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]);
}

// W1-B beside W1, in one process: the pure matcher, the Engine as the pure book, the
// Engine checking, locking and settling every order of 1,000 funded accounts, and the
// matching core with balances (the same Matcher plus the Engine's Balances component,
// no order records: bench/workload/core_balances.h), whose rate over the matcher's is
// the cost of the balances alone. All four must give W1's checksums, both runs with
// balances must conserve every asset, and they must end with every account's free and
// locked per asset equal.
int run_w1b(const Workload& w, std::uint64_t seed, int repeat) {
  // The four ways take turns, one pass each per round, so that a slow stretch of this
  // machine (its speed drifts by tens of percent over seconds) hits all of them alike;
  // each ratio is the median over the rounds of that round's own ratio of CPU seconds
  // (the thread's own, leaving out time spent waiting for a core). Rates are wall clock.
  std::vector<Timed> matchers;
  std::vector<spot::bench::EngineRun> pures, checks;
  std::vector<spot::bench::CoreRun> cores;
  for (int r = 0; r < repeat; ++r) {
    matchers.push_back(play(w, false));
    cores.push_back(spot::bench::play_core(w));
    pures.push_back(spot::bench::play_engine(w, false));
    checks.push_back(spot::bench::play_engine(w, true));
  }
  auto median_of = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto ratio = [&](auto& fast, auto& slow) {  // median over rounds of fast/slow CPU seconds
    std::vector<double> v;
    for (std::size_t i = 0; i < fast.size(); ++i) {
      v.push_back(fast[i].cpu_seconds / slow[i].cpu_seconds);
    }
    return median_of(v);
  };
  const double pure_over_checked = ratio(pures, checks);
  const double matcher_over_checked = ratio(matchers, checks);
  const double matcher_over_core = ratio(matchers, cores);
  auto median = [](auto runs) {
    std::sort(runs.begin(), runs.end(),
              [](const auto& a, const auto& b) { return a.seconds < b.seconds; });
    return runs[runs.size() / 2];
  };
  const Timed matcher = median(matchers);
  const spot::bench::EngineRun pure = median(pures);
  const spot::bench::EngineRun checked = median(checks);
  const spot::bench::CoreRun core = median(cores);
  const std::size_t n = w.ops.size() - w.prefill_ops();
  const bool same =
      pure.sums == matcher.sums && checked.sums == matcher.sums && core.sums == matcher.sums;
  const bool conserved = checked.conserved && core.conserved;
  std::string why;
  const bool agree = spot::bench::same_balances(core.balances, checked.balances, &why);
  const auto rate = [n](double seconds) { return static_cast<double>(n) / seconds; };
  std::printf(
      "{\"workload\":\"w1b\",\"seed\":%llu,\"ops\":%zu,\"prefill\":%llu,\"repeat\":%d,"
      "\"accounts\":%llu,\"w1_matcher_ops_per_s\":%.0f,\"w1_engine_ops_per_s\":%.0f,"
      "\"w1b_engine_ops_per_s\":%.0f,\"w1b_over_w1_engine\":%.3f,\"w1b_over_w1_matcher\":%.3f,"
      "\"w1b_core_ops_per_s\":%.0f,\"w1b_core_over_w1_matcher\":%.3f,"
      "\"checksums_equal_w1\":%s,\"conserved\":%s,\"core_balances_equal_engine\":%s,%s,"
      "\"balances\":%s}\n",
      static_cast<unsigned long long>(seed), n,
      static_cast<unsigned long long>(w.prefill_per_symbol), repeat,
      static_cast<unsigned long long>(spot::bench::kW1bAccounts), rate(matcher.seconds),
      rate(pure.seconds), rate(checked.seconds), pure_over_checked, matcher_over_checked,
      rate(core.seconds), matcher_over_core, same ? "true" : "false", conserved ? "true" : "false",
      agree ? "true" : "false", spot::bench::to_json(checked.sums).c_str(),
      spot::bench::to_json(checked.totals).c_str());
  if (!same) {
    std::fprintf(stderr, "spot-bench: W1-B checksums differ from W1's\n");
    return 1;
  }
  if (!conserved) {
    std::fprintf(stderr, "spot-bench: W1-B does not conserve money\n");
    return 1;
  }
  if (!agree) {
    std::fprintf(stderr, "spot-bench: W1-B core and Engine balances differ: %s\n", why.c_str());
    return 1;
  }
  return 0;
}

// One of W1-B's four runs alone, `repeat` times, for a profiler that should see only
// it (cachegrind, perf record): its rate (the median pass) and W1's checksums, no
// ratios. The cross-checks need all four: run without --only for them.
int run_w1b_only(const Workload& w, const std::string& only, int repeat) {
  std::vector<double> seconds;
  spot::bench::Checksums sums;
  auto take = [&](const auto& run) {
    seconds.push_back(run.seconds);
    sums = run.sums;
  };
  for (int r = 0; r < repeat; ++r) {
    if (only == "matcher") {
      take(play(w, false));
    } else if (only == "core") {
      take(spot::bench::play_core(w));
    } else {
      take(spot::bench::play_engine(w, only == "engine-balances"));
    }
  }
  if (sums.other_rejects != 0) {
    std::fprintf(stderr, "spot-bench: %llu orders were refused (W1-B funds every order)\n",
                 static_cast<unsigned long long>(sums.other_rejects));
    return 1;
  }
  std::sort(seconds.begin(), seconds.end());
  const std::size_t n = w.ops.size() - w.prefill_ops();
  std::printf(
      "{\"workload\":\"w1b\",\"only\":\"%s\",\"ops\":%zu,\"repeat\":%d,"
      "\"ops_per_s\":%.0f,%s}\n",
      only.c_str(), n, repeat, static_cast<double>(n) / seconds[seconds.size() / 2],
      spot::bench::to_json(sums).c_str());
  return 0;
}

int run_core(const std::string& workload_name, std::uint64_t ops, std::uint64_t seed,
             std::uint64_t prefill, int repeat, const std::string& dump, const std::string& replay,
             const std::string& only) {
  if (workload_name != "w1" && workload_name != "w1b") {
    std::fprintf(stderr, "spot-bench: unknown workload '%s' (known: w1, w1b)\n",
                 workload_name.c_str());
    return 2;
  }
  Workload w;
  std::string error;
  if (!replay.empty()) {
    auto read = spot::bench::read_workload(replay, &error);
    if (!read) {
      std::fprintf(stderr, "spot-bench: %s\n", error.c_str());
      return 1;
    }
    w = std::move(*read);
  } else {
    w = spot::bench::generate_w1({seed, ops, prefill});
  }
  if (!dump.empty() && !spot::bench::write_workload(dump, w, &error)) {
    std::fprintf(stderr, "spot-bench: %s\n", error.c_str());
    return 1;
  }

  if (workload_name == "w1b") {
    return only.empty() ? run_w1b(w, seed, repeat) : run_w1b_only(w, only, repeat);
  }
  if (!only.empty()) {
    std::fprintf(stderr, "spot-bench: --only is for --workload w1b\n");
    return 2;
  }

  // Throughput: the median of `repeat` passes, each on a fresh matcher.
  std::vector<Timed> passes;
  for (int r = 0; r < repeat; ++r) passes.push_back(play(w, false));
  std::sort(passes.begin(), passes.end(),
            [](const Timed& a, const Timed& b) { return a.seconds < b.seconds; });
  const Timed& throughput = passes[passes.size() / 2];
  Timed latency = play(w, true);
  const bool agree = std::all_of(passes.begin(), passes.end(),
                                 [&](const Timed& t) { return t.sums == latency.sums; });
  if (!agree) {
    std::fprintf(stderr, "spot-bench: the two passes disagree: matching is not deterministic\n");
    return 1;
  }
  if (throughput.sums.other_rejects != 0) {
    std::fprintf(stderr,
                 "spot-bench: %llu ops were rejected for reasons other than unknown order\n",
                 static_cast<unsigned long long>(throughput.sums.other_rejects));
    return 1;
  }
  const double scale = ns_per_tick();
  const std::size_t n = w.ops.size() - w.prefill_ops();
  const double p50 = percentile(latency.op_ticks, 0.50) * scale;
  const double p99 = percentile(latency.op_ticks, 0.99) * scale;
  const double p999 = percentile(latency.op_ticks, 0.999) * scale;
  const double ops_per_s = static_cast<double>(n) / throughput.seconds;
  std::printf(
      "{\"workload\":\"%s\",\"source\":\"%s\",\"seed\":%llu,\"ops\":%zu,\"prefill\":%llu,"
      "\"repeat\":%d,\"seconds\":%.6f,\"ops_per_s\":%.0f,\"ns_per_op\":%.2f,\"p50_ns\":%.0f,\"p99_"
      "ns\":%.0f,"
      "\"p999_ns\":%.0f,%s}\n",
      workload_name.c_str(), replay.empty() ? "generated" : "replay",
      static_cast<unsigned long long>(seed), n,
      static_cast<unsigned long long>(w.prefill_per_symbol), repeat, throughput.seconds, ops_per_s,
      throughput.seconds * 1e9 / static_cast<double>(n), p50, p99, p999,
      spot::bench::to_json(throughput.sums).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spot-bench: workload benchmarks for spotd"};
  app.require_subcommand(1);

  std::string workload = "w1";
  std::uint64_t ops = 2'000'000;
  std::uint64_t seed = 20240601;
  std::uint64_t prefill = 1'000;
  int repeat = 5;
  std::string dump;
  std::string replay;
  CLI::App* core = app.add_subcommand("core", "play a workload through the matching core");
  core->add_option("--workload", workload, "workload name")->capture_default_str();
  core->add_option("--ops", ops, "ops after prefill")->capture_default_str();
  core->add_option("--seed", seed, "PRNG seed")->capture_default_str();
  core->add_option("--prefill", prefill, "prefill orders per symbol (W1 cancels need one)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  core->add_option("--repeat", repeat, "throughput passes; the median is reported")
      ->capture_default_str()
      ->check(CLI::Range(1, 101));
  auto* dump_opt = core->add_option("--dump", dump, "also write the workload to this file");
  core->add_option("--replay", replay, "read the workload from this file instead")
      ->excludes(dump_opt);
  std::string only;
  core->add_option("--only", only, "w1b: play only this run (for profilers), no ratios")
      ->check(CLI::IsMember({"matcher", "core", "engine", "engine-balances"}));

  // The network load generator (W1-E2E): same options for http and tcp.
  spot::bench::load::LoadOptions load;
  auto add_load_options = [&load](CLI::App* cmd, const char* port_help) {
    cmd->add_option("--host", load.host, "spotd address (loopback only in tests)")
        ->capture_default_str();
    cmd->add_option("--port", load.port, port_help)->required();
    cmd->add_option("--api-key", load.api_key, "X-API-Key / TCP login key")->required();
    cmd->add_option("--rate", load.rate, "offered orders/s (open loop)")->capture_default_str();
    cmd->add_option("--duration", load.duration_s, "measured seconds")->capture_default_str();
    cmd->add_option("--connections", load.connections, "connections")->capture_default_str();
    cmd->add_option("--acks-out", load.acks_out, "write acknowledged order ids here, one per line");
    cmd->add_option("--seed", load.seed, "W1 seed")->capture_default_str();
    cmd->add_option("--prefill", load.prefill, "W1 prefill per symbol (unmeasured)")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
    cmd->add_option("--warmup", load.warmup_s, "unmeasured seconds at the rate first")
        ->capture_default_str();
    cmd->add_option("--send-interval-us", load.send_interval_us,
                    "send what fell due at most this often, together on one connection "
                    "(0: each order at its time; latency counts from each order's time "
                    "either way)")
        ->capture_default_str();
    cmd->add_option("--client-id-offset", load.client_id_offset,
                    "added to client order ids (ids are idempotent per account)")
        ->capture_default_str();
    cmd->add_flag("--sweep", load.sweep,
                  "find the highest rate whose p99 stays under --p99-limit-ms");
    cmd->add_option("--p99-limit-ms", load.p99_limit_ms, "sweep limit")->capture_default_str();
    cmd->add_option("--sweep-max-rate", load.sweep_max_rate, "sweep ceiling")
        ->capture_default_str();
    cmd->add_option("--sweep-step", load.sweep_step_s, "seconds per sweep step")
        ->capture_default_str();
  };
  CLI::App* http = app.add_subcommand("http", "open-loop W1 load over the HTTP API");
  add_load_options(http, "spotd HTTP port");
  CLI::App* tcp = app.add_subcommand("tcp", "open-loop W1 load over the binary TCP protocol");
  add_load_options(tcp, "spotd TCP port");
  tcp->add_option("--symbols", load.symbols, "symbols configured in spotd")->capture_default_str();

  // Orders, then reads of them, with spotd's database and cache counters (issue 11).
  spot::bench::load::MixedOptions mixed_options;
  CLI::App* mixed = app.add_subcommand(
      "mixed", "W1 orders over HTTP, then GET order / openOrders / depth reads of them");
  mixed->add_option("--host", mixed_options.host, "spotd address (loopback only in tests)")
      ->capture_default_str();
  mixed->add_option("--port", mixed_options.port, "spotd HTTP port")->required();
  mixed
      ->add_option("--admin-port", mixed_options.admin_port, "spotd admin port (/metrics, /readyz)")
      ->required();
  mixed->add_option("--api-key", mixed_options.api_key, "X-API-Key")->required();
  mixed->add_option("--label", mixed_options.label,
                    "name of the run in the output (default: cache-on / cache-off from /readyz)");
  mixed->add_option("--seed", mixed_options.seed, "W1 and read-mix seed")->capture_default_str();
  mixed->add_option("--prefill", mixed_options.prefill, "W1 prefill per symbol (unmeasured)")
      ->capture_default_str();
  mixed->add_option("--orders", mixed_options.orders, "W1 ops after prefill (orders and cancels)")
      ->capture_default_str();
  mixed->add_option("--order-rate", mixed_options.order_rate, "offered W1 ops/s (open loop)")
      ->capture_default_str();
  mixed->add_option("--reads", mixed_options.reads, "reads in the read phase")
      ->capture_default_str();
  mixed->add_option("--read-rate", mixed_options.read_rate, "offered reads/s (open loop)")
      ->capture_default_str();
  mixed->add_option("--get-ratio", mixed_options.get_ratio, "weight of GET /api/v1/orders/{id}")
      ->capture_default_str();
  mixed->add_option("--open-ratio", mixed_options.open_ratio, "weight of GET /api/v1/openOrders")
      ->capture_default_str();
  mixed->add_option("--depth-ratio", mixed_options.depth_ratio, "weight of GET /api/v1/depth")
      ->capture_default_str();
  mixed
      ->add_option("--get-set", mixed_options.get_set,
                   "GET ids: this many of the oldest orders finished in the order phase, drawn "
                   "uniformly")
      ->capture_default_str();
  mixed->add_option("--connections", mixed_options.connections, "connections")
      ->capture_default_str();
  mixed
      ->add_option("--client-id-offset", mixed_options.client_id_offset,
                   "added to client order ids (ids are idempotent per account)")
      ->capture_default_str();
  mixed
      ->add_option("--catchup-timeout", mixed_options.catchup_timeout_s,
                   "seconds to wait for the projector (and cache) after the order phase")
      ->capture_default_str();

  // The load generator's ceiling (issue 14): a server that answers at once.
  spot::bench::load::NullServerOptions null_options;
  CLI::App* null_cmd = app.add_subcommand(
      "null-server", "answer every order request at once (the load generator's ceiling)");
  null_cmd->add_option("--host", null_options.host, "listen address (loopback)")
      ->capture_default_str();
  null_cmd->add_option("--http-port", null_options.http_port, "HTTP port (0: ephemeral)")
      ->capture_default_str();
  null_cmd->add_option("--tcp-port", null_options.tcp_port, "TCP port (0: ephemeral)")
      ->capture_default_str();
  null_cmd->add_option("--threads", null_options.threads, "I/O threads")->capture_default_str();
  null_cmd
      ->add_option("--duration", null_options.duration_s, "stop after this many s; 0: at a signal")
      ->capture_default_str();
  null_cmd->add_option("--max-connections", null_options.max_connections, "connection limit")
      ->capture_default_str();
  null_cmd->add_option("--ports-file", null_options.ports_file,
                       "write {\"http\":P,\"tcp\":P} here once listening");

  // Malformed and hostile input on every port (issue 15, bench/soak.sh).
  spot::bench::load::HostileOptions hostile_options;
  CLI::App* hostile = app.add_subcommand(
      "hostile", "malformed input, slowloris and connection floods on spotd's ports");
  {
    auto& h = hostile_options;
    hostile->add_option("--host", h.host, "spotd address (IPv4 loopback only)")
        ->capture_default_str();
    hostile->add_option("--http-port", h.http_port, "spotd HTTP port (0: left alone)");
    hostile->add_option("--tcp-port", h.tcp_port, "spotd TCP port (0: left alone)");
    hostile->add_option("--admin-port", h.admin_port, "spotd admin port (0: left alone)");
    hostile->add_option("--api-key", h.api_key,
                        "a key of an unfunded account: bad JSON past authentication, bad "
                        "frames after a good TCP Login");
    hostile->add_option("--admin-token", h.admin_token,
                        "the admin token: bad JSON on admin routes past authentication");
    hostile->add_option("--duration", h.duration_s, "seconds the attack lasts")
        ->capture_default_str();
    hostile->add_option("--seed", h.seed, "seed of the garbage and the bad-JSON choice")
        ->capture_default_str();
    hostile->add_option("--oversized", h.oversized, "oversized body/header/frame probes per round")
        ->capture_default_str();
    hostile->add_option("--bad-json", h.bad_json, "bad JSON bodies per round and HTTP port")
        ->capture_default_str();
    hostile->add_option("--garbage", h.garbage, "garbage and bad-framing probes per round")
        ->capture_default_str();
    hostile->add_option("--round-pause", h.round_pause_s, "seconds between rounds")
        ->capture_default_str();
    hostile->add_option("--body-bytes", h.body_bytes, "size of an oversized body")
        ->capture_default_str();
    hostile->add_option("--header-bytes", h.header_bytes, "size of an oversized header block")
        ->capture_default_str();
    hostile->add_option("--frame-bytes", h.frame_bytes, "length field of an oversized TCP frame")
        ->capture_default_str();
    hostile->add_option("--garbage-bytes", h.garbage_bytes, "bytes of one garbage probe")
        ->capture_default_str();
    hostile->add_option("--slowloris", h.slowloris, "slowloris connections per port per round")
        ->capture_default_str();
    hostile
        ->add_option("--slowloris-interval", h.slowloris_interval_s,
                     "seconds between two bytes of one slowloris connection")
        ->capture_default_str();
    hostile
        ->add_option("--slowloris-max", h.slowloris_max_s,
                     "seconds a slowloris connection is kept at most (one round)")
        ->capture_default_str();
    hostile->add_option("--flood-http", h.flood_http, "connections per flood on the HTTP port")
        ->capture_default_str();
    hostile->add_option("--flood-tcp", h.flood_tcp, "connections per flood on the TCP port")
        ->capture_default_str();
    hostile->add_option("--flood-admin", h.flood_admin, "connections per flood on the admin port")
        ->capture_default_str();
    hostile->add_option("--flood-hold", h.flood_hold_s, "seconds a flood's connections are held")
        ->capture_default_str();
    hostile->add_option("--flood-every", h.flood_every_s, "seconds from one flood to the next")
        ->capture_default_str();
    hostile->add_option("--connect-timeout", h.connect_timeout_s, "seconds for one connect")
        ->capture_default_str();
    hostile->add_option("--io-timeout", h.io_timeout_s, "seconds waiting for one answer")
        ->capture_default_str();
    hostile
        ->add_option("--stay-open-check", h.stay_open_check_s,
                     "seconds a connection that should stay open after its answer is watched")
        ->capture_default_str();
    hostile->add_option("--connect-batch", h.connect_batch, "flood connects in flight at once")
        ->capture_default_str();
  }

  spot::bench::ReplayOptions replay_options;
  CLI::App* replay_cmd =
      app.add_subcommand("replay", "journal W1, then time start-up recovery from that journal");
  replay_cmd->add_option("--ops", replay_options.ops, "W1 ops after prefill")
      ->capture_default_str();
  replay_cmd->add_option("--seed", replay_options.seed, "PRNG seed")->capture_default_str();
  replay_cmd->add_option("--prefill", replay_options.prefill, "prefill orders per symbol")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  replay_cmd
      ->add_option("--snapshot-at", replay_options.snapshot_at,
                   "take a snapshot after this many journal records (0: none)")
      ->capture_default_str();
  replay_cmd->add_option("--dir", replay_options.dir, "journal directory (new or empty)")
      ->required();
  replay_cmd->add_option("--repeat", replay_options.repeat, "timed recoveries; median reported")
      ->capture_default_str()
      ->check(CLI::Range(1, 101));
  replay_cmd
      ->add_option("--order-history", replay_options.order_history,
                   "engine.order_history of the live and the recovered engine")
      ->capture_default_str();
  replay_cmd
      ->add_option("--idempotency-window", replay_options.idempotency_window,
                   "engine.idempotency_window of the live and the recovered engine")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{1'000'000'000}));

  spot::bench::ProjectOptions project_options;
  CLI::App* project_cmd = app.add_subcommand(
      "project",
      "journal W1, then time the PostgreSQL projector catching up beside COPY of the same rows");
  project_cmd
      ->add_option("--postgres", project_options.postgres.url,
                   "libpq URL of a database this run may wipe (its public schema is dropped)")
      ->required();
  project_cmd
      ->add_option("--orders", project_options.orders,
                   "W1 ops after prefill (new orders and cancels)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  project_cmd->add_option("--seed", project_options.seed, "PRNG seed")->capture_default_str();
  project_cmd->add_option("--prefill", project_options.prefill, "prefill orders per symbol")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  project_cmd
      ->add_option("--rounds", project_options.rounds,
                   "rounds of projector then COPY (taking turns which goes first); medians "
                   "reported")
      ->capture_default_str()
      ->check(CLI::Range(1, 101));
  project_cmd
      ->add_option("--batch-max-records", project_options.postgres.batch_max_records,
                   "journal records per projector transaction")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  project_cmd
      ->add_option("--copy-min-rows", project_options.postgres.copy_min_rows,
                   "new rows from which a projector batch goes by COPY")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  project_cmd
      ->add_option("--flush-ms", project_options.postgres.flush_ms,
                   "how long a batch that is not full waits for more records")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{60'000}));
  project_cmd->add_option("--dir", project_options.dir,
                          "journal directory (new or empty); default: a temporary one, removed "
                          "after the run");

  spot::bench::FsyncProbeOptions fsync_options;
  CLI::App* fsync_cmd = app.add_subcommand(
      "fsync",
      "time small appends + fdatasync, as the journal makes them, optionally beside a "
      "busy CPU");
  fsync_cmd->add_option("--dir", fsync_options.dir, "where the scratch file goes")->required();
  fsync_cmd->add_option("--seconds", fsync_options.seconds, "how long")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3600.0));
  fsync_cmd->add_option("--bytes", fsync_options.bytes, "appended before each fdatasync")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 20));
  fsync_cmd->add_option("--cpu", fsync_options.cpu, "pin the syncing thread here (-1: no)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 4095));
  fsync_cmd
      ->add_option("--busy-cpu", fsync_options.busy_cpu,
                   "spin a thread on this CPU meanwhile (-1: none)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 4095));
  fsync_cmd
      ->add_option("--prezeroed-mib", fsync_options.prezeroed_mib,
                   "overwrite a file of this many MiB written with zeros first (0: append)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 4096u));
  fsync_cmd->add_option("--slow-ms", fsync_options.slow_ms, "list fsyncs at least this long")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 60'000.0));

  CLI11_PARSE(app, argc, argv);
  if (fsync_cmd->parsed()) {
    const spot::bench::FsyncProbeResult result = spot::bench::run_fsync_probe(fsync_options);
    if (!result.error.empty()) {
      std::fprintf(stderr, "spot-bench fsync: %s\n", result.error.c_str());
      return 1;
    }
    std::printf("%s\n", spot::bench::to_json(fsync_options, result).c_str());
    return 0;
  }
  if (project_cmd->parsed()) return spot::bench::run_project(project_options);
  if (core->parsed()) return run_core(workload, ops, seed, prefill, repeat, dump, replay, only);
  if (http->parsed()) return spot::bench::load::run_http(load);
  if (tcp->parsed()) return spot::bench::load::run_tcp(load);
  if (mixed->parsed()) return spot::bench::load::run_mixed(mixed_options);
  if (null_cmd->parsed()) return spot::bench::load::run_null_server(null_options);
  if (hostile->parsed()) return spot::bench::load::run_hostile(hostile_options);
  if (replay_cmd->parsed()) {
    spot::bench::ReplayResult result;
    std::string error;
    if (!spot::bench::run_replay(replay_options, &result, &error)) {
      std::fprintf(stderr, "spot-bench replay: %s\n", error.c_str());
      return 1;
    }
    std::printf("%s\n", spot::bench::to_json(replay_options, result).c_str());
    return result.hash_matches ? 0 : 1;
  }
  return 2;
}
