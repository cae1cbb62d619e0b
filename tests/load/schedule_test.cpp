#include <gtest/gtest.h>

#include <vector>

#include "bench/load/schedule.h"

namespace spot::bench::load {
namespace {

TEST(OpsFor, RoundsUpWithoutFloatingPointNoise) {
  EXPECT_EQ(ops_for(1000, 10), 10'000u);
  EXPECT_EQ(ops_for(1000, 0.3), 300u);
  EXPECT_EQ(ops_for(3, 0.5), 2u);
  EXPECT_EQ(ops_for(1.5, 1), 2u);
  EXPECT_EQ(ops_for(1000, 0), 0u);
}

TEST(Schedule, OpIIsDueAtStartPlusIOverRate) {
  const Schedule s(5'000, 1000);
  EXPECT_EQ(s.intended_ns(0), 5'000);
  EXPECT_EQ(s.intended_ns(1), 1'005'000);
  EXPECT_EQ(s.intended_ns(1000), 1'000'005'000);
  const Schedule fast(0, 200'000);
  EXPECT_EQ(fast.intended_ns(7), 35'000);
  // Exact at large indexes too: 10M ops at 3/s is 3,333,333.33 s.
  const Schedule slow(0, 3);
  EXPECT_NEAR(static_cast<double>(slow.intended_ns(10'000'000)), 10'000'000 / 3.0 * 1e9, 1e3);
}

std::vector<double> run_sweep(SweepPlanner& p, double capacity) {
  std::vector<double> rates;
  while (const auto r = p.next_rate()) {
    rates.push_back(*r);
    p.report(*r <= capacity);
    if (rates.size() > 100) break;
  }
  return rates;
}

TEST(SweepPlanner, GrowsThenBisects) {
  SweepPlanner p(1000, 200'000);
  const auto rates = run_sweep(p, 4000);
  const std::vector<double> expected = {1000, 1500, 2250, 3375, 5063, 4219, 3797, 4008};
  EXPECT_EQ(rates, expected);
  EXPECT_EQ(p.best_rate(), 3797);
}

TEST(SweepPlanner, StopsAtTheMaximum) {
  SweepPlanner p(1000, 3000);
  const auto rates = run_sweep(p, 1e9);
  const std::vector<double> expected = {1000, 1500, 2250, 3000};
  EXPECT_EQ(rates, expected);
  EXPECT_EQ(p.best_rate(), 3000);
}

TEST(SweepPlanner, FirstStepBadSearchesBelowIt) {
  SweepPlanner p(1000, 10'000);
  const auto rates = run_sweep(p, 300);
  const std::vector<double> expected = {1000, 500, 250, 375};
  EXPECT_EQ(rates, expected);
  EXPECT_EQ(p.best_rate(), 250);
}

TEST(SweepPlanner, NothingGoodEndsAtZero) {
  SweepPlanner p(2, 10);
  run_sweep(p, 0);
  EXPECT_EQ(p.best_rate(), 0);
  EXPECT_FALSE(p.next_rate().has_value());
}

TEST(SweepPlanner, StartEqualToMaximumIsOneStep) {
  SweepPlanner p(500, 500);
  EXPECT_EQ(run_sweep(p, 1e9).size(), 1u);
  EXPECT_EQ(p.best_rate(), 500);
}

}  // namespace
}  // namespace spot::bench::load
