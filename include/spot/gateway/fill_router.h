// FillRouter: tells makers of their fills. The matching loop publishes the fills of
// resting orders hit by a taker (once the trade is durable); each session that wants
// them (TCP today) subscribes for its account and is handed its own.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "spot/engine/commands.h"

namespace spot {

class FillSubscriber {
 public:
  virtual ~FillSubscriber() = default;
  // Runs on the publisher's thread. Must not block and must not render: it only hands
  // the fill to the subscriber's own executor.
  virtual void on_maker_fill(const MakerFill& fill) = 0;
};

class FillRouter {
 public:
  // A subscription ends when the subscriber is destroyed.
  void subscribe(AccountId account, std::weak_ptr<FillSubscriber> subscriber);
  // Thread-safe.
  void publish(const std::vector<MakerFill>& fills);

 private:
  std::mutex mutex_;
  std::multimap<std::uint64_t, std::weak_ptr<FillSubscriber>> by_account_;
};

}  // namespace spot
