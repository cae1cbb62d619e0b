// A token bucket per account: `rate` tokens/s up to `burst`.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "spot/core/clock.h"
#include "spot/core/types.h"

namespace spot {

class RateLimiter {
 public:
  RateLimiter(double rate_per_s, double burst, const Clock& clock);
  // Takes one token; when none is left returns false and sets retry_after_s.
  bool allow(AccountId account, double* retry_after_s = nullptr);

 private:
  struct Bucket {
    double tokens;
    std::int64_t updated_ns;
  };
  double rate_;
  double burst_;
  const Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, Bucket> buckets_;
};

}  // namespace spot
