#include "spot/resilience/retry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace spot {
namespace {

TEST(RetryBackoff, CeilingDoublesFromTheBaseUpToTheCap) {
  const RetryPolicy policy(RetryOptions{}, 1);
  const std::vector<std::int64_t> expected = {50, 100, 200, 400, 800, 1600, 3200, 5000, 5000};
  for (std::uint32_t attempt = 0; attempt < expected.size(); ++attempt) {
    EXPECT_EQ(policy.backoff_ceiling_ms(attempt), expected[attempt]) << attempt;
  }
}

TEST(RetryBackoff, StaysWithinFullJitterBoundsForManySeeds) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    RetryPolicy policy(RetryOptions{}, seed);
    for (std::uint32_t attempt = 0; attempt < 80; ++attempt) {
      const std::int64_t ceiling_ms =
          attempt < 7 ? std::int64_t{50} << attempt : std::int64_t{5000};
      const std::int64_t delay_ms = policy.backoff_ms(attempt);
      ASSERT_GE(delay_ms, 0) << "seed " << seed << " attempt " << attempt;
      ASSERT_LE(delay_ms, ceiling_ms) << "seed " << seed << " attempt " << attempt;
    }
  }
}

TEST(RetryBackoff, FullJitterCoversZeroToTheCapEvenly) {
  RetryPolicy policy(RetryOptions{}, 7);
  std::int64_t low_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t high_ms = 0;
  double sum_ms = 0;
  constexpr int kDraws = 200'000;
  for (int i = 0; i < kDraws; ++i) {
    const std::int64_t delay_ms = policy.backoff_ms(10);
    low_ms = std::min(low_ms, delay_ms);
    high_ms = std::max(high_ms, delay_ms);
    sum_ms += static_cast<double>(delay_ms);
  }
  EXPECT_EQ(low_ms, 0);
  EXPECT_EQ(high_ms, 5000);  // reaches the cap
  EXPECT_NEAR(sum_ms / kDraws, 2500.0, 25.0);
}

TEST(RetryBackoff, NoOverflowAtAttempt64AndBeyond) {
  RetryPolicy policy(RetryOptions{}, 3);
  for (const std::uint32_t attempt : {62u, 63u, 64u, 65u, 100u, 1000u, 0xFFFF'FFFFu}) {
    EXPECT_EQ(policy.backoff_ceiling_ms(attempt), 5000) << attempt;
    for (int i = 0; i < 100; ++i) {
      const std::int64_t delay_ms = policy.backoff_ms(attempt);
      ASSERT_GE(delay_ms, 0);
      ASSERT_LE(delay_ms, 5000);
    }
  }
  // The widest range: base 1, no cap to speak of.
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  RetryPolicy wide(RetryOptions{.base_ms = 1, .cap_ms = kMax}, 3);
  EXPECT_EQ(wide.backoff_ceiling_ms(61), std::int64_t{1} << 61);
  EXPECT_EQ(wide.backoff_ceiling_ms(62), std::int64_t{1} << 62);
  EXPECT_EQ(wide.backoff_ceiling_ms(63), kMax);
  EXPECT_EQ(wide.backoff_ceiling_ms(64), kMax);
  for (int i = 0; i < 100; ++i) EXPECT_GE(wide.backoff_ms(64), 0);
  const RetryPolicy huge_base(RetryOptions{.base_ms = kMax, .cap_ms = kMax}, 3);
  EXPECT_EQ(huge_base.backoff_ceiling_ms(0), kMax);
  EXPECT_EQ(huge_base.backoff_ceiling_ms(1), kMax);
}

TEST(RetryBackoff, SameSeedSameSequence) {
  RetryPolicy a(RetryOptions{}, 42);
  RetryPolicy b(RetryOptions{}, 42);
  RetryPolicy other(RetryOptions{}, 43);
  int differences = 0;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const std::int64_t delay_ms = a.backoff_ms(i % 12);
    ASSERT_EQ(delay_ms, b.backoff_ms(i % 12)) << i;
    if (delay_ms != other.backoff_ms(i % 12)) ++differences;
  }
  EXPECT_GT(differences, 900);
}

TEST(RetryBudget, AQuietClientCanRetryUpToTheFloor) {
  RetryPolicy policy(RetryOptions{}, 1);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(policy.try_acquire_retry()) << i;
  EXPECT_FALSE(policy.try_acquire_retry());
  EXPECT_EQ(policy.calls(), 0u);
  EXPECT_EQ(policy.retries(), 10u);
  EXPECT_EQ(policy.retries_refused(), 1u);
}

