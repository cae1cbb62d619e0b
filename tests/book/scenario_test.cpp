// Scenario tables: given resting orders and one action, the exact events and the book
// left behind.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "book_test_util.h"

namespace spot::test {
namespace {

struct Step {
  std::optional<OrderRequest> order;  // a new order, or
  std::uint64_t cancel_id = 0;        // a cancel when order is empty
};

Step place(OrderRequest o) { return Step{o, 0}; }
Step cancel(std::uint64_t id) { return Step{std::nullopt, id}; }

struct Scenario {
  const char* name;
  std::vector<Step> given;
  Step action;
  std::vector<std::string> events;
  std::string bids;  // depth after the action, best first: "price:qty/orders ..."
  std::string asks;
};

// Keeps ctest names readable: gtest would otherwise print the parameter's bytes.
void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

void run(OrderBook& book, const Step& step, EventBuffer& out) {
  if (step.order) {
    book.submit(*step.order, out);
  } else {
    book.cancel(OrderId{step.cancel_id}, out);
  }
}

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> table = {
      {"gtc on empty book rests", {}, place(buy(1, 100, 10)), {"accepted 1"}, "100:10/1", ""},
      {"ioc on empty book expires",
       {},
       place(buy(1, 100, 10, TimeInForce::Ioc)),
       {"accepted 1", "expired 1 q10"},
       "",
       ""},
      {"market on empty book expires",
       {},
       place(market(1, Side::Sell, 7)),
       {"accepted 1", "expired 1 q7"},
       "",
       ""},
      {"fok on empty book expires whole",
       {},
       place(buy(1, 100, 10, TimeInForce::Fok)),
       {"accepted 1", "expired 1 q10"},
       "",
       ""},
      {"non-crossing orders both rest",
       {place(buy(1, 99, 10))},
       place(sell(2, 100, 5)),
       {"accepted 2"},
       "99:10/1",
       "100:5/1"},
      {"exact fill removes both",
       {place(sell(1, 100, 10))},
       place(buy(2, 100, 10)),
       {"accepted 2", "trade 2 x 1 @100 q10 r0 mr0"},
       "",
       ""},
      {"trade at the resting price, not the taker's",
       {place(sell(1, 100, 10))},
       place(buy(2, 105, 10)),
       {"accepted 2", "trade 2 x 1 @100 q10 r0 mr0"},
       "",
       ""},
      {"sell taker trades at the resting bid",
       {place(buy(1, 101, 10))},
       place(sell(2, 95, 4)),
       {"accepted 2", "trade 2 x 1 @101 q4 r0 mr6"},
       "101:6/1",
       ""},
      {"partial fill of taker rests the remainder",
       {place(sell(1, 100, 4))},
       place(buy(2, 100, 10)),
       {"accepted 2", "trade 2 x 1 @100 q4 r6 mr0"},
       "100:6/1",
       ""},
      {"partial fill of maker leaves it at the head",
       {place(sell(1, 100, 10)), place(sell(2, 100, 10))},
       place(buy(3, 100, 4)),
       {"accepted 3", "trade 3 x 1 @100 q4 r0 mr6"},
       "",
       "100:16/2"},
      {"partial fills across levels, best price first",
       {place(sell(1, 102, 5)), place(sell(2, 100, 5)), place(sell(3, 101, 5))},
       place(buy(4, 101, 12)),
       {"accepted 4", "trade 4 x 2 @100 q5 r7 mr0", "trade 4 x 3 @101 q5 r2 mr0"},
       "101:2/1",
       "102:5/1"},
      {"ioc remainder expires after partial fills",
       {place(sell(1, 100, 5)), place(sell(2, 101, 5))},
       place(buy(3, 101, 12, TimeInForce::Ioc)),
       {"accepted 3", "trade 3 x 1 @100 q5 r7 mr0", "trade 3 x 2 @101 q5 r2 mr0", "expired 3 q2"},
       "",
       ""},
      {"ioc stops at its limit",
       {place(sell(1, 100, 5)), place(sell(2, 102, 5))},
       place(buy(3, 101, 12, TimeInForce::Ioc)),
       {"accepted 3", "trade 3 x 1 @100 q5 r7 mr0", "expired 3 q7"},
       "",
       "102:5/1"},
      {"market sweeps every level regardless of price",
       {place(buy(1, 100, 5)), place(buy(2, 50, 5)), place(buy(3, 1, 5))},
       place(market(4, Side::Sell, 20)),
       {"accepted 4", "trade 4 x 1 @100 q5 r15 mr0", "trade 4 x 2 @50 q5 r10 mr0",
        "trade 4 x 3 @1 q5 r5 mr0", "expired 4 q5"},
       "",
       ""},
      {"market fully filled leaves no expiry",
       {place(sell(1, 100, 5)), place(sell(2, 100, 5))},
       place(market(3, Side::Buy, 7)),
       {"accepted 3", "trade 3 x 1 @100 q5 r2 mr0", "trade 3 x 2 @100 q2 r0 mr3"},
       "",
       "100:3/1"},
      {"fok fillable fills completely",
       {place(sell(1, 100, 5)), place(sell(2, 101, 5))},
       place(buy(3, 101, 10, TimeInForce::Fok)),
       {"accepted 3", "trade 3 x 1 @100 q5 r5 mr0", "trade 3 x 2 @101 q5 r0 mr0"},
       "",
       ""},
      {"fok not fillable within limit touches nothing",
       {place(sell(1, 100, 5)), place(sell(2, 102, 5))},
       place(buy(3, 101, 10, TimeInForce::Fok)),
       {"accepted 3", "expired 3 q10"},
       "",
       "100:5/1 102:5/1"},
      {"fok not fillable by total quantity touches nothing",
       {place(buy(1, 100, 5)), place(buy(2, 99, 4))},
       place(sell(3, 90, 10, TimeInForce::Fok)),
       {"accepted 3", "expired 3 q10"},
       "100:5/1 99:4/1",
       ""},
      {"market fok not fillable touches nothing",
       {place(sell(1, 100, 5))},
       place(market(2, Side::Buy, 6, TimeInForce::Fok)),
       {"accepted 2", "expired 2 q6"},
       "",
       "100:5/1"},
      {"price-time priority within a level",
       {place(sell(1, 100, 3)), place(sell(2, 100, 3)), place(sell(3, 100, 3))},
       place(buy(4, 100, 7)),
       {"accepted 4", "trade 4 x 1 @100 q3 r4 mr0", "trade 4 x 2 @100 q3 r1 mr0",
        "trade 4 x 3 @100 q1 r0 mr2"},
       "",
       "100:2/1"},
      {"better price beats earlier time",
       {place(buy(1, 100, 3)), place(buy(2, 101, 3))},
       place(sell(3, 100, 3)),
       {"accepted 3", "trade 3 x 2 @101 q3 r0 mr0"},
       "100:3/1",
       ""},
      {"cancel resting order",
       {place(buy(1, 100, 10)), place(buy(2, 100, 5))},
       cancel(1),
       {"canceled 1 q10"},
       "100:5/1",
       ""},
      {"cancel last order removes the level",
       {place(buy(1, 100, 10)), place(buy(2, 99, 5))},
       cancel(1),
       {"canceled 1 q10"},
       "99:5/1",
       ""},
      {"cancel of a partly filled order removes only the rest",
       {place(sell(1, 100, 10)), place(buy(2, 100, 4))},
       cancel(1),
       {"canceled 1 q6"},
       "",
       ""},
      {"cancel of unknown order", {}, cancel(42), {"rejected 42 UNKNOWN_ORDER"}, "", ""},
      {"cancel of filled order",
       {place(sell(1, 100, 10)), place(buy(2, 100, 10))},
       cancel(1),
       {"rejected 1 UNKNOWN_ORDER"},
       "",
       ""},
      {"cancel twice",
       {place(sell(1, 100, 10)), cancel(1)},
       cancel(1),
       {"rejected 1 UNKNOWN_ORDER"},
       "",
       ""},
      {"cancel of expired ioc",
       {place(buy(1, 100, 10, TimeInForce::Ioc))},
       cancel(1),
       {"rejected 1 UNKNOWN_ORDER"},
       "",
       ""},
      {"cancel from the middle keeps fifo order",
       {place(sell(1, 100, 1)), place(sell(2, 100, 2)), place(sell(3, 100, 3)), cancel(2)},
       place(buy(4, 100, 4)),
       {"accepted 4", "trade 4 x 1 @100 q1 r3 mr0", "trade 4 x 3 @100 q3 r0 mr0"},
       "",
       ""},
      {"duplicate live id rejected",
       {place(buy(1, 100, 10))},
       place(buy(1, 99, 5)),
       {"rejected 1 DUPLICATE_ORDER_ID"},
       "100:10/1",
       ""},
      {"zero quantity rejected", {}, place(buy(1, 100, 0)), {"rejected 1 BAD_QUANTITY"}, "", ""},
      {"negative quantity rejected",
       {},
       place(buy(1, 100, -5)),
       {"rejected 1 BAD_QUANTITY"},
       "",
       ""},
      {"zero price rejected", {}, place(buy(1, 0, 5)), {"rejected 1 BAD_PRICE"}, "", ""},
      {"market gtc rejected",
       {},
       place(market(1, Side::Buy, 5, TimeInForce::Gtc)),
       {"rejected 1 BAD_ORDER_TYPE"},
       "",
       ""},
      {"zero id rejected", {}, place(buy(0, 100, 5)), {"rejected 0 DUPLICATE_ORDER_ID"}, "", ""},
  };
  return table;
}

class BookScenario : public ::testing::TestWithParam<Scenario> {};

TEST_P(BookScenario, ProducesExactEvents) {
  const Scenario& s = GetParam();
  OrderBook book(0);
  EventBuffer events;
  for (const Step& step : s.given) {
    events.clear();
    run(book, step, events);
    for (const Event& e : events) ASSERT_NE(e.type, EventType::Rejected) << describe(e);
    std::string why;
    ASSERT_TRUE(book.check_invariants(&why)) << why;
  }
  events.clear();
  run(book, s.action, events);
  EXPECT_EQ(describe(events), s.events);
  EXPECT_EQ(describe(book.depth(Side::Buy, 100)), s.bids);
  EXPECT_EQ(describe(book.depth(Side::Sell, 100)), s.asks);
  std::string why;
  EXPECT_TRUE(book.check_invariants(&why)) << why;
}

INSTANTIATE_TEST_SUITE_P(Table, BookScenario, ::testing::ValuesIn(scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(OrderBook, ManyOrdersAtOneLevelFillInArrivalOrder) {
  OrderBook book(0);
  EventBuffer events;
  constexpr int kOrders = 10'000;
  for (int i = 1; i <= kOrders; ++i)
    book.submit(sell(static_cast<std::uint64_t>(i), 100, 1), events);
  ASSERT_EQ(book.level_count(Side::Sell), 1u);
  ASSERT_EQ(describe(book.depth(Side::Sell, 1)), "100:10000/10000");
  // Cancel every third order, then sweep: fills must come in id order, skipping those.
  events.clear();
  for (int i = 3; i <= kOrders; i += 3) book.cancel(OrderId{static_cast<std::uint64_t>(i)}, events);
  events.clear();
  book.submit(buy(kOrders + 1, 100, kOrders), events);
  std::uint64_t expected = 1;
  int trades = 0;
  for (const Event& e : events) {
    if (e.type != EventType::Trade) continue;
    if (expected % 3 == 0) ++expected;
    EXPECT_EQ(e.maker_id.value, expected);
    ++expected;
    ++trades;
  }
  EXPECT_EQ(trades, kOrders - kOrders / 3);
  EXPECT_EQ(book.level_count(Side::Sell), 0u);
  EXPECT_EQ(describe(book.depth(Side::Buy, 1)), "100:3333/1");
  std::string why;
  EXPECT_TRUE(book.check_invariants(&why)) << why;
}

TEST(OrderBook, FindReportsRestingOrder) {
  OrderBook book(3);
  EventBuffer events;
  book.submit(sell(1, 100, 10), events);
  book.submit(buy(2, 100, 4), events);
  const auto found = book.find(OrderId{1});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->side, Side::Sell);
  EXPECT_EQ(found->price, 100);
  EXPECT_EQ(found->original_qty, 10);
  EXPECT_EQ(found->remaining_qty, 6);
  EXPECT_FALSE(book.find(OrderId{2}).has_value());
  EXPECT_EQ(book.symbol(), 3);
  for (const Event& e : events) EXPECT_EQ(e.symbol, 3);
}

TEST(OrderBook, CancelByAnotherAccountChangesNothing) {
  OrderBook book(0);
  EventBuffer events;
  OrderRequest order = sell(1, 100, 10);
  order.account = AccountId{7};
  book.submit(order, events);
  events.clear();
  book.cancel(OrderId{1}, events, AccountId{8});
  EXPECT_EQ(describe(events), std::vector<std::string>{"rejected 1 NOT_OWNER"});
  EXPECT_EQ(events.front().account, AccountId{8});
  EXPECT_EQ(book.order_count(), 1u);
  events.clear();
  book.cancel(OrderId{2}, events, AccountId{8});
  EXPECT_EQ(describe(events), std::vector<std::string>{"rejected 2 UNKNOWN_ORDER"});
  events.clear();
  book.cancel(OrderId{1}, events, AccountId{7});
  EXPECT_EQ(describe(events), std::vector<std::string>{"canceled 1 q10"});
  EXPECT_EQ(book.order_count(), 0u);
  std::string why;
  EXPECT_TRUE(book.check_invariants(&why)) << why;
}

TEST(OrderBook, OrdersListsLevelsBestFirstInTimePriority) {
  OrderBook book(0);
  EventBuffer events;
  book.submit(buy(1, 99, 1), events);
  book.submit(buy(2, 101, 1), events);
  book.submit(buy(3, 99, 1), events);
  book.submit(buy(4, 100, 1), events);
  std::vector<std::uint64_t> ids;
  for (const RestingOrder& o : book.orders(Side::Buy)) ids.push_back(o.id.value);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{2, 4, 1, 3}));
  EXPECT_EQ(book.best_price(Side::Buy), 101);
  EXPECT_FALSE(book.best_price(Side::Sell).has_value());
}

TEST(OrderBook, DepthHonoursLimit) {
  OrderBook book(0);
  EventBuffer events;
  for (int i = 1; i <= 20; ++i)
    book.submit(sell(static_cast<std::uint64_t>(i), 100 + i, 1), events);
  EXPECT_EQ(describe(book.depth(Side::Sell, 3)), "101:1/1 102:1/1 103:1/1");
  EXPECT_EQ(book.depth(Side::Sell, 0).size(), 0u);
}

TEST(OrderBook, IdCanBeReusedAfterTheOrderLeftTheBook) {
  // The book only knows live orders; uniqueness over time is the engine's job.
  OrderBook book(0);
  EventBuffer events;
  book.submit(buy(1, 100, 1), events);
  book.cancel(OrderId{1}, events);
  events.clear();
  book.submit(buy(1, 100, 1), events);
  EXPECT_EQ(describe(events), std::vector<std::string>{"accepted 1"});
}

}  // namespace
}  // namespace spot::test
