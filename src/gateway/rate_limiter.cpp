#include "spot/gateway/rate_limiter.h"

#include <algorithm>

namespace spot {

RateLimiter::RateLimiter(double rate_per_s, double burst, const Clock& clock)
    : rate_(rate_per_s), burst_(burst), clock_(clock) {}

bool RateLimiter::allow(AccountId account, double* retry_after_s) {
  const std::int64_t now = clock_.monotonic_ns();
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(account.value, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed_s = static_cast<double>(now - b.updated_ns) / 1e9;
    b.tokens = std::min(burst_, b.tokens + elapsed_s * rate_);
    b.updated_ns = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_s != nullptr) *retry_after_s = (1.0 - b.tokens) / rate_;
  return false;
}

}  // namespace spot
