#include <gtest/gtest.h>

#include <unordered_map>
#include <utility>
#include <vector>

#include "bench/workload/workload.h"
#include "spot/core/flat_index.h"
#include "spot/core/types.h"

namespace spot {
namespace {

// Every test runs with both hashing policies: the algorithm must not depend on one.
template <class Hash>
class FlatIndexTest : public ::testing::Test {};
using Hashes = ::testing::Types<FibonacciHash, BlockFibonacciHash>;
TYPED_TEST_SUITE(FlatIndexTest, Hashes);

TYPED_TEST(FlatIndexTest, InsertFindErase) {
  using Index = FlatIndex<TypeParam>;
  Index map(4);
  EXPECT_EQ(map.find(1), Index::kNone);
  EXPECT_TRUE(map.insert(1, 10));
  EXPECT_FALSE(map.insert(1, 11));
  EXPECT_EQ(map.find(1), 10u);
  EXPECT_TRUE(map.erase(1));
  EXPECT_FALSE(map.erase(1));
  EXPECT_EQ(map.find(1), Index::kNone);
  EXPECT_EQ(map.size(), 0u);
}

TYPED_TEST(FlatIndexTest, UniqueKeysAgreeWithStdUnorderedMapUnderRandomOps) {
  using Index = FlatIndex<TypeParam>;
  Index map(2);  // tiny, so it must grow many times
  std::unordered_map<std::uint64_t, std::uint32_t> ref;
  bench::SplitMix64 rng(99);
  for (int i = 0; i < 200'000; ++i) {
    // Keys from a small range so that probe runs collide and wrap around.
    const std::uint64_t key = rng.uniform(3000) * (rng.uniform(2) == 0 ? 1 : 1024);
    const auto value = static_cast<std::uint32_t>(rng.uniform(1'000'000));
    switch (rng.uniform(3)) {
      case 0:
        EXPECT_EQ(map.insert(key, value), ref.emplace(key, value).second);
        break;
      case 1:
        EXPECT_EQ(map.erase(key), ref.erase(key) == 1);
        break;
      default: {
        const auto it = ref.find(key);
        EXPECT_EQ(map.find(key), it == ref.end() ? Index::kNone : it->second);
      }
    }
    ASSERT_EQ(map.size(), ref.size());
  }
  std::size_t seen = 0;
  map.for_each([&](std::uint64_t key, std::uint32_t value) {
    ++seen;
    EXPECT_EQ(ref.at(key), value);
  });
  EXPECT_EQ(seen, ref.size());
}

TYPED_TEST(FlatIndexTest, RepeatedKeysAreToldApartByThePredicate) {
  using Index = FlatIndex<TypeParam>;
  Index map;
  for (std::uint32_t v = 1; v <= 5; ++v) map.insert_duplicate(42, v);
  map.insert_duplicate(43, 100);
  EXPECT_EQ(map.size(), 6u);
  for (std::uint32_t v = 1; v <= 5; ++v) {
    EXPECT_EQ(map.find(42, [v](std::uint32_t s) { return s == v; }), v);
  }
  EXPECT_EQ(map.find(42, [](std::uint32_t s) { return s == 100; }), Index::kNone);
  EXPECT_EQ(map.find(43, [](std::uint32_t s) { return s == 100; }), 100u);

  // Erasing one of several equal keys leaves the others findable, wherever the erased
  // one sat in the probe run.
  EXPECT_TRUE(map.erase(42, 1));  // the first of the run
  EXPECT_TRUE(map.erase(42, 3));  // one in the middle
  EXPECT_TRUE(map.erase(42, 5));  // the last
  EXPECT_FALSE(map.erase(42, 3));
  EXPECT_FALSE(map.erase(42, 100));  // another key's value
  EXPECT_EQ(map.size(), 3u);
  for (std::uint32_t v = 1; v <= 5; ++v) {
    const std::uint32_t expected = v % 2 == 0 ? v : Index::kNone;
    EXPECT_EQ(map.find(42, [v](std::uint32_t s) { return s == v; }), expected) << v;
  }
  EXPECT_EQ(map.find(43, [](std::uint32_t) { return true; }), 100u);
}

TYPED_TEST(FlatIndexTest, RepeatedKeysAgreeWithStdUnorderedMultimapUnderRandomOps) {
  using Index = FlatIndex<TypeParam>;
  Index map(2);
  std::unordered_multimap<std::uint64_t, std::uint32_t> ref;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> entries;  // what ref holds, to pick from
  bench::SplitMix64 rng(7);
  std::uint32_t next_value = 0;
  for (int i = 0; i < 100'000; ++i) {
    // Few keys, many entries each, with keys equal modulo the table size mixed in.
    const std::uint64_t key = rng.uniform(64) * (rng.uniform(2) == 0 ? 1 : 4096);
    switch (rng.uniform(3)) {
      case 0: {
        const std::uint32_t value = next_value++;
        map.insert_duplicate(key, value);
        ref.emplace(key, value);
        entries.emplace_back(key, value);
        break;
      }
      case 1: {
        if (entries.empty()) break;
        const std::size_t k = rng.uniform(entries.size());
        const auto [ekey, evalue] = entries[k];
        ASSERT_TRUE(map.erase(ekey, evalue));
        auto [first, last] = ref.equal_range(ekey);
        for (; first != last; ++first) {
          if (first->second == evalue) break;
        }
        ASSERT_NE(first, last);
        ref.erase(first);
        entries[k] = entries.back();
        entries.pop_back();
        EXPECT_FALSE(map.erase(ekey, evalue));
        break;
      }
      default: {
        // Look for one particular value under key (present or not).
        const auto value = static_cast<std::uint32_t>(rng.uniform(next_value + 1));
        bool present = false;
        for (auto [first, last] = ref.equal_range(key); first != last; ++first) {
          present = present || first->second == value;
        }
        EXPECT_EQ(map.find(key, [value](std::uint32_t s) { return s == value; }),
                  present ? value : Index::kNone);
      }
    }
    ASSERT_EQ(map.size(), ref.size());
  }
  std::size_t seen = 0;
  map.for_each([&](std::uint64_t key, std::uint32_t value) {
    ++seen;
    bool present = false;
    for (auto [first, last] = ref.equal_range(key); first != last; ++first) {
      present = present || first->second == value;
    }
    EXPECT_TRUE(present) << key << " -> " << value;
  });
  EXPECT_EQ(seen, ref.size());
}

TYPED_TEST(FlatIndexTest, ReserveKeepsEntriesAndAvoidsLaterGrowth) {
  FlatIndex<TypeParam> map;
  for (std::uint64_t k = 0; k < 10; ++k) EXPECT_TRUE(map.insert(k, static_cast<std::uint32_t>(k)));
  map.reserve(1000);
  const std::size_t capacity = map.capacity();
  EXPECT_GE(capacity, 2000u);
  for (std::uint64_t k = 10; k < 1000; ++k) map.insert(k, static_cast<std::uint32_t>(k));
  EXPECT_EQ(map.capacity(), capacity);
  for (std::uint64_t k = 0; k < 1000; ++k) EXPECT_EQ(map.find(k), k);
}

TEST(Types, NamesAreStable) {
  EXPECT_EQ(to_string(Side::Buy), "BUY");
  EXPECT_EQ(to_string(Side::Sell), "SELL");
  EXPECT_EQ(to_string(OrderType::Limit), "LIMIT");
  EXPECT_EQ(to_string(OrderType::Market), "MARKET");
  EXPECT_EQ(to_string(TimeInForce::Gtc), "GTC");
  EXPECT_EQ(to_string(TimeInForce::Ioc), "IOC");
  EXPECT_EQ(to_string(TimeInForce::Fok), "FOK");
  EXPECT_EQ(to_string(RejectReason::UnknownSymbol), "UNKNOWN_SYMBOL");
  EXPECT_EQ(to_string(RejectReason::Unauthorized), "UNAUTHORIZED");
  // Codes are part of the wire protocol: they must not move.
  EXPECT_EQ(static_cast<int>(RejectReason::UnknownOrder), 6);
  EXPECT_EQ(static_cast<int>(RejectReason::Overloaded), 10);
  for (int r = 0; r <= static_cast<int>(RejectReason::TooManyOpenOrders); ++r) {
    EXPECT_NE(to_string(static_cast<RejectReason>(r)), "UNKNOWN") << r;
  }
}

}  // namespace
}  // namespace spot
