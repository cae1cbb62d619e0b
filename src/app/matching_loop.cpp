#include "spot/app/matching_loop.h"

#include <chrono>

#include "spot/net/log.h"

namespace spot {

MatchingLoop::MatchingLoop(Engine& engine, OrderQueue& queue, Metrics& metrics, const Clock& clock,
                           std::size_t batch_max, MakerFillSink maker_fills)
    : engine_(engine),
      queue_(queue),
      metrics_(metrics),
      clock_(clock),
      batch_max_(batch_max),
      maker_fills_(std::move(maker_fills)) {}

MatchingLoop::~MatchingLoop() { stop(); }

void MatchingLoop::start() {
  thread_ = std::thread([this] { run(); });
}

void MatchingLoop::stop() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void MatchingLoop::run() {
  std::vector<Command> batch;
  batch.reserve(batch_max_);
  while (queue_.wait(std::chrono::milliseconds(50))) {
    batch.clear();
    queue_.pop_batch(batch, batch_max_);
    for (Command& command : batch) {
      Reply reply = engine_.execute(command.body, command.request_id);
      observe(command, reply);
      if (command.done) command.done(std::move(reply));
    }
  }
}

void MatchingLoop::observe(const Command& command, const Reply& reply) {
  if (!std::holds_alternative<SubmitOrder>(command.body)) return;
  const auto& r = std::get<OrderReply>(reply);
  if (r.reject != RejectReason::None) {
    metrics_.order_rejected(r.reject);
  } else if (!r.replayed) {
    metrics_.order_accepted();
    if (!r.fills.empty()) metrics_.trades(static_cast<double>(r.fills.size()));
    if (!r.maker_fills.empty() && maker_fills_) maker_fills_(r.maker_fills);
  }
  metrics_.order_latency(static_cast<double>(clock_.monotonic_ns() - command.received_ns) / 1e9);
}

}  // namespace spot
