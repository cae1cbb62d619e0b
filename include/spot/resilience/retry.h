// Retries of calls to a dependency: exponential backoff with full jitter, and a retry
// budget so that retries never exceed a fraction of calls (DESIGN.md §6).
//
// The budget is a token bucket counted in calls, not in time (the policy has no clock):
//   - it starts full, holding budget_min_retries tokens, and never holds more;
//   - every call (record_call) adds budget_ratio of a token;
//   - every retry (try_acquire_retry) takes one whole token, or is refused.
// So over any stretch of calls, retries <= budget_min_retries + budget_ratio * calls:
// the floor lets a client that has not retried lately retry at once, and the cap means
// an old burst of calls funds at most the floor, never retries forever. As in gRPC's
// retry throttling, the tokens refill only through calls; unlike Finagle's
// minRetriesPerSec, the floor is not refilled by time passing.
//
// Pure code: no I/O, no threads, no logging. Not thread-safe: one owner calls it, or the
// caller serialises calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spot {

// Defaults from DESIGN.md §6. The ranges are validate_options() below.
struct RetryOptions {
  std::int64_t base_ms = 50;            // exponential backoff with full jitter:
  std::int64_t cap_ms = 5000;           //   delay = uniform(0, min(cap, base * 2^attempt))
  double budget_ratio = 0.1;            // the share of a retry token each call adds
  std::size_t budget_min_retries = 10;  // the bucket's size and start: the floor above
};

// Keeps the budget's arithmetic (millionths of a token) far from overflow.
inline constexpr std::size_t kRetryMaxBudgetMinRetries = 1'000'000;

// Empty when the options are usable, else the rule they break: 1 <= base_ms <= cap_ms;
// 0 <= budget_ratio <= 1; 1 <= budget_min_retries <= kRetryMaxBudgetMinRetries. For
// config validation; the RetryPolicy constructor asserts it.
std::string_view validate_options(const RetryOptions& options);

class RetryPolicy {
 public:
  // `seed` makes the jitter reproducible (splitmix64).
  // REQUIRES: validate_options(options) is empty.
  RetryPolicy(RetryOptions options, std::uint64_t seed);

  // Delay before retry number `attempt` (0 = the first retry) in ms: uniform over the
  // integers [0, backoff_ceiling_ms(attempt)]. Advances the generator.
  std::int64_t backoff_ms(std::uint32_t attempt);
  // min(cap_ms, base_ms * 2^attempt), without overflow for any attempt.
  std::int64_t backoff_ceiling_ms(std::uint32_t attempt) const;

  // A call: every first attempt, not its retries. Adds budget_ratio of a token.
  void record_call();
  // May one retry go now? If so it takes a token and counts as a retry.
  bool try_acquire_retry();

  std::uint64_t calls() const { return calls_; }
  std::uint64_t retries() const { return retries_; }          // retries granted
  std::uint64_t retries_refused() const { return refused_; }  // refused for lack of budget

 private:
  // The budget in millionths of a token, so that whole-number sums stay exact.
  static constexpr std::int64_t kMicrosPerToken = 1'000'000;

  std::uint64_t next_random();

  const RetryOptions options_;
  std::uint64_t random_state_;
  const std::int64_t deposit_micros_;  // budget_ratio, in millionths of a token
  const std::int64_t capacity_micros_;
  std::int64_t balance_micros_;
  std::uint64_t calls_ = 0;
  std::uint64_t retries_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace spot
