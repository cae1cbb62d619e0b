// IdempotencyWindow: the idempotency keys of orders the engine no longer remembers in
// full, kept compactly as (key hash -> order id), first in first out, at most
// `capacity` of them. The engine consults it after its record index, so that a client
// resending an order whose record has left memory is told the original order's id
// instead of getting a second order.
//
// Only the 64-bit hash of (account, client id) is kept, not the client id itself, so a
// hit cannot be verified: a different key of the same account that hashes alike is
// taken for the forgotten one (probability about size() / 2^64 per keyed submit).
//
// Memory: a ring of 16-byte entries that grows to `capacity` and is then overwritten in
// place, and a FlatIndex (16-byte slots, load factor at most 1/2) over it: 48 to 80
// bytes per key, 49.6 at the default of 1,000,000 keys (memory_bytes(); 47 MiB).
// Once the ring is full, adding a key allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "spot/core/flat_index.h"

namespace spot {

class IdempotencyWindow {
 public:
  // REQUIRES: capacity < 2^32 - 1 (ring positions are the index's 32-bit values).
  explicit IdempotencyWindow(std::size_t capacity);

  std::size_t capacity() const { return capacity_; }
  // Entries in the ring, including any superseded by a newer entry under the same hash.
  std::size_t size() const { return ring_.size(); }

  // Files key_hash -> order_id as the newest entry; when the window is full the oldest
  // entry leaves it. A hash already present (two keys that collide) then names the
  // newer order. Does nothing when capacity() is 0. REQUIRES: order_id != 0.
  void add(std::uint64_t key_hash, std::uint64_t order_id);

  // The order id filed under key_hash, or 0 if the window has none.
  std::uint64_t find(std::uint64_t key_hash) const;

  // Calls fn(key_hash, order_id) for every entry, oldest first: the order in which
  // `add` must see them again to rebuild this window exactly.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < ring_.size(); ++i) {
      const Entry& e = ring_[(oldest_ + i) % ring_.size()];
      fn(e.key_hash, e.order_id);
    }
  }

  // Grows (once) so that n entries fit without reallocating (restore).
  void reserve(std::size_t n);

  // Bytes allocated by the ring and the index.
  std::size_t memory_bytes() const;

  bool check_invariants(std::string* why = nullptr) const;

 private:
  struct Entry {
    std::uint64_t key_hash = 0;
    std::uint64_t order_id = 0;
  };
  using Index = FlatIndex<FibonacciHash>;  // key hashes are well mixed already

  std::size_t capacity_;
  std::vector<Entry> ring_;  // grows to capacity_, then is overwritten at oldest_
  std::size_t oldest_ = 0;   // ring position of the oldest entry (0 until the ring is full)
  Index index_;              // key hash -> ring position of the newest entry under it
};

}  // namespace spot
