// spotd as its operators see it: a real Prometheus (tests/ops/prometheus_server.h)
// scraping a real spotd projecting into a private PostgreSQL, under load from spot-bench.
//   Dashboard.*: every PromQL expression of docker/grafana/dashboards/spotd.json parses
//     (Prometheus runs it) and names only metrics spotd exports. Label `integration`.
//   Scrape.*: a loaded spotd with PostgreSQL and Redis attached passes `promtool check
//     metrics`, and the series an outage would move exist, at zero, before it. Label
//     `integration`.
//   PrometheusFault.*: the order rate, p99 latency and breaker state reach Prometheus,
//     and the alert rules of docker/prometheus/alerts.yml fire for real: PostgreSQL
//     stopped, SpotdCircuitBreakerOpen firing; started again, resolved. Label `fault`.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cache/cache_test_support.h"
#include "ops/prometheus_server.h"
#include "ops/promql.h"
#include "store/store_test_support.h"

namespace spot::test {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace http = boost::beast::http;

std::string read_source(const std::string& path) {
  std::ifstream in(std::string(SPOT_SOURCE_DIR) + "/" + path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The names of the samples in a /metrics exposition (histograms as _bucket, _sum,
// _count).
std::set<std::string> sample_names(const std::string& exposition) {
  std::set<std::string> names;
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    names.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return names;
}

// Every "expr" string anywhere in a dashboard (panels, rows' panels, targets).
void collect_exprs(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "expr" && value.is_string()) {
        out.push_back(value.get<std::string>());
      } else {
        collect_exprs(value, out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& value : node) collect_exprs(value, out);
  }
}

std::string target_of(const SpotdProcess& spotd) {
  return "127.0.0.1:" + std::to_string(spotd.admin_port());
}

// Polls `done` every 250 ms until it holds or `limit` passes; returns whether it held.
bool wait_until(std::chrono::seconds limit, const std::function<bool()>& done) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return done();
}

// The alerts Prometheus has in state `state` ("pending", "firing"), as
// "alertname/dependency" strings (dependency empty when the alert has none).
std::set<std::string> alerts_in(const PrometheusServer& prom, const std::string& state) {
  std::set<std::string> out;
  const json r = prom.get("/api/v1/alerts");
  for (const auto& a : r["data"]["alerts"]) {
    if (a.value("state", "") != state) continue;
    const json& labels = a["labels"];
    out.insert(labels.value("alertname", "") + "/" + labels.value("dependency", ""));
  }
  return out;
}

// alerts.yml with the `for:` of SpotdCircuitBreakerOpen (and only that) shortened from
// 1m to `for_duration`, so a test sees it fire within seconds.
std::string rules_with_short_breaker_for(const std::string& for_duration) {
  std::string rules = read_source("docker/prometheus/alerts.yml");
  const std::size_t alert = rules.find("- alert: SpotdCircuitBreakerOpen");
  const std::size_t next_alert = rules.find("- alert:", alert + 1);
  const std::size_t at = rules.find("for: 1m", alert);
  if (alert == std::string::npos || at == std::string::npos || at > next_alert) {
    throw std::runtime_error("alerts.yml: no `for: 1m` in SpotdCircuitBreakerOpen");
  }
  rules.replace(at, 7, "for: " + for_duration);
  return rules;
}

// Joins a thread on every way out of a scope (a failed ASSERT included).
struct Joiner {
  std::thread& thread;
  ~Joiner() {
    if (thread.joinable()) thread.join();
  }
};

TEST(Dashboard, ExpressionsParseAndNameOnlyExportedMetrics) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("dashboard");
  const Load load = run_load(*spotd, key, 300, 2);
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  const std::string exposition =
      HttpClient(spotd->admin_port()).request(http::verb::get, "/metrics").body;
  const std::set<std::string> exported = sample_names(exposition);
  ASSERT_TRUE(exported.count("spot_orders_accepted_total")) << exposition;

  const json dashboard = json::parse(read_source("docker/grafana/dashboards/spotd.json"));
  EXPECT_EQ(dashboard.value("uid", ""), "spotd");
  // The datasource the panels name is the provisioned one.
  EXPECT_NE(
      read_source("docker/grafana/provisioning/datasources/prometheus.yml").find("uid: prometheus"),
      std::string::npos);
  for (const auto& panel : dashboard["panels"]) {
    if (panel.value("type", "") == "row") continue;
    EXPECT_EQ(panel["datasource"].value("uid", ""), "prometheus") << panel.value("title", "");
  }
  std::vector<std::string> exprs;
  collect_exprs(dashboard, exprs);
  ASSERT_GE(exprs.size(), 20u);

  PrometheusServer prom(target_of(*spotd), "");
  for (const std::string& expr : exprs) {
    // Grafana fills in $__rate_interval; Prometheus needs a duration.
    const std::string runnable = substitute_grafana_intervals(expr, "1m");
    std::set<std::string> names;
    try {
      names = promql_metric_names(runnable);
    } catch (const std::invalid_argument& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_FALSE(names.empty()) << "no metric in: " << expr;
    for (const std::string& name : names) {
      EXPECT_TRUE(exported.count(name)) << name << " (in: " << expr << ") is not exported by spotd";
    }
    const json r = prom.query(runnable);
    EXPECT_EQ(r.value("status", ""), "success") << expr << "\n" << r.dump();
  }
  EXPECT_EQ(spotd->terminate(), 0);
}

// `promtool check metrics` on an exposition: its complaints ("" when clean).
std::string promtool_complaints(const std::string& exposition, int& status) {
  const std::string path = ::testing::TempDir() + "/scrape.txt";
  { std::ofstream(path) << exposition; }
  const std::string command = std::string(PROMTOOL_PATH) + " check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
  status = pclose(pipe);
  return output;
}

TEST(Scrape, LoadedSpotdWithPostgresAndRedisPassesPromtool) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd = spotd_with(pg, redis);
  const std::string key = spotd->create_account("scrape");
  const Load load = run_load(*spotd, key, 500, 3);
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  wait_for_cache(*spotd, std::chrono::seconds(30));
  // The read path too: one history read (PostgreSQL through the reader threads).
  HttpClient api(spotd->http_port());
  const auto history = api.request(http::verb::get, "/api/v1/allOrders?symbol=BTC-USDT&limit=5", "",
                                   {{"X-API-Key", key}});
  EXPECT_EQ(history.status, 200u) << history.body;

  const auto scrape = HttpClient(spotd->admin_port()).request(http::verb::get, "/metrics");
  ASSERT_EQ(scrape.status, 200u);
  int status = -1;
  const std::string complaints = promtool_complaints(scrape.body, status);
  EXPECT_EQ(status, 0) << complaints;
  EXPECT_EQ(complaints, "");

  // The database, the cache and the read path did work.
  EXPECT_GT(metric(*spotd, "spot_db_statements_total{kind=\"write\"}"), 0);
  EXPECT_GT(metric(*spotd, "spot_db_statements_total{kind=\"read\"}"), 0);
  EXPECT_GT(metric(*spotd, "spot_cache_writes_total"), 0);
  EXPECT_GT(metric(*spotd, "spot_projector_checkpoint"), 0);
  // What an outage or a dead letter would move is there before it, at zero, so a rate()
  // or an alert over it has a series to read on a healthy spotd.
  for (const char* series : {
           "spot_db_errors_total{class=\"connection\"}",
           "spot_db_errors_total{class=\"timeout\"}",
           "spot_db_retries_total",
           "spot_db_dead_letters_total",
           "spot_circuit_breaker_transitions_total{dependency=\"postgres\",to=\"open\"}",
           "spot_circuit_breaker_transitions_total{dependency=\"redis\",to=\"half_open\"}",
           "spot_circuit_breaker_state{dependency=\"postgres\"}",
           "spot_circuit_breaker_state{dependency=\"redis\"}",
           "spot_dlq_entries{status=\"PENDING\"}",
           "spot_dlq_replays_total{result=\"resolved\"}",
           "spot_dlq_replays_total{result=\"failed\"}",
           "spot_cache_dropped_writes_total{reason=\"unavailable\"}",
           "spot_read_failures_total{reason=\"deadline\"}",
           "spot_orders_rejected_total{reason=\"OVERLOADED\"}",
       }) {
    EXPECT_EQ(metric(*spotd, series), 0) << series;
  }
  EXPECT_EQ(spotd->terminate(), 0);
}

TEST(PrometheusFault, ScrapesLoadedSpotdAndBreakerAlertFiresAndResolves) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("prometheus");
  PrometheusServer prom(target_of(*spotd), rules_with_short_breaker_for("5s"));

