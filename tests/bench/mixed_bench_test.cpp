// spot-bench mixed end to end, tiny, against a real spotd on a private PostgreSQL (and a
// private Redis for the cache-on run), with a short engine.order_history so that most
// GETs ask for orders that have left the engine's memory. Checks the report's shape and
// that its counts add up, and that every read was answered (2xx, or 404 "not found" for
// a GET of an order the server no longer knows: what a spotd without the read path of
// issue 11 answers). It asserts nothing about how many database reads the cache saves:
// that is the benchmark's to measure. Label `integration`.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "integration/spotd_process.h"
#include "support/postgres_server.h"
#include "support/redis_server.h"

namespace spot::test {
namespace {

using json = nlohmann::json;

// The JSON line: the last line of the output that starts with {"mode":"mixed".
json report_of(const std::string& output) {
  std::istringstream lines(output);
  std::string line;
  json report;
  while (std::getline(lines, line)) {
    if (line.rfind("{\"mode\":\"mixed\"", 0) == 0) report = json::parse(line);
  }
  return report;
}

constexpr std::uint64_t kReads = 300;

json run_mixed(const PostgresServer& pg, const RedisServer* redis) {
  std::vector<std::string> args = {"--set", "postgres.url=" + pg.url(),
                                   "--set", "postgres.flush_ms=20",
                                   "--set", "engine.order_history=50"};
  if (redis != nullptr) {
    args.insert(args.end(), {"--set", "redis.url=" + redis->url()});
  }
  SpotdProcess spotd(args);
  const std::string key = spotd.create_account();
  const ExitResult r = run_program({SPOT_BENCH_PATH,
                                    "mixed",
                                    "--port",
                                    std::to_string(spotd.http_port()),
                                    "--admin-port",
                                    std::to_string(spotd.admin_port()),
                                    "--api-key",
                                    key,
                                    "--prefill",
                                    "20",
                                    "--orders",
                                    "600",
                                    "--order-rate",
                                    "1000",
                                    "--reads",
                                    std::to_string(kReads),
                                    "--read-rate",
                                    "1000",
                                    "--get-set",
                                    "100",
                                    "--connections",
                                    "2",
                                    "--catchup-timeout",
                                    "60"});
  EXPECT_EQ(r.status, 0) << r.output;
  // The human-readable table comes first.
  EXPECT_NE(r.output.find("not found"), std::string::npos) << r.output;
  const json report = report_of(r.output);
  EXPECT_TRUE(report.is_object()) << r.output;
  return report.is_object() ? report : json::object();
}

void expect_counts_add_up(const json& report) {
  ASSERT_TRUE(report.contains("reads") && report.contains("orders") && report.contains("db") &&
              report.contains("cache_requests"))
      << report.dump();
  EXPECT_EQ(report["spotd_mode"], "postgres");
  EXPECT_EQ(report["unexpected_errors"].get<std::uint64_t>(), 0u) << report.dump();

  const json& orders = report["orders"];
  EXPECT_EQ(orders["ops"].get<std::uint64_t>(), 600u);
  EXPECT_EQ(orders["prefill_sent"].get<std::uint64_t>(), 8u * 20u);
  EXPECT_GT(orders["accepted"].get<std::uint64_t>(), 8u * 20u);
  EXPECT_EQ(orders["errors"].get<std::uint64_t>(), 0u);
  // Every op sent, except cancels of orders not acknowledged yet (skipped, as in http).
  EXPECT_EQ(orders["sent"].get<std::uint64_t>() + orders["cancel_unmapped"].get<std::uint64_t>(),
            600u);
  EXPECT_GT(report["get_set"].get<std::uint64_t>(), 0u);
  EXPECT_LE(report["get_set"].get<std::uint64_t>(), 100u);

  const json& reads = report["reads"];
  EXPECT_EQ(reads["planned"].get<std::uint64_t>(), kReads);
  std::uint64_t sent = 0;
  std::uint64_t done = 0;
  for (const char* kind : {"get_order", "open_orders", "depth"}) {
    const json& k = reads["by_kind"][kind];
    SCOPED_TRACE(kind);
    EXPECT_GT(k["sent"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(k["errors"].get<std::uint64_t>(), 0u);
    // Every read answered: 2xx, or (GET order only) not found.
    EXPECT_EQ(k["ok"].get<std::uint64_t>() + k["not_found"].get<std::uint64_t>(),
              k["sent"].get<std::uint64_t>());
    EXPECT_EQ(k["samples"].get<std::uint64_t>(), k["sent"].get<std::uint64_t>());
    if (std::string(kind) != "get_order") {
      EXPECT_EQ(k["not_found"].get<std::uint64_t>(), 0u);
    }
    sent += k["sent"].get<std::uint64_t>();
    done += k["ok"].get<std::uint64_t>() + k["not_found"].get<std::uint64_t>();
  }
  EXPECT_EQ(sent, kReads);
  EXPECT_EQ(reads["done"].get<std::uint64_t>(), done);
  EXPECT_EQ(reads["not_found"], reads["by_kind"]["get_order"]["not_found"]);
  EXPECT_EQ(reads["errors"].get<std::uint64_t>(), 0u);
  EXPECT_GE(reads["p99_ms"].get<double>(), reads["p50_ms"].get<double>());

  const json& db = report["db"];
  // The projector wrote the orders: some statements, fewer than one per order.
  EXPECT_GT(db["statements_orders_phase"].get<double>(), 0);
  EXPECT_GT(db["statements_per_order"].get<double>(), 0);
  EXPECT_GE(db["statements_per_order_whole_run"].get<double>(),
            db["statements_per_order"].get<double>());
  EXPECT_GE(db["read_statements"].get<double>(), 0);
  EXPECT_GE(db["read_statements_per_1000_reads"].get<double>(), 0);
  for (const char* result : {"hit", "miss", "error"}) {
    EXPECT_GE(report["cache_requests"][result].get<double>(), 0) << result;
  }
}

TEST(MixedBench, CacheOnReportAddsUp) {
  PostgresServer pg;
  RedisServer redis;
  const json report = run_mixed(pg, &redis);
  expect_counts_add_up(report);
  EXPECT_EQ(report["cache"], "redis");
  EXPECT_EQ(report["label"], "cache-on");
}

TEST(MixedBench, CacheOffReportAddsUp) {
  PostgresServer pg;
  const json report = run_mixed(pg, nullptr);
  expect_counts_add_up(report);
  EXPECT_EQ(report["cache"], "none");
  EXPECT_EQ(report["label"], "cache-off");
}

TEST(MixedBench, NoSpotdFailsWithAMessage) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const ExitResult r = run_program({SPOT_BENCH_PATH, "mixed", "--port", "1", "--admin-port", "1",
                                    "--api-key", "k", "--orders", "10", "--reads", "10"});
  EXPECT_EQ(r.status, 1) << r.output;
  const json report = report_of(r.output);
  ASSERT_TRUE(report.is_object()) << r.output;
  EXPECT_TRUE(report.contains("error")) << r.output;
}

}  // namespace
}  // namespace spot::test
