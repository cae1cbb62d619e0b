// The pure parts of `spot-bench mixed`: options, the /metrics parser, the choice of GET
// ids and the read mix. Label `unit`.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "bench/load/mixed.h"

namespace spot::bench::load {
namespace {

MixedOptions valid() {
  MixedOptions o;
  o.port = 8080;
  o.admin_port = 8081;
  o.api_key = "k1";
  return o;
}

TEST(MixedOptions, DefaultsWithPortsAreValid) { EXPECT_EQ(validate_options(valid()), ""); }

TEST(MixedOptions, RejectsEachBadField) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::function<void(MixedOptions&)> breakers[] = {
      [](MixedOptions& o) { o.port = 0; },
      [](MixedOptions& o) { o.admin_port = 0; },
      [](MixedOptions& o) { o.orders = 0; },
      [](MixedOptions& o) { o.reads = 0; },
      [](MixedOptions& o) { o.reads = 100'000'000; },
      [](MixedOptions& o) { o.read_rate = 0; },
      [&](MixedOptions& o) { o.order_rate = nan; },
      [](MixedOptions& o) { o.reads = 10'000'000, o.read_rate = 1; },  // over an hour
      [](MixedOptions& o) { o.get_ratio = -1; },
      [](MixedOptions& o) { o.get_ratio = 0, o.open_ratio = 0, o.depth_ratio = 0; },
      [](MixedOptions& o) { o.get_set = 0; },
      [](MixedOptions& o) { o.connections = 0; },
      [](MixedOptions& o) { o.prefill = 0; },
      [](MixedOptions& o) { o.catchup_timeout_s = 0; },
      [](MixedOptions& o) { o.api_key = "a\r\nX-Evil: 1"; },
  };
  for (std::size_t i = 0; i < std::size(breakers); ++i) {
    MixedOptions o = valid();
    breakers[i](o);
    EXPECT_NE(validate_options(o), "") << "breaker " << i;
  }
}

constexpr const char* kExposition =
    "# HELP spot_db_statements_total Statements.\n"
    "# TYPE spot_db_statements_total counter\n"
    "spot_db_statements_total{kind=\"read\"} 12\n"
    "spot_db_statements_total{kind=\"write\"} 30.5\n"
    "spot_db_statements_totals 1000\n"
    "spot_cache_requests_total{result=\"hit\"} 7\n"
    "spot_cache_requests_total{result=\"miss\"} 2\n"
    "spot_cache_requests_total{xresult=\"miss\"} 100\n"
    "spot_cache_requests_total{op=\"get\",result=\"miss\"} 1\n"
    "spot_old_total 5\n";

TEST(MetricSum, SumsTheSeriesWithTheLabel) {
  EXPECT_EQ(metric_sum(kExposition, "spot_db_statements_total"), 42.5);
  EXPECT_EQ(metric_sum(kExposition, "spot_db_statements_total", "kind", "read"), 12);
  EXPECT_EQ(metric_sum(kExposition, "spot_db_statements_total", "kind", "write"), 30.5);
  EXPECT_EQ(metric_sum(kExposition, "spot_cache_requests_total", "result", "miss"), 3);
  EXPECT_EQ(metric_sum(kExposition, "spot_cache_requests_total", "result", "error"), std::nullopt);
  EXPECT_EQ(metric_sum(kExposition, "spot_old_total"), 5);
  EXPECT_EQ(metric_sum(kExposition, "spot_absent_total"), std::nullopt);
}

TEST(MetricSum, ACounterWithoutTheKindLabelHasNoReads) {
  // spotd before the read path: one series, every statement a write.
  const char* old = "spot_db_statements_total 17\n";
  EXPECT_EQ(metric_sum(old, "spot_db_statements_total"), 17);
  EXPECT_EQ(metric_sum(old, "spot_db_statements_total", "kind", "read"), std::nullopt);
}

TEST(FinishedIds, TheOldestThatAreNotOpen) {
  EXPECT_EQ(finished_ids({9, 3, 5, 1, 7, 3}, {3, 7}, 3), (std::vector<std::uint64_t>{1, 5, 9}));
  EXPECT_EQ(finished_ids({4, 2}, {}, 10), (std::vector<std::uint64_t>{2, 4}));
  EXPECT_TRUE(finished_ids({1, 2}, {1, 2}, 10).empty());
}

TEST(MakeReads, FollowsTheRatiosAndTheIds) {
  MixedOptions o = valid();
  o.reads = 10'000;
  o.get_ratio = 0.8;
  o.open_ratio = 0.1;
  o.depth_ratio = 0.1;
  const std::vector<std::uint64_t> ids = {11, 22, 33};
  const std::vector<ReadOp> reads = make_reads(o, ids, 2);
  ASSERT_EQ(reads.size(), o.reads);
  std::size_t count[kReadKinds] = {};
  for (const ReadOp& r : reads) {
    ++count[static_cast<std::size_t>(r.kind)];
    if (r.kind == ReadKind::GetOrder) {
      EXPECT_TRUE(r.order_id == 11 || r.order_id == 22 || r.order_id == 33);
    } else {
      EXPECT_LT(r.symbol, 2u);
    }
  }
  EXPECT_NEAR(static_cast<double>(count[0]), 8000, 300);
  EXPECT_NEAR(static_cast<double>(count[1]), 1000, 200);
  EXPECT_NEAR(static_cast<double>(count[2]), 1000, 200);
  // Seeded: the same options give the same reads.
  const std::vector<ReadOp> again = make_reads(o, ids, 2);
  for (std::size_t i = 0; i < reads.size(); ++i) {
    EXPECT_EQ(reads[i].kind, again[i].kind);
    EXPECT_EQ(reads[i].order_id, again[i].order_id);
  }
  // Without ids, no GETs.
  for (const ReadOp& r : make_reads(o, {}, 2)) EXPECT_NE(r.kind, ReadKind::GetOrder);
}

}  // namespace
}  // namespace spot::bench::load
