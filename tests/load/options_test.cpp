#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "bench/load/load.h"

namespace spot::bench::load {
namespace {

LoadOptions valid() {
  LoadOptions o;
  o.port = 8080;
  o.api_key = "k1";
  return o;
}

TEST(ValidateOptions, DefaultsWithAPortAreValid) { EXPECT_EQ(validate_options(valid()), ""); }

TEST(ValidateOptions, RejectsEachBadField) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::function<void(LoadOptions&)> breakers[] = {
      [](LoadOptions& o) { o.port = 0; },
      [](LoadOptions& o) { o.host = ""; },
      [](LoadOptions& o) { o.rate = 0; },
      [](LoadOptions& o) { o.rate = -5; },
      [&](LoadOptions& o) { o.rate = nan; },
      [](LoadOptions& o) { o.rate = 1e12; },
      [](LoadOptions& o) { o.duration_s = 0; },
      [](LoadOptions& o) { o.connections = 0; },
      [](LoadOptions& o) { o.connections = 100'000; },
      [](LoadOptions& o) { o.warmup_s = -1; },
      [](LoadOptions& o) { o.send_interval_us = -1; },
      [](LoadOptions& o) { o.send_interval_us = 1e6; },
      [&](LoadOptions& o) { o.send_interval_us = nan; },
      [](LoadOptions& o) { o.symbols = 0; },
      [](LoadOptions& o) { o.prefill = 0; },  // W1 cancels need resting orders
      [](LoadOptions& o) { o.client_id_offset = ~0ull; },
      [](LoadOptions& o) { o.drain_s = 3600; },
      [](LoadOptions& o) { o.api_key = "a\r\nX-Evil: 1"; },
      [](LoadOptions& o) { o.rate = 1e6, o.duration_s = 3600; },  // too many ops to hold
      [](LoadOptions& o) { o.sweep = true, o.sweep_max_rate = o.rate / 2; },
      [](LoadOptions& o) { o.sweep = true, o.p99_limit_ms = 0; },
      [](LoadOptions& o) { o.sweep = true, o.sweep_step_s = 0; },
  };
  int i = 0;
  for (const auto& brk : breakers) {
    LoadOptions o = valid();
    brk(o);
    EXPECT_NE(validate_options(o), "") << "breaker " << i;
    ++i;
  }
}

TEST(ValidateOptions, SweepUsesStepLengthForTheOpLimit) {
  LoadOptions o = valid();
  o.sweep = true;
  o.duration_s = 1e4;  // ignored by a sweep
  o.sweep_max_rate = 200'000;
  o.sweep_step_s = 5;
  EXPECT_EQ(validate_options(o), "");
}

TEST(RunHttp, InvalidOptionsExitWithTwo) {
  LoadOptions o = valid();
  o.port = 0;
  EXPECT_EQ(run_http(o), 2);
  EXPECT_EQ(run_tcp(o), 2);
  o = valid();
  o.api_key = std::string(65, 'k');  // longer than the tcp Login field
  EXPECT_EQ(run_tcp(o), 2);
}

}  // namespace
}  // namespace spot::bench::load
