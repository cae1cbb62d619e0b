#include "spot/engine/order_queue.h"

#include "spot/core/assert.h"

namespace spot {

RingOrderQueue::RingOrderQueue(std::size_t capacity)
    : cells_(std::make_unique<Cell[]>(capacity)), mask_(capacity - 1) {
  SPOT_ASSERT(capacity >= 2 && (capacity & (capacity - 1)) == 0,
              "order queue: capacity is a power of two, at least 2");
  for (std::size_t i = 0; i < capacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
}

RingOrderQueue::~RingOrderQueue() = default;

bool RingOrderQueue::try_push(Command& command) {
  if (closed_.load(std::memory_order_acquire)) return false;
  std::size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
  Cell* cell = nullptr;
  while (true) {
    cell = &cells_[pos & mask_];
    const std::size_t seq = cell->sequence.load(std::memory_order_acquire);
    const auto diff = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos);
    if (diff == 0) {
      if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
    } else if (diff < 0) {
      return false;  // full
    } else {
      pos = enqueue_pos_.load(std::memory_order_relaxed);
    }
  }
  cell->command = std::move(command);
  // Dekker-style handshake with wait(): either we see the consumer asleep and wake it,
  // or the consumer's re-check after announcing sleep sees this command. Both sides
  // store then load with seq_cst operations (not fences, which ThreadSanitizer does not
  // model), so the sequence store cannot move after the flag load.
  cell->sequence.store(pos + 1, std::memory_order_seq_cst);
  if (consumer_sleeping_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lock(mutex_);
    wakeup_.notify_one();
  }
  return true;
}

std::size_t RingOrderQueue::pop_batch(std::vector<Command>& out, std::size_t max) {
  std::size_t popped = 0;
  std::size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
  while (popped < max) {
    Cell& cell = cells_[pos & mask_];
    const std::size_t seq = cell.sequence.load(std::memory_order_acquire);
    if (seq != pos + 1) break;  // empty (or a producer has claimed but not yet filled)
    out.push_back(std::move(cell.command));
    cell.command = Command{};
    cell.sequence.store(pos + mask_ + 1, std::memory_order_release);
    ++pos;
    ++popped;
  }
  dequeue_pos_.store(pos, std::memory_order_relaxed);
  return popped;
}

bool RingOrderQueue::empty() const {
  const std::size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
  // seq_cst: the load half of wait()'s side of the handshake in try_push().
  return cells_[pos & mask_].sequence.load(std::memory_order_seq_cst) != pos + 1;
}

bool RingOrderQueue::wait(std::chrono::milliseconds timeout) {
  if (!empty()) return true;
  std::unique_lock<std::mutex> lock(mutex_);
  consumer_sleeping_.store(true, std::memory_order_seq_cst);
  if (empty() && !closed_.load(std::memory_order_acquire)) {
    wakeup_.wait_for(lock, timeout);
  }
  consumer_sleeping_.store(false, std::memory_order_relaxed);
  return !(closed_.load(std::memory_order_acquire) && empty());
}

void RingOrderQueue::close() {
  closed_.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(mutex_);
  wakeup_.notify_all();
}

std::size_t RingOrderQueue::size() const {
  const std::size_t head = dequeue_pos_.load(std::memory_order_relaxed);
  const std::size_t tail = enqueue_pos_.load(std::memory_order_relaxed);
  return tail > head ? tail - head : 0;
}

}  // namespace spot
