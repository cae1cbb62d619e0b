// IdempotencyWindow: first in first out, bounded, newest entry wins a shared hash.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "spot/engine/idempotency_window.h"

namespace spot {
namespace {

std::vector<std::pair<std::uint64_t, std::uint64_t>> entries(const IdempotencyWindow& w) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  w.for_each([&out](std::uint64_t key, std::uint64_t id) { out.emplace_back(key, id); });
  return out;
}

void expect_invariants(const IdempotencyWindow& w) {
  std::string why;
  EXPECT_TRUE(w.check_invariants(&why)) << why;
}

TEST(IdempotencyWindow, KeepsTheNewestKeysOldestFirst) {
  IdempotencyWindow w(3);
  EXPECT_EQ(w.find(10), 0u);
  for (std::uint64_t k = 1; k <= 5; ++k) {
    w.add(k * 10, k);
    expect_invariants(w);
  }
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.find(10), 0u);
  EXPECT_EQ(w.find(20), 0u);
  EXPECT_EQ(w.find(30), 3u);
  EXPECT_EQ(w.find(50), 5u);
  using E = std::pair<std::uint64_t, std::uint64_t>;
  EXPECT_EQ(entries(w), (std::vector<E>{{30, 3}, {40, 4}, {50, 5}}));
}

TEST(IdempotencyWindow, ZeroCapacityKeepsNothing) {
  IdempotencyWindow w(0);
  w.add(1, 1);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.find(1), 0u);
  expect_invariants(w);
}

TEST(IdempotencyWindow, ASharedHashNamesTheNewerOrderUntilThatOneLeaves) {
  IdempotencyWindow w(3);
  w.add(7, 1);
  w.add(8, 2);
  w.add(7, 3);  // two keys with one hash: the newer order wins
  EXPECT_EQ(w.find(7), 3u);
  expect_invariants(w);
  w.add(9, 4);  // the entry (7, 1) leaves, and must not take (7, 3) with it
  EXPECT_EQ(w.find(7), 3u);
  EXPECT_EQ(w.find(8), 2u);
  expect_invariants(w);
  w.add(10, 5);
  w.add(11, 6);  // now (7, 3) leaves too
  EXPECT_EQ(w.find(7), 0u);
  expect_invariants(w);
}

TEST(IdempotencyWindow, AddingItsEntriesAgainRebuildsItExactly) {
  IdempotencyWindow w(100);
  for (std::uint64_t k = 1; k <= 250; ++k) w.add(k * 0x9E3779B97F4A7C15ull, k);
  IdempotencyWindow copy(100);
  w.for_each([&copy](std::uint64_t key, std::uint64_t id) { copy.add(key, id); });
  EXPECT_EQ(entries(copy), entries(w));
  // And the two go on alike.
  for (std::uint64_t k = 251; k <= 300; ++k) {
    w.add(k, k);
    copy.add(k, k);
  }
  EXPECT_EQ(entries(copy), entries(w));
  expect_invariants(copy);
}

TEST(IdempotencyWindow, AFullWindowAllocatesNoMoreAndCostsAbout50BytesAKey) {
  constexpr std::size_t kKeys = 1'000'000;  // the default engine.idempotency_window
  IdempotencyWindow w(kKeys);
  for (std::uint64_t k = 1; k <= kKeys; ++k) w.add(k * 0x9E3779B97F4A7C15ull, k);
  const std::size_t full = w.memory_bytes();
  for (std::uint64_t k = kKeys + 1; k <= 2 * kKeys; ++k) w.add(k * 0x9E3779B97F4A7C15ull, k);
  EXPECT_EQ(w.memory_bytes(), full);
  // A 16-byte ring entry per key plus 2^21 16-byte index slots: 16 + 33.6 bytes.
  EXPECT_EQ(full, kKeys * 16 + (std::size_t{1} << 21) * 16);
  RecordProperty("memory_bytes", std::to_string(full));
}

}  // namespace
}  // namespace spot
