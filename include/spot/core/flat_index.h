// FlatIndex: an open-addressing hash index from a 64-bit key to a 32-bit slot number,
// the one used by the book (order ids, prices) and the engine (order ids, idempotency
// hashes). Linear probing with backward-shift deletion (no tombstones), power-of-two
// capacity, load factor at most 1/2. It allocates only when it grows, so an index
// sized for its steady state never allocates.
//
// Two ways to use it:
//  - unique keys: `insert` refuses a key already present, `find(key)` returns its
//    value, `erase(key)` removes it;
//  - repeated keys (e.g. a hash that stands for a longer key): `insert_duplicate`
//    files another entry under a key, `find(key, pred)` returns the first value
//    under the key that `pred` accepts (so the caller can verify each candidate
//    against what the hash stands for), `erase(key, value)` removes exactly that entry.
//
// `Hash` is the policy that picks a key's home slot: a type with
//   static std::size_t home(std::uint64_t key, unsigned shift, std::size_t mask)
// returning a position in [0, mask], where mask + 1 is the capacity and shift is
// 64 - log2(capacity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace spot {

// Plain Fibonacci hashing: the top bits of key * 2^64/phi. Spreads any key set evenly;
// the right choice for keys that are hashes already or have no locality to keep.
struct FibonacciHash {
  static std::size_t home(std::uint64_t key, unsigned shift, std::size_t /*mask*/) {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift);
  }
};

// Keys that differ only in their low 4 bits (a run of 16 consecutive order ids or
// prices) get consecutive slots, so the book's common access patterns (new ids in
// sequence, cancels of the oldest orders, prices near the touch) stay within four
// cache lines. Each block of 16 starts at a Fibonacci-hashed offset, so keys that are
// equal modulo the table size (which plain identity hashing would pile onto one slot)
// still spread across the table. Blocks of 64 clustered too much: an unsuccessful
// lookup then scanned long runs (W1-deep lost 25%); blocks of 16 beat both that and
// plain Fibonacci hashing on W1 and W1-deep (bench/RESULTS.md).
struct BlockFibonacciHash {
  static std::size_t home(std::uint64_t key, unsigned shift, std::size_t mask) {
    const std::uint64_t block_offset = ((key >> 4) * 0x9E3779B97F4A7C15ull) >> shift;
    return static_cast<std::size_t>(((key & 15) + block_offset) & mask);
  }
};

template <class Hash>
class FlatIndex {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;  // "no value"; never stored

  explicit FlatIndex(std::size_t expected_size = 16) { rehash(capacity_for(expected_size)); }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }

  // Grows (once) so that `n` entries fit without a further rehash.
  void reserve(std::size_t n) {
    const std::size_t wanted = capacity_for(n);
    if (wanted > slots_.size()) rehash(wanted);
  }

  // Unique keys: the value stored under key, or kNone.
  std::uint32_t find(std::uint64_t key) const {
    return find(key, [](std::uint32_t) { return true; });
  }

  // Repeated keys: the first value stored under key for which matches(value) is true,
  // or kNone.
  template <class Pred>
  std::uint32_t find(std::uint64_t key, Pred&& matches) const {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == kNone) return kNone;
      if (s.key == key && matches(s.value)) return s.value;
    }
  }

  // Unique keys: inserts key -> value. Returns false (and changes nothing) if key is
  // present. REQUIRES: value != kNone.
  bool insert(std::uint64_t key, std::uint32_t value) {
    grow_for_one_more();
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.value == kNone) {
        s = Slot{key, value};
        ++size_;
        return true;
      }
      if (s.key == key) return false;
    }
  }

  // Repeated keys: files key -> value beside any entries already under key.
  // REQUIRES: value != kNone.
  void insert_duplicate(std::uint64_t key, std::uint32_t value) {
    grow_for_one_more();
    place(key, value);
    ++size_;
  }

  // Unique keys: removes key. Returns false if it was absent.
  bool erase(std::uint64_t key) {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == kNone) return false;
      if (s.key == key) return erase_at(i);
    }
  }

  // Repeated keys: removes the entry key -> value, leaving other entries under key.
  // Returns false if it was absent.
  bool erase(std::uint64_t key, std::uint32_t value) {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == kNone) return false;
      if (s.key == key && s.value == value) return erase_at(i);
    }
  }

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.value != kNone) fn(s.key, s.value);
    }
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t value = kNone;  // kNone: an empty slot
  };

  static std::size_t capacity_for(std::size_t expected) {
    std::size_t cap = 16;
    while (cap < expected * 2) cap *= 2;
    return cap;
  }

  std::size_t home(std::uint64_t key) const { return Hash::home(key, shift_, mask_); }

  void grow_for_one_more() {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
  }

  // Puts an entry into the first empty slot of its probe run.
  void place(std::uint64_t key, std::uint32_t value) {
    std::size_t i = home(key);
    while (slots_[i].value != kNone) i = (i + 1) & mask_;
    slots_[i] = Slot{key, value};
  }

  // Backward-shift deletion of the entry at i: pull later members of the probe run
  // into the hole, unless that would move one before its home, so that no lookup
  // ever stops early at the hole.
  bool erase_at(std::size_t hole) {
    for (std::size_t j = (hole + 1) & mask_;; j = (j + 1) & mask_) {
      const Slot& s = slots_[j];
      if (s.value == kNone) break;
      const std::size_t h = home(s.key);
      // s may move into the hole iff its home is not in the cyclic range (hole, j].
      if (((j - h) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = s;
        hole = j;
      }
    }
    slots_[hole].value = kNone;
    --size_;
    return true;
  }

  void rehash(std::size_t new_capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(new_capacity, Slot{});
    mask_ = new_capacity - 1;
    shift_ = 64;
    for (std::size_t c = new_capacity; c > 1; c >>= 1) --shift_;
    for (const Slot& s : old) {
      if (s.value != kNone) place(s.key, s.value);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace spot
