#include "spot/gateway/fill_router.h"

namespace spot {

void FillRouter::subscribe(AccountId account, std::weak_ptr<FillSubscriber> subscriber) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Drop the account's ended subscriptions while here.
  auto range = by_account_.equal_range(account.value);
  for (auto it = range.first; it != range.second;) {
    it = it->second.expired() ? by_account_.erase(it) : std::next(it);
  }
  by_account_.emplace(account.value, std::move(subscriber));
}

void FillRouter::publish(const std::vector<MakerFill>& fills) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const MakerFill& fill : fills) {
    auto range = by_account_.equal_range(fill.account.value);
    for (auto it = range.first; it != range.second; ++it) {
      if (auto subscriber = it->second.lock()) subscriber->on_maker_fill(fill);
    }
  }
}

}  // namespace spot
