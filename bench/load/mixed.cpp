#include "bench/load/mixed.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unordered_set>

#include "bench/workload/workload.h"

namespace spot::bench::load {
namespace {

using json = nlohmann::ordered_json;  // keys in insertion order: the line starts {"mode":"mixed"
using Clock = std::chrono::steady_clock;

// Limits on what one invocation may ask for.
constexpr std::uint64_t kMaxOps = 10'000'000;  // orders or reads: generated up front
constexpr double kMaxRate = 1'000'000;
constexpr double kMaxPhaseSeconds = 3600;
constexpr int kMaxConnections = 4096;
constexpr std::uint64_t kMaxPrefillPerSymbol = 1'000'000;
constexpr double kMaxWaitSeconds = 3600;
// openOrders of every symbol after phase 1, and openOrders reads in phase 2, can be large.
constexpr HttpLimits kReadLimits{16 * 1024, 256 * 1024 * 1024};
constexpr std::int64_t kCatchupPollMs = 50;
// The read phase's generator is seeded apart from W1's, which uses `seed` as is.
constexpr std::uint64_t kReadSeedSalt = 0x6d69786564ull;  // "mixed"

bool positive(double v) { return std::isfinite(v) && v > 0; }

struct Scrape {
  double db_all = 0;
  double db_read = 0;
  bool db_by_kind = false;  // spot_db_statements_total carries kind=
  double cache_hit = 0;
  double cache_miss = 0;
  double cache_error = 0;
  bool cache_metric = false;  // spot_cache_requests_total is exported
};

std::optional<Scrape> scrape(const MixedOptions& o, std::string* error) {
  const auto text =
      http_get(o.host, o.admin_port, "/metrics", o.connect_timeout_s, error, kReadLimits);
  if (!text) return std::nullopt;
  Scrape s;
  constexpr std::string_view kDb = "spot_db_statements_total";
  constexpr std::string_view kCache = "spot_cache_requests_total";
  s.db_all = metric_sum(*text, kDb).value_or(0);
  const auto read = metric_sum(*text, kDb, "kind", "read");
  s.db_by_kind = read.has_value() || metric_sum(*text, kDb, "kind", "write").has_value();
  s.db_read = read.value_or(0);
  s.cache_metric = metric_sum(*text, kCache).has_value();
  s.cache_hit = metric_sum(*text, kCache, "result", "hit").value_or(0);
  s.cache_miss = metric_sum(*text, kCache, "result", "miss").value_or(0);
  s.cache_error = metric_sum(*text, kCache, "result", "error").value_or(0);
  return s;
}

std::optional<json> readyz(const MixedOptions& o, std::string* error) {
  // 503 (not ready) is an answer too, but the run needs a ready spotd: treat it as failed.
  const auto body = http_get(o.host, o.admin_port, "/readyz", o.connect_timeout_s, error);
  if (!body) return std::nullopt;
  json j = json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    *error = "/readyz: not a JSON object";
    return std::nullopt;
  }
  return j;
}

std::uint64_t uint_at(const json& j, const char* object, const char* field) {
  if (!j.contains(object) || !j[object].is_object()) return 0;
  const json& v = j[object].value(field, json());
  return v.is_number_unsigned() ? v.get<std::uint64_t>() : 0;
}

// True once everything durable is committed to PostgreSQL (and written to Redis when
// spotd has a cache); at once in embedded mode.
bool wait_for_projector(const MixedOptions& o, std::string* error) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(
                                           static_cast<std::int64_t>(o.catchup_timeout_s * 1e3));
  std::string last;
  for (;;) {
    const auto r = readyz(o, error);
    if (!r) return false;
    if (r->value("mode", "") != "postgres") return true;
    const std::uint64_t durable = uint_at(*r, "postgres", "durableSeq");
    const bool committed = uint_at(*r, "postgres", "checkpoint") >= durable;
    const bool cached =
        r->value("cache", "none") != "redis" || uint_at(*r, "redis", "writtenSeq") >= durable;
    if (committed && cached) return true;
    last = r->dump();
    if (Clock::now() >= deadline) {
      *error = "the projector did not catch up within " + std::to_string(o.catchup_timeout_s) +
               " s: " + last;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kCatchupPollMs));
  }
}

