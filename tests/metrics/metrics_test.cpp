// Metrics: what /metrics shows after the hot paths have counted a few things.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "spot/metrics/metrics.h"

namespace spot {
namespace {

// The value of the series whose line starts with exactly `series` (name plus labels).
std::optional<double> value_of(const std::string& scrape, const std::string& series) {
  std::istringstream lines(scrape);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

bool has_line_starting(const std::string& scrape, const std::string& prefix) {
  std::istringstream lines(scrape);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(Metrics, BuildInfoBooksQueueHighWaterAndThreads) {
  Metrics m("1.2.3", "abc1234");
  m.add_books({"BTC-USDT", "ETH-USDT"});
  m.book(1, 7, 3, 2);
  m.book(2, 99, 99, 99);  // no such symbol: ignored
  m.queue_high_water(42);
  m.read_failed("deadline");
  m.cache_request(Metrics::CacheResult::Hit);
  m.db_read_statements(2);
  m.db_statements(5);
  const std::string s = m.scrape();
  EXPECT_EQ(value_of(s, R"(spot_build_info{commit="abc1234",version="1.2.3"})"), 1);
  EXPECT_EQ(value_of(s, R"(spot_book_resting_orders{symbol="ETH-USDT"})"), 7);
  EXPECT_EQ(value_of(s, R"(spot_book_levels{side="bid",symbol="ETH-USDT"})"), 3);
  EXPECT_EQ(value_of(s, R"(spot_book_levels{side="ask",symbol="ETH-USDT"})"), 2);
  EXPECT_EQ(value_of(s, R"(spot_book_resting_orders{symbol="BTC-USDT"})"), 0);
  EXPECT_EQ(value_of(s, "spot_queue_depth_high_water"), 42);
  EXPECT_EQ(value_of(s, R"(spot_read_failures_total{reason="deadline"})"), 1);
  EXPECT_EQ(value_of(s, R"(spot_cache_requests_total{result="hit"})"), 1);
  EXPECT_EQ(value_of(s, R"(spot_db_statements_total{kind="read"})"), 2);
  EXPECT_EQ(value_of(s, R"(spot_db_statements_total{kind="write"})"), 5);
  EXPECT_GE(value_of(s, "process_threads"), 1);
}

TEST(Metrics, ScrapeShowsCountersByLabel) {
  Metrics m("9.8.7");
  m.order_received();
  m.order_received();
  m.order_received();
  m.order_accepted();
  m.order_accepted();
  m.order_rejected(RejectReason::BadPrice);
  m.order_rejected(RejectReason::RateLimited);
  m.order_rejected(RejectReason::RateLimited);
  m.order_rejected(RejectReason::None);  // not a reject: ignored
  m.http_request("/api/v1/orders", 201);
  m.http_request("/api/v1/orders", 201);
  m.http_request("/api/v1/orders", 400);
  m.http_request("/api/v1/depth", 200);
  m.trades(5);
  m.queue_depth(17);
  m.ready(true);
  m.connections(false).Increment();
  m.connections(true).Set(3);

  const std::string s = m.scrape();
  EXPECT_EQ(value_of(s, "spot_orders_received_total"), 3);
  EXPECT_EQ(value_of(s, "spot_orders_accepted_total"), 2);
  EXPECT_EQ(value_of(s, R"(spot_orders_rejected_total{reason="BAD_PRICE"})"), 1);
  EXPECT_EQ(value_of(s, R"(spot_orders_rejected_total{reason="RATE_LIMITED"})"), 2);
  EXPECT_EQ(value_of(s, R"(spot_orders_rejected_total{reason="UNKNOWN_SYMBOL"})"), 0);
  EXPECT_FALSE(has_line_starting(s, R"(spot_orders_rejected_total{reason="NONE"})"));
  EXPECT_EQ(value_of(s, R"(spot_http_requests_total{route="/api/v1/orders",status="201"})"), 2);
  EXPECT_EQ(value_of(s, R"(spot_http_requests_total{route="/api/v1/orders",status="400"})"), 1);
  EXPECT_EQ(value_of(s, R"(spot_http_requests_total{route="/api/v1/depth",status="200"})"), 1);
  EXPECT_EQ(value_of(s, "spot_trades_total"), 5);
  EXPECT_EQ(value_of(s, "spot_queue_depth"), 17);
  EXPECT_EQ(value_of(s, "spot_ready"), 1);
  EXPECT_EQ(value_of(s, R"(spot_connections{protocol="http"})"), 1);
  EXPECT_EQ(value_of(s, R"(spot_connections{protocol="tcp"})"), 3);
  EXPECT_EQ(value_of(s, R"(spot_build_info{commit="unknown",version="9.8.7"})"), 1);
  EXPECT_NE(s.find("# TYPE spot_http_requests_total counter"), std::string::npos);
  EXPECT_NE(s.find("# TYPE spot_order_latency_seconds histogram"), std::string::npos);

  m.ready(false);
  EXPECT_EQ(value_of(m.scrape(), "spot_ready"), 0);
}

TEST(Metrics, EveryRejectReasonHasASeries) {
  Metrics m("t");
  for (int r = 1; r <= static_cast<int>(kLastRejectReason); ++r) {
    m.order_rejected(static_cast<RejectReason>(r));
  }
  const std::string s = m.scrape();
  for (int r = 1; r <= static_cast<int>(kLastRejectReason); ++r) {
    const std::string series = "spot_orders_rejected_total{reason=\"" +
                               std::string(to_string(static_cast<RejectReason>(r))) + "\"}";
    EXPECT_EQ(value_of(s, series), 1) << series;
  }
}

TEST(Metrics, AJournalFailureIsLabelledWithItsStatusCode) {
  Metrics m("t");
  m.ready(true);
  EXPECT_EQ(value_of(m.scrape(), "spot_journal_failed"), 0);
  EXPECT_FALSE(has_line_starting(m.scrape(), "spot_journal_failure_info{"));
  m.journal_failed(Status::no_space("write /j/1.wal: No space left on device"));
  const std::string s = m.scrape();
  EXPECT_EQ(value_of(s, "spot_journal_failed"), 1);
  EXPECT_EQ(value_of(s, R"(spot_journal_failure_info{code="no_space"})"), 1);
  EXPECT_EQ(value_of(s, "spot_ready"), 0);
}

TEST(Metrics, LatencyHistogramBucketsFromOneMicrosecondToOneSecond) {
  Metrics m("t");
  m.order_latency(0.000'000'5);  // below the first bucket
  m.order_latency(0.000'3);      // 300 us
  m.order_latency(0.004);        // 4 ms
  m.order_latency(2.0);          // beyond the last bucket
  const std::string s = m.scrape();

  EXPECT_EQ(value_of(s, "spot_order_latency_seconds_count"), 4);
  EXPECT_NEAR(*value_of(s, "spot_order_latency_seconds_sum"), 2.0043005, 1e-9);
  EXPECT_EQ(value_of(s, R"(spot_order_latency_seconds_bucket{le="+Inf"})"), 4);

  // Collect the finite buckets in order and check their bounds and cumulative counts.
  std::vector<std::pair<double, double>> buckets;
  std::istringstream lines(s);
  std::string line;
  const std::string prefix = "spot_order_latency_seconds_bucket{le=\"";
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::string rest = line.substr(prefix.size());
    const std::string le = rest.substr(0, rest.find('"'));
    if (le == "+Inf") continue;
    buckets.emplace_back(std::stod(le), std::stod(rest.substr(rest.find(' ') + 1)));
  }
  ASSERT_EQ(buckets.size(), 19u);  // 1, 2.5, 5 per decade from 1e-6, ending at 1
  EXPECT_NEAR(buckets.front().first, 1e-6, 1e-12);
  EXPECT_NEAR(buckets.back().first, 1.0, 1e-9);
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_LT(buckets[i - 1].first, buckets[i].first);
    EXPECT_LE(buckets[i - 1].second, buckets[i].second);
  }
  auto cumulative = [&buckets](double le) {
    for (const auto& [bound, count] : buckets) {
      if (std::abs(bound - le) < le * 1e-9) return count;
    }
    ADD_FAILURE() << "no bucket le=" << le;
    return -1.0;
  };
  EXPECT_EQ(cumulative(1e-6), 1);
  EXPECT_EQ(cumulative(2.5e-4), 1);
  EXPECT_EQ(cumulative(5e-4), 2);
  EXPECT_EQ(cumulative(2.5e-3), 2);
  EXPECT_EQ(cumulative(5e-3), 3);
  EXPECT_EQ(cumulative(1.0), 3);
}

TEST(Metrics, ProcessMetricsAreReported) {
  Metrics m("t");
  const std::string s = m.scrape();
  const auto fds = value_of(s, "process_open_fds");
  ASSERT_TRUE(fds);
  EXPECT_GE(*fds, 3);  // at least stdin, stdout, stderr
  const auto resident = value_of(s, "process_resident_memory_bytes");
  ASSERT_TRUE(resident);
  EXPECT_GT(*resident, 0);
  const auto start = value_of(s, "process_start_time_seconds");
  ASSERT_TRUE(start);
  EXPECT_GT(*start, 1.6e9);  // after 2020
  EXPECT_TRUE(value_of(s, "process_cpu_seconds_total"));
}

TEST(Metrics, OpenFdsFollowTheProcess) {
  Metrics m("t");
  const double before = *value_of(m.scrape(), "process_open_fds");
  std::vector<FILE*> files;
  for (int i = 0; i < 5; ++i) files.push_back(std::fopen("/dev/null", "r"));
  const double during = *value_of(m.scrape(), "process_open_fds");
  for (FILE* f : files) std::fclose(f);
  EXPECT_EQ(during - before, 5);
}

}  // namespace
}  // namespace spot
