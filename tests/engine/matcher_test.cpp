#include <gtest/gtest.h>

#include "../book/book_test_util.h"
#include "spot/core/clock.h"
#include "spot/engine/matcher.h"

namespace spot::test {
namespace {

std::vector<SymbolSpec> specs() {
  SymbolSpec btc;
  btc.name = "BTC-USD";
  btc.tick_size = Decimal{1, 2};
  btc.lot_size = Decimal{1, 3};
  btc.min_price = 100;         // 1.00
  btc.max_price = 10'000'000;  // 100000.00
  btc.min_qty = 1;
  btc.max_qty = 1'000'000;
  SymbolSpec eth = btc;
  eth.name = "ETH-USD";
  eth.tick_size = Decimal{5, 2};  // 0.05
  return {btc, eth};
}

Matcher make() { return Matcher(specs()); }

OrderRequest limit(std::uint64_t id, SymbolId symbol, Side side, Ticks price, Lots qty,
                   std::uint64_t account = 1) {
  OrderRequest o;
  o.id = OrderId{id};
  o.account = AccountId{account};
  o.symbol = symbol;
  o.side = side;
  o.price = price;
  o.qty = qty;
  return o;
}

struct RejectCase {
  const char* name;
  OrderRequest order;
  RejectReason reason;
};

TEST(Matcher, RejectsInvalidOrdersWithStableCodesAndDisturbsNothing) {
  Matcher m = make();
  EventBuffer events;
  m.submit(limit(10, 0, Side::Buy, 1000, 5), events);
  m.submit(limit(11, 0, Side::Sell, 1100, 5), events);
  const std::string before_bids = describe(m.book(0).depth(Side::Buy, 10));
  const std::string before_asks = describe(m.book(0).depth(Side::Sell, 10));

  OrderRequest market_gtc = limit(20, 0, Side::Buy, 0, 5);
  market_gtc.type = OrderType::Market;
  const std::vector<RejectCase> cases = {
      {"unknown symbol", limit(20, 7, Side::Buy, 1000, 5), RejectReason::UnknownSymbol},
      {"price below bound", limit(20, 0, Side::Buy, 99, 5), RejectReason::BadPrice},
      {"price above bound", limit(20, 0, Side::Buy, 10'000'001, 5), RejectReason::BadPrice},
      {"zero price", limit(20, 0, Side::Buy, 0, 5), RejectReason::BadPrice},
      {"negative price", limit(20, 0, Side::Buy, -1000, 5), RejectReason::BadPrice},
      {"zero qty", limit(20, 0, Side::Buy, 1000, 0), RejectReason::BadQuantity},
      {"negative qty", limit(20, 0, Side::Buy, 1000, -5), RejectReason::BadQuantity},
      {"oversized qty", limit(20, 0, Side::Buy, 1000, 1'000'001), RejectReason::BadQuantity},
      {"market gtc", market_gtc, RejectReason::BadOrderType},
      {"duplicate id", limit(10, 0, Side::Buy, 1000, 5), RejectReason::DuplicateOrderId},
      {"old id", limit(9, 0, Side::Buy, 1000, 5), RejectReason::DuplicateOrderId},
  };
  for (const RejectCase& c : cases) {
    events.clear();
    m.submit(c.order, events);
    ASSERT_EQ(events.size(), 1u) << c.name;
    EXPECT_EQ(events[0].type, EventType::Rejected) << c.name;
    EXPECT_EQ(events[0].reason, c.reason) << c.name;
    EXPECT_EQ(events[0].order_id, c.order.id) << c.name;
  }
  EXPECT_EQ(describe(m.book(0).depth(Side::Buy, 10)), before_bids);
  EXPECT_EQ(describe(m.book(0).depth(Side::Sell, 10)), before_asks);
  EXPECT_EQ(m.last_order_id(), 11u);
  // A rejected id does not burn the sequence: id 20 is still usable.
  events.clear();
  m.submit(limit(20, 0, Side::Buy, 1000, 5), events);
  EXPECT_EQ(events[0].type, EventType::Accepted);
  EXPECT_TRUE(m.check_invariants());
}

TEST(Matcher, StampsConsecutiveTradeIdsAcrossSymbols) {
  Matcher m = make();
  EventBuffer events;
  m.submit(limit(1, 0, Side::Sell, 1000, 5), events);
  m.submit(limit(2, 0, Side::Sell, 1000, 5), events);
  m.submit(limit(3, 1, Side::Sell, 1000, 5), events);
  events.clear();
  m.submit(limit(4, 0, Side::Buy, 1000, 10), events);
  m.submit(limit(5, 1, Side::Buy, 1000, 5), events);
  std::vector<std::uint64_t> trade_ids;
  for (const Event& e : events) {
    if (e.type == EventType::Trade) trade_ids.push_back(e.trade_id.value);
  }
  EXPECT_EQ(trade_ids, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(m.last_trade_id(), 3u);
  EXPECT_EQ(events.back().symbol, 1);
}

TEST(Matcher, CancelChecksSymbolAndOwner) {
  Matcher m = make();
  EventBuffer events;
  m.submit(limit(1, 0, Side::Buy, 1000, 5, /*account=*/7), events);
  events.clear();
  m.cancel(CancelOrder{OrderId{1}, 9, AccountId{7}}, events);
  EXPECT_EQ(describe(events), std::vector<std::string>{"rejected 1 UNKNOWN_SYMBOL"});
  events.clear();
  m.cancel(CancelOrder{OrderId{1}, 1, AccountId{7}}, events);  // wrong book
  EXPECT_EQ(describe(events), std::vector<std::string>{"rejected 1 UNKNOWN_ORDER"});
  events.clear();
  m.cancel(CancelOrder{OrderId{1}, 0, AccountId{8}}, events);
  EXPECT_EQ(describe(events), std::vector<std::string>{"rejected 1 NOT_OWNER"});
  events.clear();
  m.cancel(CancelOrder{OrderId{1}, 0, AccountId{7}}, events);
  EXPECT_EQ(describe(events), std::vector<std::string>{"canceled 1 q5"});
  EXPECT_EQ(m.book(0).order_count(), 0u);
}

TEST(SymbolTable, FindsSymbolsByName) {
  const SymbolTable m(specs());
  EXPECT_EQ(m.find("BTC-USD"), 0);
  EXPECT_EQ(m.find("ETH-USD"), 1);
  EXPECT_FALSE(m.find("DOGE-USD").has_value());
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.spec(1).name, "ETH-USD");
}

TEST(SymbolTable, ParsesPricesAndQuantitiesOnTheGrid) {
  const SymbolTable m(specs());
  EXPECT_EQ(m.parse_price(0, "100.25").value(), 10025);
  EXPECT_EQ(m.parse_price(0, "100.255").error(), RejectReason::BadPrice);  // off grid
  EXPECT_EQ(m.parse_price(0, "0.99").error(), RejectReason::BadPrice);     // below bound
  EXPECT_EQ(m.parse_price(0, "100000.01").error(), RejectReason::BadPrice);
  EXPECT_EQ(m.parse_price(0, "1e3").error(), RejectReason::BadPrice);
  EXPECT_EQ(m.parse_price(1, "100.05").value(), 2001);  // 0.05 ticks
  EXPECT_EQ(m.parse_price(1, "100.02").error(), RejectReason::BadPrice);
  EXPECT_EQ(m.parse_qty(0, "1.5").value(), 1500);
  EXPECT_EQ(m.parse_qty(0, "0.0001").error(), RejectReason::BadQuantity);
  EXPECT_EQ(m.parse_qty(0, "0").error(), RejectReason::BadQuantity);
  EXPECT_EQ(m.parse_qty(0, "1000.001").error(), RejectReason::BadQuantity);  // above bound
  EXPECT_EQ(m.parse_qty(0, "-1").error(), RejectReason::BadQuantity);
}

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(100);
  EXPECT_EQ(clock.monotonic_ns(), 100);
  clock.advance_ns(50);
  EXPECT_EQ(clock.monotonic_ns(), 150);
  EXPECT_EQ(clock.wall_ns(), 150);
  const auto a = SystemClock::instance().monotonic_ns();
  EXPECT_LE(a, SystemClock::instance().monotonic_ns());
  EXPECT_GT(SystemClock::instance().wall_ns(), 1'600'000'000'000'000'000);
}

}  // namespace
}  // namespace spot::test
