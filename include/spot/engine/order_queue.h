// OrderQueue: decouples admission (the gateway, on many I/O threads) from matching (one
// thread). The gateway pushes commands; the matching thread pops them in batches. Every queue is
// bounded: a full queue refuses the push and the caller answers "overloaded" at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "spot/engine/commands.h"

namespace spot {

class OrderQueue {
 public:
  virtual ~OrderQueue() = default;

  // Never blocks. Returns false (and leaves `command` untouched) when the queue is
  // full or closed.
  virtual bool try_push(Command& command) = 0;

  // Moves up to `max` commands into `out` (appending). Never blocks. Single consumer.
  virtual std::size_t pop_batch(std::vector<Command>& out, std::size_t max) = 0;

  // Blocks the consumer until a command may be available, the queue is closed, or
  // `timeout` passes. Returns false once the queue is closed and empty.
  virtual bool wait(std::chrono::milliseconds timeout) = 0;

  // Refuses further pushes and wakes the consumer.
  virtual void close() = 0;

  virtual std::size_t size() const = 0;
  virtual std::size_t capacity() const = 0;
};

// The default OrderQueue: a bounded lock-free ring (Vyukov's bounded queue: each cell
// carries a sequence number, producers claim cells with one CAS), with a condition
// variable the consumer sleeps on only after finding the ring empty.
class RingOrderQueue final : public OrderQueue {
 public:
  // REQUIRES: capacity is a power of two >= 2.
  explicit RingOrderQueue(std::size_t capacity);
  ~RingOrderQueue() override;

  bool try_push(Command& command) override;
  std::size_t pop_batch(std::vector<Command>& out, std::size_t max) override;
  bool wait(std::chrono::milliseconds timeout) override;
  void close() override;
  std::size_t size() const override;
  std::size_t capacity() const override { return mask_ + 1; }

 private:
  struct Cell {
    std::atomic<std::size_t> sequence;
    Command command;
  };

  bool empty() const;

  std::unique_ptr<Cell[]> cells_;
  std::size_t mask_;
  alignas(64) std::atomic<std::size_t> enqueue_pos_{0};
  alignas(64) std::atomic<std::size_t> dequeue_pos_{0};
  alignas(64) std::atomic<bool> consumer_sleeping_{false};
  std::atomic<bool> closed_{false};
  std::mutex mutex_;
  std::condition_variable wakeup_;
};

}  // namespace spot
