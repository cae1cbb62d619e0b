// IndexMap: an open-addressing hash map from a 64-bit key to a 32-bit slot index.
// Linear probing with backward-shift deletion (no tombstones), power-of-two capacity,
// load factor at most 1/2. It allocates only when it grows, so a book sized for its
// steady state never allocates here.
#pragma once

#include <cstdint>
#include <vector>

namespace spot {

class IndexMap {
 public:
  static constexpr std::uint32_t kNotFound = 0xFFFFFFFFu;

  explicit IndexMap(std::size_t expected_size = 16) { rehash(capacity_for(expected_size)); }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }

  // Returns the value for key, or kNotFound.
  std::uint32_t find(std::uint64_t key) const {
    std::size_t i = home(key);
    while (true) {
      const Slot& s = slots_[i];
      if (s.value == kNotFound) return kNotFound;
      if (s.key == key) return s.value;
      i = (i + 1) & mask_;
    }
  }

  // Inserts key -> value. Returns false (and changes nothing) if key is present.
  // REQUIRES: value != kNotFound.
  bool insert(std::uint64_t key, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    std::size_t i = home(key);
    while (true) {
      Slot& s = slots_[i];
      if (s.value == kNotFound) {
        s.key = key;
        s.value = value;
        ++size_;
        return true;
      }
      if (s.key == key) return false;
      i = (i + 1) & mask_;
    }
  }

  // Removes key. Returns false if it was absent.
  bool erase(std::uint64_t key) {
    std::size_t i = home(key);
    while (true) {
      Slot& s = slots_[i];
      if (s.value == kNotFound) return false;
      if (s.key == key) break;
      i = (i + 1) & mask_;
    }
    // Backward-shift: pull later members of the probe run into the hole so that no
    // lookup ever stops early at it.
    std::size_t hole = i;
    std::size_t j = i;
    while (true) {
      j = (j + 1) & mask_;
      Slot& s = slots_[j];
      if (s.value == kNotFound) break;
      const std::size_t h = home(s.key);
      // Move s into the hole if its home is not in the cyclic range (hole, j].
      const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (!stays) {
        slots_[hole] = s;
        hole = j;
      }
    }
    slots_[hole].value = kNotFound;
    --size_;
    return true;
  }

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.value != kNotFound) fn(s.key, s.value);
    }
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t value = kNotFound;
  };

  static std::size_t capacity_for(std::size_t expected) {
    std::size_t cap = 16;
    while (cap < expected * 2) cap *= 2;
    return cap;
  }

  // Keys that differ only in their low 4 bits (a run of 16 consecutive order ids or
  // prices) get consecutive slots, so the common access patterns (new ids in
  // sequence, cancels of the oldest orders, prices near the touch) stay within four
  // cache lines. Each block of 16 starts at a Fibonacci-hashed offset, so keys that
  // are equal modulo the table size (which plain identity hashing would pile onto one
  // slot) still spread across the table. Blocks of 64 clustered too much: an
  // unsuccessful lookup then scanned long runs (W1-deep lost 25%); blocks of 16 beat
  // both that and plain Fibonacci hashing on W1 and W1-deep (bench/RESULTS.md).
  std::size_t home(std::uint64_t key) const {
    const std::uint64_t block_offset = ((key >> 4) * 0x9E3779B97F4A7C15ull) >> shift_;
    return static_cast<std::size_t>(((key & 15) + block_offset) & mask_);
  }

  void rehash(std::size_t new_capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(new_capacity, Slot{});
    mask_ = new_capacity - 1;
    shift_ = 64;
    for (std::size_t c = new_capacity; c > 1; c >>= 1) --shift_;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.value != kNotFound) insert(s.key, s.value);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace spot
