#include "spot/gateway/gateway.h"

#include <variant>

#include "spot/log/log.h"
#include "spot/metrics/metrics.h"

namespace spot {
namespace {

// Commands about one account's own orders or money. A balance query without a caller
// must never reach the engine: its account field would be 0, the fee account. (The
// admin API names the account it reads as the caller.)
bool needs_account(const CommandBody& body) {
  return std::holds_alternative<SubmitOrder>(body) || std::holds_alternative<CancelRequest>(body) ||
         std::holds_alternative<GetOrder>(body) || std::holds_alternative<OpenOrders>(body) ||
         std::holds_alternative<GetBalances>(body);
}

bool rate_limited_kind(const CommandBody& body) {
  return std::holds_alternative<SubmitOrder>(body) || std::holds_alternative<CancelRequest>(body);
}

void set_account(CommandBody& body, AccountId account) {
  std::visit(
      [account](auto& command) {
        if constexpr (requires { command.account; }) command.account = account;
      },
      body);
}

}  // namespace

void Gateway::fail(const std::string& reason) {
  std::lock_guard<std::mutex> lock(failure_mutex_);
  if (failure_.empty()) failure_ = reason;
  failed_.store(true, std::memory_order_release);
}

std::string Gateway::failure() const {
  std::lock_guard<std::mutex> lock(failure_mutex_);
  return failure_;
}

std::optional<Refused> Gateway::refuse(const Request& request, RejectReason reason,
                                       double retry_after_s) {
  if (std::holds_alternative<SubmitOrder>(request.body)) metrics_.order_rejected(reason);
  const bool noisy = reason == RejectReason::Overloaded;
  const std::string account =
      request.account ? std::to_string(request.account->value) : std::string("none");
  if (noisy) {
    log::warn("request refused", request.request_id,
              {{"reason", std::string(to_string(reason))}, {"account", account}});
  } else {
    log::info("request refused", request.request_id,
              {{"reason", std::string(to_string(reason))}, {"account", account}});
  }
  return Refused{reason, retry_after_s};
}

std::optional<Refused> Gateway::submit(Request request, ReplyCallback on_reply) {
  const bool order = std::holds_alternative<SubmitOrder>(request.body);
  if (order) metrics_.order_received();
  if (needs_account(request.body)) {
    if (!request.account) return refuse(request, RejectReason::Unauthorized);
    set_account(request.body, *request.account);
  }
  if (!ready()) return refuse(request, RejectReason::NotReady);
  if (request.account && rate_limited_kind(request.body)) {
    double retry_after_s = 0;
    if (!limiter_.allow(*request.account, &retry_after_s)) {
      return refuse(request, RejectReason::RateLimited, retry_after_s);
    }
  }
  if (request.invalid != RejectReason::None) return refuse(request, request.invalid);
  Command command;
  command.body = std::move(request.body);
  command.request_id = std::move(request.request_id);
  command.received_ns = clock_.monotonic_ns();
  command.done = std::move(on_reply);
  // Count before the push: the reply may be delivered before try_push returns.
  admitted_.fetch_add(1, std::memory_order_acq_rel);
  if (!queue_.try_push(command)) {
    admitted_.fetch_sub(1, std::memory_order_acq_rel);
    request.body = std::move(command.body);
    request.request_id = std::move(command.request_id);
    return refuse(request, RejectReason::Overloaded);
  }
  return std::nullopt;
}

}  // namespace spot
