// Gateway: the one admission path every protocol (HTTP, TCP, admin) takes to the
// engine. It owns the order of checks (authenticated, ready, rate limit, the codec's
// verdict, room in the queue), counts every order and every reject once, and knows
// whether spotd is ready or draining. Protocols decode and render; the gateway
// decides.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "spot/core/clock.h"
#include "spot/engine/commands.h"
#include "spot/engine/order_queue.h"
#include "spot/gateway/account_directory.h"
#include "spot/gateway/rate_limiter.h"

namespace spot {

class Metrics;

struct GatewayOptions {
  double orders_per_second_per_account = 50'000;  // the rate limit's refill
  double burst_per_account = 100'000;             // and its bucket
  std::size_t max_api_key_bytes = 256;            // longer keys are refused unhashed
};

class Gateway {
 public:
  Gateway(OrderQueue& queue, const AccountDirectory& accounts, RateLimiter& limiter,
          Metrics& metrics, const Clock& clock)
      : queue_(queue), accounts_(accounts), limiter_(limiter), metrics_(metrics), clock_(clock) {}

  // API key -> account (nullopt for a missing or unknown key).
  std::optional<AccountId> authenticate(std::string_view api_key) const {
    return accounts_.find_by_key(api_key);
  }

  struct Request {
    CommandBody body;  // its account field is filled in from `account`
    std::string request_id;
    // The authenticated caller; orders, cancels and order queries need one.
    std::optional<AccountId> account;
    // The protocol codec's verdict: the request did not decode (BadRequest, or a
    // field's reason such as UnknownSymbol or BadPrice).
    RejectReason invalid = RejectReason::None;
  };

  // Checks, in this order: an account where the command needs one (Unauthorized),
  // ready and not draining (NotReady), the account's rate limit for orders and cancels
  // (RateLimited), the codec's verdict, room in the OrderQueue (Overloaded). Returns
  // nullopt when the command was queued: `on_reply` then runs exactly once with the
  // engine's reply (see Command::done: it must only hand the reply to the caller's
  // executor). Otherwise returns why, and `on_reply` never runs. Thread-safe.
  std::optional<Refused> submit(Request request, ReplyCallback on_reply);

  // Commands queued so far; each gets exactly one reply (MatchingLoop::replied counts
  // them), so admitted() == replied() means nothing is in flight.
  std::uint64_t admitted() const { return admitted_.load(std::memory_order_acquire); }

  bool ready() const { return ready_.load(std::memory_order_acquire) && !draining() && !failed(); }
  void set_ready(bool ready) { ready_.store(ready, std::memory_order_release); }
  // Fails closed for good (the journal failed): never ready again. `reason` says why,
  // for /readyz (e.g. "journal: no_space"); the first reason is kept.
  void fail(const std::string& reason);
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  std::string failure() const;
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  void start_draining() { draining_.store(true, std::memory_order_release); }

 private:
  std::optional<Refused> refuse(const Request& request, RejectReason reason,
                                double retry_after_s = 0);

  OrderQueue& queue_;
  const AccountDirectory& accounts_;
  RateLimiter& limiter_;
  Metrics& metrics_;
  const Clock& clock_;
  std::atomic<std::uint64_t> admitted_{0};
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mutex_;
  std::string failure_;
};

}  // namespace spot
