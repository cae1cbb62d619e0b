#include "spot/resilience/circuit_breaker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace spot {
namespace {

constexpr std::int64_t kMs = 1'000'000;  // ns per ms

using Step = std::pair<BreakerState, BreakerState>;

// A breaker with the default options (DESIGN.md §6) on a fake clock, recording every
// transition it reports.
class BreakerTest : public ::testing::Test {
 protected:
  BreakerTest()
      : breaker_(BreakerOptions{}, clock_,
                 [this](BreakerState from, BreakerState to) { steps_.emplace_back(from, to); }) {}

  void succeed(int n = 1) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(breaker_.allow());
      breaker_.record_success(1 * kMs);
    }
  }
  void fail(int n = 1) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(breaker_.allow());
      breaker_.record_failure();
    }
  }
  // Closed -> Open with five failures (min_calls), at the present time.
  void trip() {
    fail(5);
    ASSERT_EQ(breaker_.state(), BreakerState::Open);
  }
  // Waits out the open wait in force and takes the probe.
  void take_probe() {
    clock_.advance_ns(breaker_.wait_ns());
    ASSERT_TRUE(breaker_.allow());
    ASSERT_EQ(breaker_.state(), BreakerState::HalfOpen);
  }

  FakeClock clock_{1'000 * kMs};
  std::vector<Step> steps_;
  CircuitBreaker breaker_;
};

TEST(BreakerStateNames, AreStableMetricLabels) {
  EXPECT_EQ(to_string(BreakerState::Closed), "closed");
  EXPECT_EQ(to_string(BreakerState::HalfOpen), "half_open");
  EXPECT_EQ(to_string(BreakerState::Open), "open");
  EXPECT_EQ(to_string(static_cast<BreakerState>(7)), "unknown");
  EXPECT_EQ(static_cast<int>(BreakerState::Closed), 0);
  EXPECT_EQ(static_cast<int>(BreakerState::HalfOpen), 1);
  EXPECT_EQ(static_cast<int>(BreakerState::Open), 2);
}

TEST_F(BreakerTest, StartsClosedWithTheFirstOpenWait) {
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  EXPECT_EQ(breaker_.wait_ns(), 0);
  EXPECT_EQ(breaker_.current_open_ms(), 5000);
  EXPECT_TRUE(breaker_.allow());
}

TEST_F(BreakerTest, StaysClosedUnderMinCalls) {
  fail(4);
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  EXPECT_TRUE(breaker_.allow());
  EXPECT_TRUE(steps_.empty());
}

TEST_F(BreakerTest, OpensAtExactlyHalfTheWindow) {
  succeed(10);
  fail(9);  // 9 of 19
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  fail(1);  // 10 of 20
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
  EXPECT_FALSE(breaker_.allow());
}

TEST_F(BreakerTest, OpensAtHalfOnceMinCallsAreIn) {
  succeed(1);
  fail(1);
  succeed(1);
  fail(1);
  succeed(1);  // 2 of 5
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  fail(1);  // 3 of 6
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
}

TEST_F(BreakerTest, SlowSuccessesCount) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(breaker_.allow());
    breaker_.record_success(1000 * kMs);  // at the limit: not slow
  }
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(breaker_.allow());
    breaker_.record_success(1000 * kMs + 1);  // slower than slow_call_ms
  }
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);  // 4 of 9
  ASSERT_TRUE(breaker_.allow());
  breaker_.record_success(3000 * kMs);  // 5 of 10
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
}

TEST_F(BreakerTest, WindowSlidesSoOldFailuresAgeOut) {
  succeed(11);
  fail(9);      // 9 of 20: closed
  succeed(20);  // the 9 failures leave the window
  fail(9);      // 9 of 20 again; 18 had the old ones stayed
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  fail(1);  // pushes out a success: 10 of 20
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
}

TEST_F(BreakerTest, OpenRejectsUntilTheWaitHasPassed) {
  trip();
  EXPECT_EQ(breaker_.wait_ns(), 5000 * kMs);
  clock_.advance_ns(5000 * kMs - 1);
  EXPECT_FALSE(breaker_.allow());
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
  EXPECT_EQ(breaker_.wait_ns(), 1);
  clock_.advance_ns(1);
  EXPECT_EQ(breaker_.wait_ns(), 0);
  EXPECT_TRUE(breaker_.allow());
  EXPECT_EQ(breaker_.state(), BreakerState::HalfOpen);
}

