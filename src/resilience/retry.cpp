#include "spot/resilience/retry.h"

#include <algorithm>
#include <cmath>

#include "spot/core/assert.h"

namespace spot {

std::string_view validate_options(const RetryOptions& options) {
  if (options.base_ms < 1) return "base_ms must be at least 1";
  if (options.cap_ms < options.base_ms) return "cap_ms must be at least base_ms";
  if (!(options.budget_ratio >= 0 && options.budget_ratio <= 1)) {
    return "budget_ratio must be in [0, 1]";
  }
  if (options.budget_min_retries < 1 || options.budget_min_retries > kRetryMaxBudgetMinRetries) {
    return "budget_min_retries must be in [1, 1000000]";
  }
  return {};
}

RetryPolicy::RetryPolicy(RetryOptions options, std::uint64_t seed)
    : options_(options),
      random_state_(seed),
      deposit_micros_(std::llround(options.budget_ratio * static_cast<double>(kMicrosPerToken))),
      capacity_micros_(static_cast<std::int64_t>(options.budget_min_retries) * kMicrosPerToken),
      balance_micros_(capacity_micros_) {
  SPOT_ASSERT(validate_options(options).empty(), "retry: options pass validate_options");
}

std::int64_t RetryPolicy::backoff_ceiling_ms(std::uint32_t attempt) const {
  // base * 2^attempt <= cap exactly when base <= cap / 2^attempt, so the left shift
  // cannot overflow; the guard keeps the shift count defined (below 64).
  if (attempt < 64 && options_.base_ms <= (options_.cap_ms >> attempt)) {
    return options_.base_ms << attempt;
  }
  return options_.cap_ms;
}

std::int64_t RetryPolicy::backoff_ms(std::uint32_t attempt) {
  const auto choices = static_cast<std::uint64_t>(backoff_ceiling_ms(attempt)) + 1;
  // The modulo bias is below choices / 2^64: negligible for delays in ms.
  return static_cast<std::int64_t>(next_random() % choices);
}

void RetryPolicy::record_call() {
  ++calls_;
  balance_micros_ = std::min(capacity_micros_, balance_micros_ + deposit_micros_);
}

bool RetryPolicy::try_acquire_retry() {
  if (balance_micros_ < kMicrosPerToken) {
    ++refused_;
    return false;
  }
  balance_micros_ -= kMicrosPerToken;
  ++retries_;
  return true;
}

// splitmix64 (Steele, Lea, Flood 2014): one 64-bit state, every seed is a good seed.
std::uint64_t RetryPolicy::next_random() {
  std::uint64_t z = (random_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace spot