std::optional<std::vector<std::uint64_t>> open_order_ids(const MixedOptions& o,
                                                         std::string* error) {
  const auto body = http_get(o.host, o.port, "/api/v1/openOrders", o.connect_timeout_s, error,
                             kReadLimits, o.api_key);
  if (!body) return std::nullopt;
  const json j = json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) {
    *error = "openOrders: expected an array";
    return std::nullopt;
  }
  std::vector<std::uint64_t> ids;
  ids.reserve(j.size());
  for (const json& order : j) {
    const auto id = order.is_object() ? find_order_id(order.dump()) : std::nullopt;
    if (!id) {
      *error = "openOrders: an order without orderId";
      return std::nullopt;
    }
    ids.push_back(*id);
  }
  return ids;
}

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

constexpr const char* kReadKindNames[kReadKinds] = {"get_order", "open_orders", "depth"};

struct Report {
  std::string label;
  std::string spotd_mode;  // readyz mode: embedded | postgres
  std::string cache;       // readyz cache: none | redis
  RunResult orders;
  std::uint64_t orders_accepted = 0;
  std::uint64_t open_after_orders = 0;
  std::uint64_t get_ids = 0;
  ReadRunResult reads;
  Scrape start, caught_up, end;
  std::string fatal;

  std::uint64_t reads_done() const {
    std::uint64_t n = 0;
    for (const auto& k : reads.by_kind) n += k.ok + k.not_found;
    return n;
  }
  std::uint64_t read_errors() const {
    std::uint64_t n = 0;
    for (const auto& k : reads.by_kind) n += k.errors;
    return n;
  }
  std::uint64_t not_found() const {
    return reads.by_kind[static_cast<std::size_t>(ReadKind::GetOrder)].not_found;
  }
  double db_reads() const { return end.db_read - caught_up.db_read; }
  double db_reads_per_1000() const {
    return reads_done() > 0 ? db_reads() * 1000 / static_cast<double>(reads_done()) : 0;
  }
  double db_order_statements() const { return caught_up.db_all - start.db_all; }
  double db_per_order() const {
    return orders_accepted > 0 ? db_order_statements() / static_cast<double>(orders_accepted) : 0;
  }
  // Both phases: what the mixed load as a whole costs per order.
  double db_per_order_whole_run() const {
    return orders_accepted > 0 ? (end.db_all - start.db_all) / static_cast<double>(orders_accepted)
                               : 0;
  }
  std::uint64_t unexpected_errors() const { return orders.errors.total() + read_errors(); }
};

json latency_json(const LatencySummary& l) {
  return {{"samples", l.samples},
          {"p50_ms", ms(l.p50_ns)},
          {"p99_ms", ms(l.p99_ns)},
          {"max_ms", ms(l.max_ns)}};
}

json errors_json(const ErrorCounts& e) {
  json out = json::object();
  for (std::size_t k = 0; k < e.by_kind.size(); ++k) {
    if (e.by_kind[k] != 0) out[std::string(error_name(static_cast<ErrorKind>(k)))] = e.by_kind[k];
  }
  return out;
}

std::string to_json(const MixedOptions& o, const Report& r) {
  json by_kind = json::object();
  for (std::size_t k = 0; k < kReadKinds; ++k) {
    const ReadKindResult& x = r.reads.by_kind[k];
    json entry = {{"sent", x.sent}, {"ok", x.ok}, {"not_found", x.not_found}, {"errors", x.errors}};
    entry.update(latency_json(x.latency));
    by_kind[kReadKindNames[k]] = entry;
  }
  json reads = {{"planned", o.reads},        {"rate", o.read_rate},
                {"done", r.reads_done()},    {"not_found", r.not_found()},
                {"errors", r.read_errors()}, {"error_kinds", errors_json(r.reads.run.errors)},
                {"by_kind", by_kind}};
  reads.update(latency_json(r.reads.run.latency));
  json orders = {{"ops", r.orders.ops},
                 {"rate", o.order_rate},
                 {"prefill_sent", r.orders.prefill_sent},
                 {"sent", r.orders.sent},
                 {"accepted", r.orders_accepted},
                 {"cancel_unknown", r.orders.cancel_unknown},
                 {"cancel_unmapped", r.orders.cancel_unmapped},
                 {"open_at_end", r.open_after_orders},
                 {"errors", r.orders.errors.total()},
                 {"error_kinds", errors_json(r.orders.errors)}};
  orders.update(latency_json(r.orders.latency));
  json out = {{"mode", "mixed"},
              {"label", r.label},
              {"spotd_mode", r.spotd_mode},
              {"cache", r.cache},
              {"seed", o.seed},
              {"connections", o.connections},
              {"get_set", r.get_ids},
              {"ratios", {{"get", o.get_ratio}, {"open", o.open_ratio}, {"depth", o.depth_ratio}}},
              {"orders", orders},
              {"reads", reads},
              {"db",
               {{"by_kind", r.caught_up.db_by_kind},
                {"statements_orders_phase", r.db_order_statements()},
                {"statements_per_order", r.db_per_order()},
                {"read_statements", r.db_reads()},
                {"read_statements_per_1000_reads", r.db_reads_per_1000()},
                {"statements_reads_phase", r.end.db_all - r.caught_up.db_all},
                {"statements_per_order_whole_run", r.db_per_order_whole_run()}}},
              {"cache_requests",
               {{"exported", r.end.cache_metric},
                {"hit", r.end.cache_hit - r.caught_up.cache_hit},
                {"miss", r.end.cache_miss - r.caught_up.cache_miss},
                {"error", r.end.cache_error - r.caught_up.cache_error}}},
              {"unexpected_errors", r.unexpected_errors()}};
  if (!r.fatal.empty()) out["error"] = r.fatal;
  return out.dump();
}