TEST_F(BreakerTest, HalfOpenAdmitsExactlyOneProbe) {
  trip();
  clock_.advance_ns(5000 * kMs);
  EXPECT_EQ(breaker_.state(), BreakerState::HalfOpen);  // lazily, before any allow()
  EXPECT_TRUE(breaker_.allow());
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(breaker_.allow());
  clock_.advance_ns(1999 * kMs);  // within the probe deadline
  EXPECT_FALSE(breaker_.allow());
  EXPECT_EQ(breaker_.state(), BreakerState::HalfOpen);
}

TEST_F(BreakerTest, ProbeSuccessClosesAndResetsTheWait) {
  trip();
  take_probe();
  breaker_.record_failure();
  EXPECT_EQ(breaker_.current_open_ms(), 10000);
  take_probe();
  breaker_.record_success(1 * kMs);
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  EXPECT_EQ(breaker_.current_open_ms(), 5000);
  EXPECT_EQ(breaker_.wait_ns(), 0);
  fail(4);  // the window was cleared: the five failures before do not count
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  fail(1);
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
  EXPECT_EQ(breaker_.wait_ns(), 5000 * kMs);
}

TEST_F(BreakerTest, SlowProbeCountsAsFailed) {
  trip();
  take_probe();
  breaker_.record_success(1000 * kMs + 1);
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
  EXPECT_EQ(breaker_.current_open_ms(), 10000);
}

TEST_F(BreakerTest, FailedProbesDoubleTheWaitUpToTheCap) {
  trip();
  for (const std::int64_t next_ms : {10000, 20000, 20000, 20000}) {
    const std::int64_t wait_ms = breaker_.current_open_ms();
    clock_.advance_ns(wait_ms * kMs - 1);
    EXPECT_FALSE(breaker_.allow());
    clock_.advance_ns(1);
    ASSERT_TRUE(breaker_.allow());
    breaker_.record_failure();
    EXPECT_EQ(breaker_.state(), BreakerState::Open);
    EXPECT_EQ(breaker_.current_open_ms(), next_ms);
    EXPECT_EQ(breaker_.wait_ns(), next_ms * kMs);
  }
}

TEST(BreakerDoubling, CapsAWaitThatWouldOvershootTheMaximum) {
  BreakerOptions options;
  options.open_ms = 3000;
  options.open_max_ms = 5000;
  FakeClock clock;
  CircuitBreaker breaker(options, clock);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(breaker.allow());
    breaker.record_failure();
  }
  clock.advance_ns(breaker.wait_ns());
  ASSERT_TRUE(breaker.allow());
  breaker.record_failure();
  EXPECT_EQ(breaker.current_open_ms(), 5000);  // 3000 -> 5000, not 6000
}

TEST_F(BreakerTest, ProbeDeadlineExpiryCountsAsFailure) {
  trip();
  take_probe();
  EXPECT_EQ(breaker_.wait_ns(), (2000 + 10000) * kMs);  // if the probe never reports
  clock_.advance_ns(2000 * kMs - 1);
  EXPECT_EQ(breaker_.state(), BreakerState::HalfOpen);
  clock_.advance_ns(1);  // the deadline
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
  EXPECT_EQ(breaker_.current_open_ms(), 10000);
  EXPECT_EQ(breaker_.wait_ns(), 10000 * kMs);
  breaker_.record_success(1 * kMs);  // the probe, too late: already counted as failed
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
  EXPECT_FALSE(breaker_.allow());
}

TEST_F(BreakerTest, ProbeDeadlineIsDatedWhenItFellDueNotWhenSeen) {
  trip();
  take_probe();
  // Nobody asks until long after the deadline (2 s) and the doubled wait (10 s).
  clock_.advance_ns((2000 + 10000 - 1) * kMs);
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
  EXPECT_EQ(breaker_.wait_ns(), 1 * kMs);
  clock_.advance_ns(1 * kMs);
  EXPECT_TRUE(breaker_.allow());
  EXPECT_EQ(breaker_.state(), BreakerState::HalfOpen);
}

TEST_F(BreakerTest, OnReachableShortensOpen) {
  trip();
  clock_.advance_ns(1000 * kMs);
  EXPECT_FALSE(breaker_.allow());
  breaker_.on_reachable();
  EXPECT_EQ(breaker_.state(), BreakerState::HalfOpen);
  EXPECT_EQ(breaker_.wait_ns(), 0);
  EXPECT_TRUE(breaker_.allow());
  const std::size_t before = steps_.size();
  breaker_.on_reachable();  // HalfOpen with the probe out: no effect
  EXPECT_EQ(steps_.size(), before);
  EXPECT_FALSE(breaker_.allow());
  breaker_.record_failure();  // the wait still doubles
  EXPECT_EQ(breaker_.current_open_ms(), 10000);
  breaker_.on_reachable();
  ASSERT_TRUE(breaker_.allow());
  breaker_.record_success(1 * kMs);
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  const std::size_t closed = steps_.size();
  breaker_.on_reachable();  // Closed: no effect
  EXPECT_EQ(breaker_.state(), BreakerState::Closed);
  EXPECT_EQ(steps_.size(), closed);
}

