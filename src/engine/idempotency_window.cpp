#include "spot/engine/idempotency_window.h"

#include <algorithm>

#include "spot/core/assert.h"

namespace spot {

IdempotencyWindow::IdempotencyWindow(std::size_t capacity) : capacity_(capacity) {
  SPOT_ASSERT(capacity < Index::kNone, "idempotency window: ring positions fit below kNone");
}

void IdempotencyWindow::add(std::uint64_t key_hash, std::uint64_t order_id) {
  SPOT_ASSERT(order_id != 0, "idempotency window: order ids are non-zero");
  if (capacity_ == 0) return;
  std::uint32_t at = 0;
  if (ring_.size() < capacity_) {
    // Grow by doubling, but never past capacity_: a full window allocates exactly it.
    if (ring_.size() == ring_.capacity()) {
      ring_.reserve(std::min(capacity_, std::max<std::size_t>(16, 2 * ring_.size())));
    }
    at = static_cast<std::uint32_t>(ring_.size());
    ring_.push_back(Entry{key_hash, order_id});
  } else {
    at = static_cast<std::uint32_t>(oldest_);
    // The oldest entry leaves; its hash leaves the index unless a newer entry took it.
    const std::uint64_t leaving = ring_[at].key_hash;
    if (index_.find(leaving) == at) index_.erase(leaving);
    ring_[at] = Entry{key_hash, order_id};
    oldest_ = (oldest_ + 1) % capacity_;
  }
  if (!index_.insert(key_hash, at)) {
    index_.erase(key_hash);
    index_.insert(key_hash, at);
  }
}

std::uint64_t IdempotencyWindow::find(std::uint64_t key_hash) const {
  const std::uint32_t at = index_.find(key_hash);
  return at == Index::kNone ? 0 : ring_[at].order_id;
}

void IdempotencyWindow::reserve(std::size_t n) {
  if (n > capacity_) n = capacity_;
  ring_.reserve(n);
  index_.reserve(n);
}

std::size_t IdempotencyWindow::memory_bytes() const {
  return ring_.capacity() * sizeof(Entry) + index_.capacity() * (sizeof(std::uint64_t) * 2);
}

bool IdempotencyWindow::check_invariants(std::string* why) const {
  auto fail = [why](const char* msg) {
    if (why != nullptr) *why = msg;
    return false;
  };
  if (ring_.size() > capacity_) return fail("idempotency window holds more than its capacity");
  if (oldest_ != 0 && oldest_ >= ring_.size()) {
    return fail("idempotency window's oldest entry is outside the ring");
  }
  if (oldest_ != 0 && ring_.size() != capacity_) {
    return fail("idempotency window wrapped before it was full");
  }
  if (index_.size() > ring_.size()) return fail("idempotency index has more keys than entries");
  bool ok = true;
  index_.for_each([&](std::uint64_t key, std::uint32_t at) {
    if (at >= ring_.size() || ring_[at].key_hash != key || ring_[at].order_id == 0) ok = false;
  });
  if (!ok) return fail("idempotency index names an entry of another key");
  return true;
}

}  // namespace spot