void print_table(const MixedOptions& o, const Report& r) {
  std::printf("spot-bench mixed: %s (spotd %s, cache %s), seed %llu\n", r.label.c_str(),
              r.spotd_mode.c_str(), r.cache.c_str(), static_cast<unsigned long long>(o.seed));
  std::printf(
      "  orders   %llu W1 ops at %.0f/s (+%llu prefill): %llu accepted, %llu errors, "
      "p50 %.2f ms, p99 %.2f ms\n",
      static_cast<unsigned long long>(r.orders.ops), o.order_rate,
      static_cast<unsigned long long>(r.orders.prefill_sent),
      static_cast<unsigned long long>(r.orders_accepted),
      static_cast<unsigned long long>(r.orders.errors.total()), ms(r.orders.latency.p50_ns),
      ms(r.orders.latency.p99_ns));
  std::printf("  GET ids  %llu of the oldest finished orders (%llu orders open at the end)\n",
              static_cast<unsigned long long>(r.get_ids),
              static_cast<unsigned long long>(r.open_after_orders));
  std::printf("  %-12s %9s %9s %10s %7s %9s %9s\n", "reads", "sent", "ok", "not found", "errors",
              "p50 ms", "p99 ms");
  for (std::size_t k = 0; k < kReadKinds; ++k) {
    const ReadKindResult& x = r.reads.by_kind[k];
    std::printf("  %-12s %9llu %9llu %10llu %7llu %9.2f %9.2f\n", kReadKindNames[k],
                static_cast<unsigned long long>(x.sent), static_cast<unsigned long long>(x.ok),
                static_cast<unsigned long long>(x.not_found),
                static_cast<unsigned long long>(x.errors), ms(x.latency.p50_ns),
                ms(x.latency.p99_ns));
  }
  std::printf("  %-12s %9llu %9llu %10llu %7llu %9.2f %9.2f\n", "all",
              static_cast<unsigned long long>(r.reads.run.sent),
              static_cast<unsigned long long>(r.reads_done() - r.not_found()),
              static_cast<unsigned long long>(r.not_found()),
              static_cast<unsigned long long>(r.read_errors()), ms(r.reads.run.latency.p50_ns),
              ms(r.reads.run.latency.p99_ns));
  std::printf("  db       %.0f read statements in the read phase: %.2f per 1,000 reads%s\n",
              r.db_reads(), r.db_reads_per_1000(),
              r.caught_up.db_by_kind ? "" : " (no kind label on spot_db_statements_total yet)");
  std::printf(
      "  db       %.0f statements in the order phase: %.4f per accepted order "
      "(%.4f with the read phase's)\n",
      r.db_order_statements(), r.db_per_order(), r.db_per_order_whole_run());
  std::printf("  cache    hit %.0f, miss %.0f, error %.0f%s\n",
              r.end.cache_hit - r.caught_up.cache_hit, r.end.cache_miss - r.caught_up.cache_miss,
              r.end.cache_error - r.caught_up.cache_error,
              r.end.cache_metric ? "" : " (spot_cache_requests_total not exported)");
  if (!r.fatal.empty()) std::printf("  failed: %s\n", r.fatal.c_str());
}

int finish(const MixedOptions& o, const Report& r) {
  print_table(o, r);
  std::printf("%s\n", to_json(o, r).c_str());
  std::fflush(stdout);
  if (!r.fatal.empty()) {
    std::fprintf(stderr, "spot-bench mixed: %s\n", r.fatal.c_str());
    return 1;
  }
  return r.unexpected_errors() == 0 ? 0 : 1;
}

