// MatchingLoop: the one thread that owns the Engine. It takes commands from the
// OrderQueue in batches, executes them in order, and hands each reply back.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "spot/core/clock.h"
#include "spot/engine/engine.h"
#include "spot/engine/order_queue.h"
#include "spot/gateway/fill_router.h"
#include "spot/journal/journal.h"
#include "spot/metrics/metrics.h"

namespace spot {

class MatchingLoop {
 public:
  // With a journal, the engine never runs ahead of it: the loop takes a command off
  // the queue only when the journal has room for its record (a slow journal fills the
  // queue, and the gateway answers "overloaded"), and every reply waits for the fsync of the
  // command and of all commands before it. Once the journal fails, or refuses a
  // command the engine has executed, the loop halts for good: `on_journal_failure`
  // runs, nothing more is executed, and every reply is a NotReady reject.
  // The fills of resting orders hit by a taker go to `maker_fills` (may be null) once
  // the trade is durable, on the thread that ran the fsync: the journal's writer thread,
  // or this loop's own (JournalOptions::writer_thread false), which writes and fsyncs
  // after each batch it executed.
  MatchingLoop(Engine& engine, OrderQueue& queue, Metrics& metrics, const Clock& clock,
               std::size_t batch_max, FillRouter* maker_fills, JournalWriter* journal = nullptr,
               std::function<void()> on_journal_failure = {});
  ~MatchingLoop();

  // True once the engine may hold a command the journal does not: its state must then
  // never be snapshotted or served again. Valid after stop().
  bool halted() const { return halted_; }

  // When the matching thread last went round its loop (monotonic ns; it does at least
  // every 50 ms while running, unless an fsync of its own journal commit takes longer):
  // the service watchdog's sign of life.
  std::int64_t heartbeat_ns() const { return heartbeat_ns_.load(std::memory_order_relaxed); }
  // Replies handed back so far (Command::done run); see Gateway::admitted.
  std::uint64_t replied() const { return replied_.load(std::memory_order_acquire); }

  void start();
  // Closes the queue, finishes what is in it, and joins the thread.
  void stop();

 private:
  void run();
  // `now_ns`: wall-clock time, recorded in the journal beside the command.
  void execute_journaled(Command& command, std::int64_t now_ns);
  void halt();
  void observe(const Command& command, const Reply& reply);
  void notify_makers(const Reply& reply) const;
  // The time a batch's records are stamped with: the wall clock, but never earlier than
  // the stamp before (Engine::last_time_ns).
  std::int64_t stamp();
  // The book gauges (spot_book_*), at most every 100 ms.
  void publish_books();
  // Hands a reply back and counts it.
  void reply(ReplyCallback& done, Reply&& reply);

  Engine& engine_;
  OrderQueue& queue_;
  Metrics& metrics_;
  const Clock& clock_;
  std::size_t batch_max_;
  FillRouter* maker_fills_;
  JournalWriter* journal_;
  std::function<void()> on_journal_failure_;
  bool halted_ = false;         // matching thread (read after stop)
  bool clock_behind_ = false;   // matching thread: the wall clock reads behind, said once
  std::size_t high_water_ = 0;  // matching thread
  std::string payload_;         // matching thread: a journal record's payload, reused
  std::int64_t books_published_ns_ = -1'000'000'000'000;  // matching thread
  std::atomic<std::uint64_t> replied_{0};
  std::atomic<std::int64_t> heartbeat_ns_{0};
  std::thread thread_;
};

}  // namespace spot
