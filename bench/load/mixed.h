// `spot-bench mixed`: order placement, then reads of what was placed, with the database
// and cache work they cost as spotd's /metrics counts it (issue 11 item 8).
//
// Phase 1 plays W1 (prefill, then --orders ops) over HTTP at --order-rate, as `spot-bench
// http` does. Then it waits until the projector has committed everything durable to
// PostgreSQL (and the cache has written it, when spotd has one): /readyz
// postgres.checkpoint == postgres.durableSeq (== redis.writtenSeq). Phase 2 plays --reads
// reads at --read-rate, open loop: GET /api/v1/orders/{id}, GET /api/v1/openOrders?symbol=
// and GET /api/v1/depth?symbol=&limit=20, in the proportions of the three ratios.
//
// GET ids: the oldest --get-set orders of phase 1 (lowest server ids) that were no longer
// open at its end (openOrders), so that with a small engine.order_history they have
// left the engine's memory. Each GET draws one of them uniformly with splitmix64
// seeded from --seed: a bounded set read again and again, so a cache can hit.
//
// /metrics is scraped before phase 1, after the catch-up and after phase 2:
// spot_db_statements_total (all series: statements per accepted order over phase 1; the
// kind="read" series: read statements per 1,000 reads over phase 2; before spotd splits
// the counter by kind, every statement is a write and reads count 0) and
// spot_cache_requests_total{result=hit|miss|error} over phase 2 (0 while absent).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load/driver.h"

namespace spot::bench::load {

struct MixedOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;        // spotd HTTP port
  std::uint16_t admin_port = 0;  // spotd admin port: /metrics and /readyz
  std::string api_key;
  std::string label;  // names the run in the output (e.g. "cache-on"); default: spotd's cache
  std::uint64_t seed = 20240601;
  std::uint64_t prefill = 100;    // W1 prefill per symbol (phase 1, unmeasured)
  std::uint64_t orders = 20'000;  // W1 ops after the prefill (new orders and cancels)
  double order_rate = 2'000;      // offered ops/s in phase 1
  std::uint64_t reads = 20'000;
  double read_rate = 2'000;  // offered reads/s in phase 2
  // Weights of the read kinds (normalized; need not add up to 1).
  double get_ratio = 0.8;
  double open_ratio = 0.1;
  double depth_ratio = 0.1;
  std::uint64_t get_set = 2'000;  // GET ids: this many of the oldest finished orders
  int connections = 8;
  std::uint64_t client_id_offset = 0;  // as for `spot-bench http`
  double catchup_timeout_s = 120;      // waiting for the projector (and cache) after phase 1
  double connect_timeout_s = 5;
  double prefill_timeout_s = 60;
  double drain_s = 5;
};

// Empty when the options are usable, else what is wrong with them.
std::string validate_options(const MixedOptions& options);

// The sum of every sample of metric `name` in a Prometheus text exposition whose labels
// include label="value" (every sample of the metric when label is empty). nullopt when
// no sample matches.
std::optional<double> metric_sum(std::string_view exposition, std::string_view name,
                                 std::string_view label = {}, std::string_view value = {});

// The ids GET reads draw from: the `limit` smallest of `placed` that are not in `open`.
std::vector<std::uint64_t> finished_ids(std::vector<std::uint64_t> placed,
                                        const std::vector<std::uint64_t>& open,
                                        std::uint64_t limit);

// The read phase's requests, drawn with splitmix64 from `seed`. GETs take their id from
// `ids` (uniform); openOrders and depth a symbol index in [0, symbols) (uniform). With no
// ids, GETs get none of the share. REQUIRES: symbols >= 1, some ratio > 0.
std::vector<ReadOp> make_reads(const MixedOptions& options, const std::vector<std::uint64_t>& ids,
                               std::uint32_t symbols);

// Runs both phases against the spotd of `options`, prints a table and then one JSON line
// ({"mode":"mixed",...}) to stdout, and returns the exit code: 0 when the run happened
// without an unexpected error, 1 otherwise (no spotd, a catch-up that timed out, any
// error answer or lost request; GETs answered 404 are "not found", not errors), 2 for
// invalid options.
int run_mixed(const MixedOptions& options);

}  // namespace spot::bench::load