LoadOptions load_options(const MixedOptions& o) {
  LoadOptions l;
  l.host = o.host;
  l.port = o.port;
  l.api_key = o.api_key;
  l.connections = o.connections;
  l.seed = o.seed;
  l.prefill = o.prefill;
  l.client_id_offset = o.client_id_offset;
  l.connect_timeout_s = o.connect_timeout_s;
  l.prefill_timeout_s = o.prefill_timeout_s;
  l.drain_s = o.drain_s;
  return l;
}

}  // namespace

std::string validate_options(const MixedOptions& o) {
  if (o.host.empty()) return "host must not be empty";
  if (o.port == 0) return "port must be set (1..65535)";
  if (o.admin_port == 0) return "admin port must be set (1..65535)";
  if (o.orders < 1 || o.orders > kMaxOps) return "orders must be in [1, 10000000]";
  if (o.reads < 1 || o.reads > kMaxOps) return "reads must be in [1, 10000000]";
  if (!positive(o.order_rate) || o.order_rate > kMaxRate) {
    return "order rate must be in (0, 1000000] ops/s";
  }
  if (!positive(o.read_rate) || o.read_rate > kMaxRate) {
    return "read rate must be in (0, 1000000] reads/s";
  }
  if (static_cast<double>(o.orders) / o.order_rate > kMaxPhaseSeconds ||
      static_cast<double>(o.reads) / o.read_rate > kMaxPhaseSeconds) {
    return "a phase (count / rate) must not last more than 3600 s";
  }
  for (double r : {o.get_ratio, o.open_ratio, o.depth_ratio}) {
    if (!std::isfinite(r) || r < 0) return "ratios must be >= 0";
  }
  if (o.get_ratio + o.open_ratio + o.depth_ratio <= 0) return "some ratio must be > 0";
  if (o.get_ratio > 0 && o.get_set < 1) return "get set must be >= 1";
  if (o.connections < 1 || o.connections > kMaxConnections) {
    return "connections must be in [1, 4096]";
  }
  if (o.prefill < 1 || o.prefill > kMaxPrefillPerSymbol) {
    return "prefill must be in [1, 1000000] per symbol";
  }
  if (!positive(o.catchup_timeout_s) || o.catchup_timeout_s > kMaxWaitSeconds) {
    return "catch-up timeout must be in (0, 3600] s";
  }
  // The rest as `spot-bench http` checks them.
  LoadOptions l = load_options(o);
  l.rate = o.order_rate;
  l.duration_s = static_cast<double>(o.orders) / o.order_rate;
  return validate_options(l);
}

std::optional<double> metric_sum(std::string_view text, std::string_view name,
                                 std::string_view label, std::string_view value) {
  std::optional<double> sum;
  const std::string wanted = std::string(label) + "=\"" + std::string(value) + "\"";
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name) continue;
    std::string_view rest = line.substr(name.size());
    std::string_view labels;
    if (rest.front() == '{') {
      const std::size_t close = rest.find('}');
      if (close == std::string_view::npos) continue;
      labels = rest.substr(1, close - 1);
      rest = rest.substr(close + 1);
    }
    if (rest.empty() || rest.front() != ' ') continue;  // another metric with this prefix
    if (!label.empty()) {
      // label="value" at the start of the label set or after a comma (not as the tail of
      // a longer label name).
      std::size_t found = labels.find(wanted);
      while (found != std::string_view::npos && found > 0 && labels[found - 1] != ',') {
        found = labels.find(wanted, found + 1);
      }
      if (found == std::string_view::npos) continue;
    }
    const std::string number(rest.substr(1, rest.find(' ', 1) - 1));
    char* parsed_end = nullptr;
    const double v = std::strtod(number.c_str(), &parsed_end);
    if (parsed_end == number.c_str()) continue;
    sum = sum.value_or(0) + v;
  }
  return sum;
}

std::vector<std::uint64_t> finished_ids(std::vector<std::uint64_t> placed,
                                        const std::vector<std::uint64_t>& open,
                                        std::uint64_t limit) {
  const std::unordered_set<std::uint64_t> live(open.begin(), open.end());
  std::sort(placed.begin(), placed.end());
  placed.erase(std::unique(placed.begin(), placed.end()), placed.end());
  std::vector<std::uint64_t> out;
  for (std::uint64_t id : placed) {
    if (out.size() >= limit) break;
    if (live.count(id) == 0) out.push_back(id);
  }
  return out;
}

