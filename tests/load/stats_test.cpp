#include <gtest/gtest.h>

#include <string>

#include "bench/load/stats.h"

namespace spot::bench::load {
namespace {

TEST(LatencyRecorder, EmptyIsZero) {
  LatencyRecorder r;
  EXPECT_EQ(r.percentile_ns(0.5), 0);
  EXPECT_EQ(r.max_ns(), 0);
}

TEST(LatencyRecorder, NearestRankOnOneToHundred) {
  LatencyRecorder r;
  for (int i = 100; i >= 1; --i) r.record(i);  // unsorted on purpose
  EXPECT_EQ(r.percentile_ns(0.0), 1);
  EXPECT_EQ(r.percentile_ns(0.5), 50);
  EXPECT_EQ(r.percentile_ns(0.9), 90);
  EXPECT_EQ(r.percentile_ns(0.99), 99);
  EXPECT_EQ(r.percentile_ns(0.999), 100);
  EXPECT_EQ(r.percentile_ns(1.0), 100);
  EXPECT_EQ(r.max_ns(), 100);
  r.record(1000);  // recording after a query re-sorts
  EXPECT_EQ(r.max_ns(), 1000);
}

TEST(LatencyRecorder, OneOutlierInAThousandShowsAtP999Only) {
  LatencyRecorder r;
  for (int i = 0; i < 999; ++i) r.record(1'000'000);
  r.record(500'000'000);
  const LatencySummary s = summarize(r);
  EXPECT_EQ(s.samples, 1000u);
  EXPECT_EQ(s.p99_ns, 1'000'000);
  EXPECT_EQ(s.p999_ns, 1'000'000);  // rank ceil(0.999 * 1000) = 999
  EXPECT_EQ(s.max_ns, 500'000'000);
}

TEST(LatencyRecorder, NegativeSamplesClampToZero) {
  LatencyRecorder r;
  r.record(-5);
  EXPECT_EQ(r.max_ns(), 0);
}

TEST(RunResult, JsonHasTheReportedFields) {
  RunResult r;
  r.mode = "tcp";
  r.offered_rate = 1000;
  r.duration_s = 2;
  r.connections = 4;
  r.ops = 2000;
  r.sent = 1900;
  r.answered = 1890;
  r.acked = 1800;
  r.cancel_unmapped = 100;
  r.errors.add(ErrorKind::Timeout);
  r.errors.add(ErrorKind::Rejected);
  r.errors.rejected_by_reason[static_cast<std::size_t>(RejectReason::RateLimited)] = 1;
  r.latency.p50_ns = 1'500'000;
  r.latency.max_ns = 12'345'678;
  const std::string json = to_json(r);
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_EQ(json.find('\n'), std::string::npos);
  for (const char* part :
       {"\"mode\":\"tcp\"", "\"offered_rate\":1000.0", "\"achieved_rate\":900.0",
        "\"duration_s\":2.000", "\"sent\":1900", "\"acked\":1800", "\"cancel_unmapped\":100",
        "\"timeout\":1", "\"rejected\":1", "\"http_429\":0", "\"RATE_LIMITED\":1",
        "\"p50_ms\":1.500", "\"p90_ms\":0.000", "\"p99_ms\"", "\"p999_ms\"", "\"max_ms\":12.346",
        "\"connections\":4"}) {
    EXPECT_NE(json.find(part), std::string::npos) << part << " in " << json;
  }
  EXPECT_EQ(json.find("\"error\""), std::string::npos);
}

TEST(RunResult, FatalErrorIsEscapedIntoJson) {
  RunResult r;
  r.mode = "http";
  r.fatal = "bad \"thing\"\n";
  const std::string json = to_json(r);
  EXPECT_NE(json.find(R"("error":"bad \"thing\" ")"), std::string::npos) << json;
}

RunResult good_step() {
  RunResult r;
  r.mode = "http";
  r.duration_s = 1;
  r.ops = 1000;
  r.cancel_unmapped = 100;
  r.acked = 900;
  r.latency.p99_ns = 10'000'000;
  return r;
}

TEST(StepIsGood, AllCriteria) {
  EXPECT_TRUE(step_is_good(good_step(), 50));
  EXPECT_FALSE(step_is_good(good_step(), 10));  // p99 == limit is not under it

  RunResult errors = good_step();
  for (int i = 0; i < 10; ++i) errors.errors.add(ErrorKind::Http503);  // 10 of 900: > 1%
  EXPECT_FALSE(step_is_good(errors, 50));
  errors = good_step();
  for (int i = 0; i < 9; ++i) errors.errors.add(ErrorKind::Http503);  // exactly 1%
  EXPECT_TRUE(step_is_good(errors, 50));

  RunResult slow = good_step();
  slow.acked = 809;  // < 90% of the 900 expected
  EXPECT_FALSE(step_is_good(slow, 50));

  RunResult fatal = good_step();
  fatal.fatal = "no connection";
  EXPECT_FALSE(step_is_good(fatal, 50));
}

}  // namespace
}  // namespace spot::bench::load