TEST(RetryBudget, NeverExceedsTenPercentPlusTheFloorWhenEveryCallFails) {
  RetryPolicy policy(RetryOptions{}, 1);
  for (int call = 0; call < 100'000; ++call) {
    policy.record_call();
    // Every attempt fails; each call would retry three times if allowed.
    for (int retry = 0; retry < 3 && policy.try_acquire_retry(); ++retry) {
    }
    ASSERT_LE(policy.retries(), 10 + policy.calls() / 10) << "after call " << call;
  }
  // The bound is met, not merely respected (no budget lost to rounding): the floor plus
  // a tenth of every call but the first, whose share found the bucket full.
  EXPECT_EQ(policy.retries(), 10u + 9'999u);
  EXPECT_EQ(policy.calls(), 100'000u);
}

TEST(RetryBudget, RecoversAsNewCallsComeIn) {
  RetryPolicy policy(RetryOptions{}, 1);
  while (policy.try_acquire_retry()) {
  }
  for (int round = 0; round < 5; ++round) {
    for (int call = 0; call < 9; ++call) {
      policy.record_call();
      EXPECT_FALSE(policy.try_acquire_retry()) << "round " << round << " call " << call;
    }
    policy.record_call();  // the tenth call funds one retry
    EXPECT_TRUE(policy.try_acquire_retry()) << "round " << round;
    EXPECT_FALSE(policy.try_acquire_retry()) << "round " << round;
  }
  EXPECT_EQ(policy.retries(), 10u + 5u);
}

TEST(RetryBudget, AnOldBurstOfCallsDoesNotFundRetriesForever) {
  RetryPolicy policy(RetryOptions{}, 1);
  for (int call = 0; call < 1'000'000; ++call) policy.record_call();  // all succeed
  std::uint64_t storm_retries = 0;
  for (int call = 0; call < 1000; ++call) {  // then every call fails
    policy.record_call();
    while (policy.try_acquire_retry()) ++storm_retries;
  }
  // At most the floor plus 10% of the storm's calls: the million before fund nothing more.
  EXPECT_LE(storm_retries, 10u + 100u);
  EXPECT_GE(storm_retries, 100u);
}

TEST(RetryBudget, ZeroRatioLeavesOnlyTheFloor) {
  RetryPolicy policy(RetryOptions{.budget_ratio = 0, .budget_min_retries = 2}, 1);
  for (int call = 0; call < 1000; ++call) policy.record_call();
  EXPECT_TRUE(policy.try_acquire_retry());
  EXPECT_TRUE(policy.try_acquire_retry());
  EXPECT_FALSE(policy.try_acquire_retry());
  policy.record_call();
  EXPECT_FALSE(policy.try_acquire_retry());
}

TEST(RetryOptions, DefaultsAreValidAndEachRangeIsChecked) {
  EXPECT_EQ(validate_options(RetryOptions{}), "");
  EXPECT_EQ(validate_options(RetryOptions{.base_ms = 1, .cap_ms = 1}), "");
  EXPECT_EQ(validate_options(RetryOptions{.budget_ratio = 0}), "");
  EXPECT_EQ(validate_options(RetryOptions{.budget_ratio = 1}), "");
  EXPECT_EQ(validate_options(RetryOptions{.budget_min_retries = kRetryMaxBudgetMinRetries}), "");
  EXPECT_EQ(validate_options(RetryOptions{.base_ms = 0}), "base_ms must be at least 1");
  EXPECT_EQ(validate_options(RetryOptions{.base_ms = 5001}), "cap_ms must be at least base_ms");
  EXPECT_EQ(validate_options(RetryOptions{.budget_ratio = -0.01}),
            "budget_ratio must be in [0, 1]");
  EXPECT_EQ(validate_options(RetryOptions{.budget_ratio = 1.01}), "budget_ratio must be in [0, 1]");
  EXPECT_EQ(validate_options(RetryOptions{.budget_ratio = std::nan("")}),
            "budget_ratio must be in [0, 1]");
  EXPECT_EQ(validate_options(RetryOptions{.budget_min_retries = 0}),
            "budget_min_retries must be in [1, 1000000]");
  EXPECT_EQ(validate_options(RetryOptions{.budget_min_retries = kRetryMaxBudgetMinRetries + 1}),
            "budget_min_retries must be in [1, 1000000]");
}

TEST(RetryOptionsDeathTest, ConstructorAssertsValidOptions) {
  EXPECT_DEATH((void)RetryPolicy(RetryOptions{.base_ms = 0}, 1),
               "retry: options pass validate_options");
}

}  // namespace
}  // namespace spot
