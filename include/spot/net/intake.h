// What every order-entry path (HTTP and TCP) shares before a command reaches the
// OrderQueue: API-key lookup, the per-account rate limit, correlation ids, and the
// count of requests in flight (for draining).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "spot/core/clock.h"
#include "spot/core/types.h"
#include "spot/engine/order_queue.h"

namespace spot {

class Metrics;

std::string sha256_hex(std::string_view data);
// 32 random bytes from the OS CSPRNG, hex encoded (64 characters).
std::string random_hex(std::size_t bytes);
// Compares two secrets in time independent of where they differ (and of their
// lengths: both are hashed first).
bool constant_time_equal(std::string_view a, std::string_view b);

// Returns `client_value` when it is a sane correlation id (1-64 characters of
// [A-Za-z0-9._:-]), else a newly generated one.
std::string correlation_id(std::string_view client_value);

// API key (hashed) -> account, read by every I/O thread.
class AccountDirectory {
 public:
  void add(const std::string& key_hash, AccountId account);
  std::optional<AccountId> find_by_key(std::string_view api_key) const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, AccountId> by_hash_;
};

// Token bucket per account: `rate` tokens/s up to `burst`.
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

class Intake {
 public:
  Intake(OrderQueue& queue, AccountDirectory& accounts, RateLimiter& limiter, Metrics& metrics,
         const Clock& clock)
      : queue_(queue), accounts_(accounts), limiter_(limiter), metrics_(metrics), clock_(clock) {}

  // Pushes a command; false when the queue is full (the caller answers "overloaded").
  // Counts the command as in flight until its reply has been handed back.
  bool push(Command& command);
  void reply_delivered() { inflight_.fetch_sub(1, std::memory_order_acq_rel); }

  std::int64_t inflight() const { return inflight_.load(std::memory_order_acquire); }
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  void start_draining() { draining_.store(true, std::memory_order_release); }
  bool ready() const { return ready_.load(std::memory_order_acquire) && !draining(); }
  void set_ready(bool ready) { ready_.store(ready, std::memory_order_release); }

  AccountDirectory& accounts() { return accounts_; }
  RateLimiter& limiter() { return limiter_; }
  Metrics& metrics() { return metrics_; }
  const Clock& clock() const { return clock_; }
  OrderQueue& queue() { return queue_; }

 private:
  OrderQueue& queue_;
  AccountDirectory& accounts_;
  RateLimiter& limiter_;
  Metrics& metrics_;
  const Clock& clock_;
  std::atomic<std::int64_t> inflight_{0};
  std::atomic<bool> draining_{false};
  std::atomic<bool> ready_{false};
};

}  // namespace spot