  // Every rule of alerts.yml is loaded.
  const json groups = prom.get("/api/v1/rules")["data"]["groups"];
  std::size_t rules = 0;
  for (const auto& g : groups) rules += g["rules"].size();
  const std::string alerts_yml = read_source("docker/prometheus/alerts.yml");
  std::size_t written = 0;
  for (std::size_t at = alerts_yml.find("- alert:"); at != std::string::npos;
       at = alerts_yml.find("- alert:", at + 1)) {
    ++written;
  }
  EXPECT_EQ(rules, written) << groups.dump();
  EXPECT_GE(rules, 9u);

  const Load load = run_load(*spotd, key, 500, 6);
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  // Two scrapes after the load, so its last samples are in.
  std::this_thread::sleep_for(std::chrono::milliseconds(2'500));

  EXPECT_EQ(prom.query_value("up{job=\"spotd\"}"), 1) << prom.log();
  const double rate = prom.query_value("sum(rate(spot_orders_accepted_total[10s]))");
  EXPECT_GT(rate, 0) << prom.query("sum(rate(spot_orders_accepted_total[10s]))").dump();
  const std::string p99_expr =
      "histogram_quantile(0.99, sum by (le) (rate(spot_order_latency_seconds_bucket[10s])))";
  const double p99 = prom.query_value(p99_expr);
  EXPECT_GT(p99, 0) << prom.query(p99_expr).dump();
  EXPECT_LT(p99, 1) << prom.query(p99_expr).dump();
  EXPECT_EQ(prom.query_value("spot_circuit_breaker_state{dependency=\"postgres\"}"), 0);
  std::printf("Prometheus: %.0f orders/s accepted, p99 latency %.6f s\n", rate, p99);
  EXPECT_EQ(alerts_in(prom, "firing"), std::set<std::string>{});

  // PostgreSQL stops under light load (the projector must have records to write to
  // find the database gone): the breaker opens, and its alert fires after 5 s.
  Load outage_load;
  std::thread bench([&] { outage_load = run_load(*spotd, key, 200, 25, 1'000'000); });
  Joiner joiner{bench};
  pg.stop();
  const auto stopped = Clock::now();
  const std::set<std::string> breaker = {"SpotdCircuitBreakerOpen/postgres"};
  const bool fired =
      wait_until(std::chrono::seconds(60), [&] { return alerts_in(prom, "firing") == breaker; });
  ASSERT_TRUE(fired) << "firing: " << prom.get("/api/v1/alerts").dump()
                     << "\nbreaker: " << prom.query("spot_circuit_breaker_state").dump();
  std::printf(
      "SpotdCircuitBreakerOpen firing %lld ms after PostgreSQL stopped\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stopped).count()));

  // PostgreSQL back: the breaker closes and the alert resolves.
  pg.start();
  const auto started = Clock::now();
  const bool resolved = wait_until(std::chrono::seconds(60), [&] {
    return alerts_in(prom, "firing").empty() && alerts_in(prom, "pending").empty();
  });
  ASSERT_TRUE(resolved) << prom.get("/api/v1/alerts").dump();
  std::printf(
      "SpotdCircuitBreakerOpen resolved %lld ms after PostgreSQL started\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()));
  EXPECT_EQ(prom.query_value("spot_circuit_breaker_state{dependency=\"postgres\"}"), 0);
  bench.join();
  EXPECT_EQ(outage_load.errors(), 0u) << outage_load.summary.dump();
  EXPECT_EQ(spotd->terminate(), 0);
}

}  // namespace
}  // namespace spot::test