TEST_F(BreakerTest, IgnoresOutcomesOfCallsAdmittedBeforeItOpened) {
  ASSERT_TRUE(breaker_.allow());  // a slow call, admitted while Closed
  trip();
  breaker_.record_success(1 * kMs);  // it reports while Open
  EXPECT_EQ(breaker_.state(), BreakerState::Open);
  EXPECT_EQ(breaker_.wait_ns(), 5000 * kMs);
  clock_.advance_ns(5000 * kMs);
  breaker_.record_success(1 * kMs);  // HalfOpen, no probe out: not the probe
  EXPECT_EQ(breaker_.state(), BreakerState::HalfOpen);
  EXPECT_TRUE(breaker_.allow());  // the probe is still to take
}

TEST_F(BreakerTest, TransitionCallbackSeesEveryTransitionInOrder) {
  using S = BreakerState;
  trip();                     // Closed -> Open
  take_probe();               // Open -> HalfOpen
  breaker_.record_failure();  // HalfOpen -> Open
  breaker_.on_reachable();    // Open -> HalfOpen
  ASSERT_TRUE(breaker_.allow());
  clock_.advance_ns(2000 * kMs);     // the probe's deadline passes
  EXPECT_FALSE(breaker_.allow());    // HalfOpen -> Open
  take_probe();                      // Open -> HalfOpen
  breaker_.record_success(1 * kMs);  // HalfOpen -> Closed
  const std::vector<Step> expected = {{S::Closed, S::Open},    {S::Open, S::HalfOpen},
                                      {S::HalfOpen, S::Open},  {S::Open, S::HalfOpen},
                                      {S::HalfOpen, S::Open},  {S::Open, S::HalfOpen},
                                      {S::HalfOpen, S::Closed}};
  EXPECT_EQ(steps_, expected);
}

TEST(BreakerOptions, DefaultsAreValidAndEachRangeIsChecked) {
  EXPECT_EQ(validate_options(BreakerOptions{}), "");
  auto problem = [](auto change) {
    BreakerOptions options;
    change(options);
    return std::string(validate_options(options));
  };
  EXPECT_EQ(problem([](auto& o) { o.min_calls = o.window_calls = 1; }), "");
  EXPECT_EQ(problem([](auto& o) { o.failure_ratio = 1; }), "");
  EXPECT_EQ(problem([](auto& o) { o.open_ms = o.open_max_ms = kBreakerMaxMs; }), "");
  EXPECT_EQ(problem([](auto& o) { o.min_calls = 0; }), "min_calls must be in [1, window_calls]");
  EXPECT_EQ(problem([](auto& o) { o.min_calls = 21; }), "min_calls must be in [1, window_calls]");
  EXPECT_EQ(problem([](auto& o) { o.failure_ratio = 0; }), "failure_ratio must be in (0, 1]");
  EXPECT_EQ(problem([](auto& o) { o.failure_ratio = 1.01; }), "failure_ratio must be in (0, 1]");
  EXPECT_EQ(problem([](auto& o) { o.failure_ratio = std::nan(""); }),
            "failure_ratio must be in (0, 1]");
  EXPECT_EQ(problem([](auto& o) { o.slow_call_ms = 0; }), "slow_call_ms must be in [1, 86400000]");
  EXPECT_EQ(problem([](auto& o) { o.slow_call_ms = kBreakerMaxMs + 1; }),
            "slow_call_ms must be in [1, 86400000]");
  EXPECT_EQ(problem([](auto& o) { o.probe_deadline_ms = 0; }),
            "probe_deadline_ms must be in [1, 86400000]");
  EXPECT_EQ(problem([](auto& o) { o.open_max_ms = kBreakerMaxMs + 1; }),
            "open_max_ms must be in [1, 86400000]");
  EXPECT_EQ(problem([](auto& o) { o.open_ms = 0; }), "open_ms must be in [1, open_max_ms]");
  EXPECT_EQ(problem([](auto& o) { o.open_ms = 20001; }), "open_ms must be in [1, open_max_ms]");
}

TEST(BreakerOptionsDeathTest, ConstructorAssertsValidOptions) {
  FakeClock clock;
  BreakerOptions options;
  options.min_calls = 0;
  EXPECT_DEATH((void)CircuitBreaker(options, clock), "breaker: options pass validate_options");
}

}  // namespace
}  // namespace spot
