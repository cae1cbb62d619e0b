// MatchingLoop: the one thread that owns the Engine. It takes commands from the
// OrderQueue in batches, executes them in order, and hands each reply back.
#pragma once

#include <functional>
#include <thread>
#include <vector>

#include "spot/core/clock.h"
#include "spot/engine/engine.h"
#include "spot/engine/order_queue.h"
#include "spot/journal/journal.h"
#include "spot/metrics/metrics.h"

namespace spot {

class MatchingLoop {
 public:
  // Called with the fills of resting orders hit by a taker, so the makers' connections
  // can be told; with a journal, on the journal thread once the trade is durable. Must
  // not block.
  using MakerFillSink = std::function<void(const std::vector<MakerFill>&)>;

  // With a journal, every reply waits for the fsync of the command (and of all
  // commands before it); if the journal fails, replies turn into NotReady rejects and
  // `on_journal_failure` runs.
  MatchingLoop(Engine& engine, OrderQueue& queue, Metrics& metrics, const Clock& clock,
               std::size_t batch_max, MakerFillSink maker_fills, JournalWriter* journal = nullptr,
               std::function<void()> on_journal_failure = {});
  ~MatchingLoop();

  // REQUIRES (before start): next_seq is the sequence number of the next journal record.
  void set_next_seq(std::uint64_t next_seq) { next_seq_ = next_seq; }
  // The sequence number of the last journaled command (valid after stop()).
  std::uint64_t last_seq() const { return next_seq_ - 1; }

  void start();
  // Closes the queue, finishes what is in it, and joins the thread.
  void stop();

 private:
  void run();
  void observe(const Command& command, const Reply& reply);
  void notify_makers(const Reply& reply) const;

  Engine& engine_;
  OrderQueue& queue_;
  Metrics& metrics_;
  const Clock& clock_;
  std::size_t batch_max_;
  MakerFillSink maker_fills_;
  JournalWriter* journal_;
  std::function<void()> on_journal_failure_;
  std::uint64_t next_seq_ = 1;
  std::thread thread_;
};

}  // namespace spot