std::vector<ReadOp> make_reads(const MixedOptions& o, const std::vector<std::uint64_t>& ids,
                               std::uint32_t symbols) {
  const double get = ids.empty() ? 0 : o.get_ratio;
  const double total = get + o.open_ratio + o.depth_ratio;
  // Thresholds on a uniform draw in [0, kScale).
  constexpr std::uint64_t kScale = 1'000'000;
  const auto get_below = static_cast<std::uint64_t>(std::llround(get / total * kScale));
  const auto open_below =
      static_cast<std::uint64_t>(std::llround((get + o.open_ratio) / total * kScale));
  SplitMix64 rng(o.seed ^ kReadSeedSalt);
  std::vector<ReadOp> reads;
  reads.reserve(o.reads);
  for (std::uint64_t i = 0; i < o.reads; ++i) {
    const std::uint64_t u = rng.uniform(kScale);
    ReadOp r;
    if (u < get_below) {
      r.kind = ReadKind::GetOrder;
      r.order_id = ids[rng.uniform(ids.size())];
    } else {
      r.kind = u < open_below ? ReadKind::OpenOrders : ReadKind::Depth;
      r.symbol = static_cast<std::uint32_t>(rng.uniform(symbols));
    }
    reads.push_back(r);
  }
  return reads;
}

int run_mixed(const MixedOptions& o) {
  if (const std::string problem = validate_options(o); !problem.empty()) {
    std::fprintf(stderr, "spot-bench mixed: %s\n", problem.c_str());
    return 2;
  }
  Report r;
  r.label = o.label;
  std::string error;

  const auto info = http_get(o.host, o.port, "/api/v1/exchangeInfo", o.connect_timeout_s, &error);
  std::optional<std::vector<SymbolInfo>> symbols;
  if (info) symbols = parse_exchange_info(*info, &error);
  const auto ready = symbols ? readyz(o, &error) : std::nullopt;
  if (!ready) {
    r.fatal = error;
    return finish(o, r);
  }
  r.spotd_mode = ready->value("mode", "unknown");
  r.cache = ready->value("cache", "none");
  if (r.label.empty()) r.label = r.cache == "redis" ? "cache-on" : "cache-off";
  const HttpRequestWriter writer(o.host + ":" + std::to_string(o.port), o.api_key,
                                 std::move(*symbols));

  const auto start = scrape(o, &error);
  if (!start) {
    r.fatal = error;
    return finish(o, r);
  }
  r.start = *start;

  // Phase 1: W1 orders.
  DriverConfig config;
  config.protocol = Protocol::Http;
  config.options = load_options(o);
  config.http = &writer;
  config.http_limits = kReadLimits;
  config.client_id_offset = o.client_id_offset;
  config.rate = o.order_rate;
  config.duration_s = static_cast<double>(o.orders) / o.order_rate;
  const Workload workload = generate_w1({o.seed, o.orders, o.prefill});
  std::vector<std::uint64_t> placed;
  r.orders = drive(config, workload, &placed);
  r.orders_accepted = placed.size();
  if (!r.orders.fatal.empty()) {
    r.fatal = "orders: " + r.orders.fatal;
    return finish(o, r);
  }

  // Everything projected (and cached) before the reads, so that the read phase's
  // counters hold reads only, and the order phase's every statement its orders cost.
  const auto open = wait_for_projector(o, &error) ? open_order_ids(o, &error) : std::nullopt;
  const auto caught_up = open ? scrape(o, &error) : std::nullopt;
  if (!caught_up) {
    r.fatal = error;
    return finish(o, r);
  }
  r.caught_up = *caught_up;
  r.open_after_orders = open->size();
  const std::vector<std::uint64_t> ids = finished_ids(placed, *open, o.get_set);
  r.get_ids = ids.size();
  if (ids.empty() && o.get_ratio > 0) {
    r.fatal = "no order of phase 1 finished: nothing to GET";
    return finish(o, r);
  }

  // Phase 2: reads.
  const std::vector<ReadOp> reads =
      make_reads(o, ids, static_cast<std::uint32_t>(writer.symbol_count()));
  config.rate = o.read_rate;
  config.duration_s = static_cast<double>(o.reads) / o.read_rate;
  config.client_id_offset = 0;
  r.reads = drive_reads(config, reads);
  const auto end = scrape(o, &error);
  if (!r.reads.run.fatal.empty() || !end) {
    r.fatal = !r.reads.run.fatal.empty() ? "reads: " + r.reads.run.fatal : error;
    r.end = r.caught_up;
    return finish(o, r);
  }
  r.end = *end;
  return finish(o, r);
}

}  // namespace spot::bench::load
