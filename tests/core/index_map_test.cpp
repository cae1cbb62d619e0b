#include <gtest/gtest.h>

#include <unordered_map>

#include "bench/workload/workload.h"
#include "spot/book/index_map.h"
#include "spot/core/types.h"

namespace spot {
namespace {

TEST(IndexMap, InsertFindErase) {
  IndexMap map(4);
  EXPECT_EQ(map.find(1), IndexMap::kNotFound);
  EXPECT_TRUE(map.insert(1, 10));
  EXPECT_FALSE(map.insert(1, 11));
  EXPECT_EQ(map.find(1), 10u);
  EXPECT_TRUE(map.erase(1));
  EXPECT_FALSE(map.erase(1));
  EXPECT_EQ(map.find(1), IndexMap::kNotFound);
  EXPECT_EQ(map.size(), 0u);
}

TEST(IndexMap, AgreesWithStdUnorderedMapUnderRandomOps) {
  IndexMap map(2);  // tiny, so it must grow many times
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
        EXPECT_EQ(map.find(key), it == ref.end() ? IndexMap::kNotFound : it->second);
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
