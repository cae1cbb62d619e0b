// Engine: order records, accounts, idempotency, ownership and history around the Matcher.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "spot/engine/engine.h"

namespace spot {
namespace {

std::vector<SymbolSpec> symbols() {
  SymbolSpec btc;
  btc.name = "BTC-USDT";
  btc.tick_size = Decimal{1, 2};
  btc.lot_size = Decimal{1, 3};
  btc.min_price = 1;
  btc.max_price = 1'000'000;
  btc.min_qty = 1;
  btc.max_qty = 1'000'000;
  SymbolSpec eth = btc;
  eth.name = "ETH-USDT";
  return {btc, eth};
}

// The order-record tests below are about matching and bookkeeping, not money: the pure
// book (BalanceTest, at the end, checks balances).
EngineLimits small_limits() {
  EngineLimits limits;
  limits.book_capacity.orders = 256;
  limits.book_capacity.levels = 64;
  limits.check_balances = false;
  return limits;
}

struct Order {
  Side side = Side::Buy;
  Ticks price = 100;
  Lots qty = 10;
  TimeInForce tif = TimeInForce::Gtc;
  OrderType type = OrderType::Limit;
  SymbolId symbol = 0;
  std::string client_order_id;
  std::uint64_t client_token = 0;
};

SubmitOrder submit_of(AccountId account, const Order& o) {
  SubmitOrder s;
  s.account = account;
  s.symbol = o.symbol;
  s.side = o.side;
  s.type = o.type;
  s.tif = o.tif;
  s.price = o.price;
  s.qty = o.qty;
  s.client_order_id = o.client_order_id;
  s.client_token = o.client_token;
  return s;
}

Order limit_order(Side side, Ticks price, Lots qty) {
  Order o;
  o.side = side;
  o.price = price;
  o.qty = qty;
  return o;
}
Order buy(Ticks price, Lots qty) { return limit_order(Side::Buy, price, qty); }
Order sell(Ticks price, Lots qty) { return limit_order(Side::Sell, price, qty); }
Order with_tif(Order o, TimeInForce tif) {
  o.tif = tif;
  return o;
}
Order market(Side side, Lots qty, TimeInForce tif = TimeInForce::Ioc) {
  Order o = limit_order(side, 0, qty);
  o.type = OrderType::Market;
  o.tif = tif;
  return o;
}
Order with_client_id(Order o, std::string id) {
  o.client_order_id = std::move(id);
  return o;
}
Order with_token(Order o, std::uint64_t token) {
  o.client_token = token;
  return o;
}
Order on_symbol(Order o, SymbolId symbol) {
  o.symbol = symbol;
  return o;
}

class EngineTest : public ::testing::Test {
 protected:
  explicit EngineTest(EngineLimits limits = small_limits()) : engine_(symbols(), limits) {}

  void SetUp() override {
    alice_ = add_account("alice");
    bob_ = add_account("bob");
  }

  AccountId add_account(const std::string& name) {
    const AccountReply r = engine_.create_account(CreateAccount{name, "hash-of-" + name});
    EXPECT_EQ(r.reject, RejectReason::None);
    return r.account;
  }

  OrderReply submit(AccountId account, const Order& o) {
    OrderReply r = engine_.submit(submit_of(account, o), "req-test");
    expect_invariants();
    return r;
  }

  OrderReply cancel(AccountId account, OrderId id) {
    OrderReply r = engine_.cancel(CancelRequest{account, id});
    expect_invariants();
    return r;
  }

  OrderReply get(AccountId account, OrderId id) const { return engine_.get(GetOrder{account, id}); }

  void expect_invariants() const {
    std::string why;
    EXPECT_TRUE(engine_.check_invariants(&why)) << why;
  }

  Engine engine_;
  AccountId alice_;
  AccountId bob_;
};

TEST_F(EngineTest, AccountIdsAreSequentialFromOne) {
  EXPECT_EQ(alice_, AccountId{1});
  EXPECT_EQ(bob_, AccountId{2});
  EXPECT_EQ(add_account("carol"), AccountId{3});
  EXPECT_EQ(engine_.account_count(), 3u);
}

TEST_F(EngineTest, AccountWithoutKeyHashIsABadRequest) {
  const AccountReply r = engine_.create_account(CreateAccount{"nokey", ""});
  EXPECT_EQ(r.reject, RejectReason::BadRequest);
  EXPECT_EQ(engine_.account_count(), 2u);
  EXPECT_EQ(add_account("dave"), AccountId{3});
}

TEST_F(EngineTest, ExecuteDispatchesEveryCommandKind) {
  const Reply account = engine_.execute(CreateAccount{"erin", "h"}, "r1");
  ASSERT_TRUE(std::holds_alternative<AccountReply>(account));
  EXPECT_EQ(std::get<AccountReply>(account).account, AccountId{3});

  const Reply placed = engine_.execute(submit_of(alice_, buy(100, 5)), "r2");
  ASSERT_TRUE(std::holds_alternative<OrderReply>(placed));
  const OrderRecord order = std::get<OrderReply>(placed).order;
  EXPECT_EQ(order.request_id, "r2");

  const Reply got = engine_.execute(GetOrder{alice_, order.id}, "r3");
  ASSERT_TRUE(std::holds_alternative<OrderReply>(got));
  EXPECT_EQ(std::get<OrderReply>(got).order.id, order.id);

  const Reply open = engine_.execute(OpenOrders{alice_, std::nullopt}, "r4");
  ASSERT_TRUE(std::holds_alternative<OpenOrdersReply>(open));
  EXPECT_EQ(std::get<OpenOrdersReply>(open).orders.size(), 1u);

  const Reply depth = engine_.execute(GetDepth{0, 10}, "r5");
  ASSERT_TRUE(std::holds_alternative<DepthReply>(depth));
  EXPECT_EQ(std::get<DepthReply>(depth).bids.size(), 1u);

  const Reply canceled = engine_.execute(CancelRequest{alice_, order.id}, "r6");
  ASSERT_TRUE(std::holds_alternative<OrderReply>(canceled));
  EXPECT_EQ(std::get<OrderReply>(canceled).order.status, OrderStatus::Canceled);
  expect_invariants();
}

TEST_F(EngineTest, UnknownAccountIsUnauthorized) {
  const OrderReply r = submit(AccountId{99}, buy(100, 5));
  EXPECT_EQ(r.reject, RejectReason::Unauthorized);
  EXPECT_EQ(engine_.record_count(), 0u);
  EXPECT_EQ(engine_.matcher().book(0).order_count(), 0u);
}

// Given bob's resting ask of 10 @ 100, alice sends one order.
struct StatusCase {
  const char* name;
  Order order;
  RejectReason reject;
  OrderStatus status;
  Lots executed;
  std::size_t fills;
  std::size_t resting_after;  // orders left in the BTC book
};

TEST(EngineStatus, ScenarioTable) {
  const std::vector<StatusCase> cases = {
      {"limit below the ask rests", buy(99, 5), RejectReason::None, OrderStatus::New, 0, 0, 2},
      {"limit fills completely", buy(100, 4), RejectReason::None, OrderStatus::Filled, 4, 1, 1},
      {"limit fills exactly the ask", buy(100, 10), RejectReason::None, OrderStatus::Filled, 10, 1,
       0},
      {"limit partially fills and rests", buy(101, 15), RejectReason::None,
       OrderStatus::PartiallyFilled, 10, 1, 1},
      {"IOC remainder expires", with_tif(buy(100, 15), TimeInForce::Ioc), RejectReason::None,
       OrderStatus::Expired, 10, 1, 0},
      {"IOC without liquidity expires", with_tif(buy(99, 5), TimeInForce::Ioc), RejectReason::None,
       OrderStatus::Expired, 0, 0, 1},
      {"unfillable FOK expires untouched", with_tif(buy(100, 15), TimeInForce::Fok),
       RejectReason::None, OrderStatus::Expired, 0, 0, 1},
      {"fillable FOK fills", with_tif(buy(100, 10), TimeInForce::Fok), RejectReason::None,
       OrderStatus::Filled, 10, 1, 0},
      {"market fills", market(Side::Buy, 4), RejectReason::None, OrderStatus::Filled, 4, 1, 1},
      {"market remainder expires", market(Side::Buy, 12), RejectReason::None, OrderStatus::Expired,
       10, 1, 0},
      {"same-side order rests", sell(105, 3), RejectReason::None, OrderStatus::New, 0, 0, 2},
      {"market GTC is a bad type", market(Side::Buy, 4, TimeInForce::Gtc),
       RejectReason::BadOrderType, OrderStatus::New, 0, 0, 1},
      {"price out of bounds", buy(0, 4), RejectReason::BadPrice, OrderStatus::New, 0, 0, 1},
      {"price above max", buy(1'000'001, 4), RejectReason::BadPrice, OrderStatus::New, 0, 0, 1},
      {"zero quantity", buy(100, 0), RejectReason::BadQuantity, OrderStatus::New, 0, 0, 1},
      {"unknown symbol", on_symbol(buy(100, 4), 9), RejectReason::UnknownSymbol, OrderStatus::New,
       0, 0, 1},
  };
  for (const StatusCase& c : cases) {
    SCOPED_TRACE(c.name);
    Engine engine(symbols(), small_limits());
    const AccountId alice = engine.create_account({"alice", "a"}).account;
    const AccountId bob = engine.create_account({"bob", "b"}).account;
    const OrderReply ask = engine.submit(submit_of(bob, sell(100, 10)), "r0");
    ASSERT_EQ(ask.reject, RejectReason::None);
    const std::size_t records_before = engine.record_count();

    const OrderReply r = engine.submit(submit_of(alice, c.order), "r1");
    EXPECT_EQ(r.reject, c.reject);
    EXPECT_EQ(r.fills.size(), c.fills);
    EXPECT_EQ(engine.matcher().book(0).order_count(), c.resting_after);
    std::string why;
    EXPECT_TRUE(engine.check_invariants(&why)) << why;
    if (c.reject != RejectReason::None) {
      EXPECT_EQ(engine.record_count(), records_before);
      continue;
    }
    EXPECT_FALSE(r.replayed);
    EXPECT_EQ(r.order.status, c.status) << to_string(r.order.status);
    EXPECT_EQ(r.order.executed, c.executed);
    EXPECT_EQ(r.order.account, alice);
    EXPECT_EQ(r.order.request_id, "r1");
    const OrderReply got = engine.get(GetOrder{alice, r.order.id});
    EXPECT_EQ(got.reject, RejectReason::None);
    EXPECT_EQ(got.order.status, c.status);
    EXPECT_EQ(got.order.executed, c.executed);
    const bool open = !is_terminal(c.status);
    EXPECT_EQ(engine.open_orders(OpenOrders{alice, std::nullopt}).orders.size(), open ? 1u : 0u);
  }
}

TEST_F(EngineTest, OrderIdsIncreaseAndRecordKeepsTheRequest) {
  Order o = with_client_id(buy(95, 3), "cid-1");
  const OrderReply first = submit(alice_, o);
  const OrderReply second = submit(bob_, sell(120, 2));
  EXPECT_EQ(first.order.id, OrderId{1});
  EXPECT_EQ(second.order.id, OrderId{2});
  EXPECT_EQ(first.order.price, 95);
  EXPECT_EQ(first.order.qty, 3);
  EXPECT_EQ(first.order.side, Side::Buy);
  EXPECT_EQ(first.order.symbol, 0);
  EXPECT_EQ(first.order.client_order_id, "cid-1");
  EXPECT_EQ(first.order.tif, TimeInForce::Gtc);
  EXPECT_EQ(first.order.type, OrderType::Limit);
}

TEST_F(EngineTest, MakerRecordFollowsItsTradesAndMakerFillsAreReported) {
  const OrderReply ask = submit(bob_, with_token(sell(100, 10), 777));
  ASSERT_EQ(ask.order.status, OrderStatus::New);
  const OrderId maker = ask.order.id;

  const OrderReply first = submit(alice_, buy(100, 4));
  EXPECT_EQ(first.order.status, OrderStatus::Filled);
  ASSERT_EQ(first.fills.size(), 1u);
  EXPECT_EQ(first.fills[0].price, 100);
  EXPECT_EQ(first.fills[0].qty, 4);
  EXPECT_EQ(first.fills[0].leaves, 0);
  EXPECT_EQ(first.fills[0].trade_id, TradeId{1});
  ASSERT_EQ(first.maker_fills.size(), 1u);
  EXPECT_EQ(first.maker_fills[0].account, bob_);
  EXPECT_EQ(first.maker_fills[0].order_id, maker);
  EXPECT_EQ(first.maker_fills[0].client_token, 777u);
  EXPECT_EQ(first.maker_fills[0].fill.trade_id, TradeId{1});
  EXPECT_EQ(first.maker_fills[0].fill.qty, 4);
  EXPECT_EQ(first.maker_fills[0].fill.leaves, 6);

  OrderReply maker_now = get(bob_, maker);
  EXPECT_EQ(maker_now.order.status, OrderStatus::PartiallyFilled);
  EXPECT_EQ(maker_now.order.executed, 4);
  EXPECT_EQ(engine_.open_orders(OpenOrders{bob_, std::nullopt}).orders.size(), 1u);

  const OrderReply second = submit(alice_, buy(100, 6));
  EXPECT_EQ(second.order.status, OrderStatus::Filled);
  ASSERT_EQ(second.maker_fills.size(), 1u);
  EXPECT_EQ(second.maker_fills[0].fill.leaves, 0);
  EXPECT_EQ(second.fills[0].trade_id, TradeId{2});
  maker_now = get(bob_, maker);
  EXPECT_EQ(maker_now.order.status, OrderStatus::Filled);
  EXPECT_EQ(maker_now.order.executed, 10);
  EXPECT_TRUE(engine_.open_orders(OpenOrders{bob_, std::nullopt}).orders.empty());
  EXPECT_EQ(engine_.trade_count(), 2u);
}

TEST_F(EngineTest, SweepReportsOneMakerFillPerTradeAtTheMakersPrices) {
  const OrderId a1 = submit(bob_, sell(101, 2)).order.id;
  const OrderId a2 = submit(bob_, sell(100, 3)).order.id;
  const OrderId a3 = submit(alice_, sell(102, 5)).order.id;
  const OrderReply sweep = submit(add_account("carol"), buy(102, 9));
  EXPECT_EQ(sweep.order.status, OrderStatus::Filled);
  EXPECT_EQ(sweep.order.executed, 9);
  ASSERT_EQ(sweep.fills.size(), 3u);
  ASSERT_EQ(sweep.maker_fills.size(), 3u);
  const std::vector<std::pair<OrderId, Ticks>> expected = {{a2, 100}, {a1, 101}, {a3, 102}};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sweep.maker_fills[i].order_id, expected[i].first);
    EXPECT_EQ(sweep.fills[i].price, expected[i].second);
    EXPECT_EQ(sweep.maker_fills[i].fill.price, expected[i].second);
    EXPECT_EQ(sweep.maker_fills[i].fill.trade_id, sweep.fills[i].trade_id);
    EXPECT_EQ(sweep.maker_fills[i].fill.qty, sweep.fills[i].qty);
  }
  EXPECT_EQ(sweep.fills[2].qty, 4);
  EXPECT_EQ(get(alice_, a3).order.status, OrderStatus::PartiallyFilled);
  EXPECT_EQ(get(bob_, a1).order.status, OrderStatus::Filled);
}

TEST_F(EngineTest, ClientOrderIdIsIdempotentPerAccount) {
  const OrderReply first = submit(alice_, with_client_id(buy(99, 5), "abc"));
  ASSERT_EQ(first.reject, RejectReason::None);
  EXPECT_FALSE(first.replayed);
  const std::size_t records = engine_.record_count();

  // Same key, different content: the original order comes back, nothing new happens.
  const OrderReply again = submit(alice_, with_client_id(buy(50, 1), "abc"));
  EXPECT_EQ(again.reject, RejectReason::None);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order.id, first.order.id);
  EXPECT_EQ(again.order.price, 99);
  EXPECT_EQ(again.order.qty, 5);
  EXPECT_TRUE(again.fills.empty());
  EXPECT_EQ(engine_.record_count(), records);
  EXPECT_EQ(engine_.matcher().book(0).order_count(), 1u);

  // The same key from another account is another order.
  const OrderReply other = submit(bob_, with_client_id(buy(98, 5), "abc"));
  EXPECT_FALSE(other.replayed);
  EXPECT_NE(other.order.id, first.order.id);

  // A string key and a numeric token with the same digits are different keys.
  const OrderReply digits = submit(alice_, with_client_id(buy(97, 1), "7"));
  const OrderReply token = submit(alice_, with_token(buy(96, 1), 7));
  EXPECT_FALSE(token.replayed);
  EXPECT_NE(digits.order.id, token.order.id);
}

TEST_F(EngineTest, ReplayOfAFilledOrderDoesNotMatchAgain) {
  submit(bob_, sell(100, 20));
  const OrderReply first = submit(alice_, with_client_id(buy(100, 5), "once"));
  ASSERT_EQ(first.order.status, OrderStatus::Filled);
  ASSERT_EQ(first.fills.size(), 1u);
  const std::uint64_t trades = engine_.trade_count();

  const OrderReply again = submit(alice_, with_client_id(buy(100, 5), "once"));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order.id, first.order.id);
  EXPECT_EQ(again.order.status, OrderStatus::Filled);
  EXPECT_EQ(again.order.executed, 5);
  EXPECT_TRUE(again.fills.empty());
  EXPECT_TRUE(again.maker_fills.empty());
  EXPECT_EQ(engine_.trade_count(), trades);
  EXPECT_EQ(engine_.matcher().book(0).depth(Side::Sell, 1).at(0).qty, 15);
}

TEST_F(EngineTest, ClientTokenIsIdempotent) {
  const OrderReply first = submit(alice_, with_token(buy(99, 5), 12345));
  const OrderReply again = submit(alice_, with_token(sell(150, 9), 12345));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order.id, first.order.id);
  EXPECT_EQ(again.order.side, Side::Buy);
  EXPECT_EQ(again.order.client_token, 12345u);
  EXPECT_EQ(engine_.matcher().book(0).order_count(), 1u);

  // Replays report the order as it is now, e.g. after a cancel.
  ASSERT_EQ(cancel(alice_, first.order.id).reject, RejectReason::None);
  const OrderReply after_cancel = submit(alice_, with_token(buy(99, 5), 12345));
  EXPECT_TRUE(after_cancel.replayed);
  EXPECT_EQ(after_cancel.order.status, OrderStatus::Canceled);
  EXPECT_EQ(engine_.matcher().book(0).order_count(), 0u);
}

TEST_F(EngineTest, ClientOrderIdAndTokenAreSeparateKeys) {
  // The engine indexes a hash of the key and checks candidates against the record, so
  // a client_order_id, a token with the same digits and another account never mix.
  const OrderReply by_id = submit(alice_, with_client_id(buy(90, 1), "7"));
  const OrderReply by_token = submit(alice_, with_token(buy(91, 1), 7));
  const OrderReply other_account = submit(bob_, with_client_id(buy(92, 1), "7"));
  EXPECT_FALSE(by_token.replayed);
  EXPECT_FALSE(other_account.replayed);
  EXPECT_NE(by_token.order.id, by_id.order.id);
  EXPECT_EQ(submit(alice_, with_token(buy(93, 1), 7)).order.id, by_token.order.id);
  EXPECT_EQ(submit(alice_, with_client_id(buy(93, 1), "7")).order.id, by_id.order.id);
  EXPECT_EQ(submit(bob_, with_client_id(buy(93, 1), "7")).order.id, other_account.order.id);
  // With both set, the client_order_id is the key: a new id with a used token is new.
  Order both = with_token(with_client_id(buy(94, 1), "8"), 7);
  EXPECT_FALSE(submit(alice_, both).replayed);
}

TEST_F(EngineTest, RejectedSubmitDoesNotReserveTheClientOrderId) {
  const OrderReply bad = submit(alice_, with_client_id(buy(0, 5), "retry-me"));
  EXPECT_EQ(bad.reject, RejectReason::BadPrice);
  const OrderReply good = submit(alice_, with_client_id(buy(100, 5), "retry-me"));
  EXPECT_EQ(good.reject, RejectReason::None);
  EXPECT_FALSE(good.replayed);
  EXPECT_EQ(good.order.status, OrderStatus::New);
}

TEST_F(EngineTest, OtherAccountsOrdersLookUnknown) {
  const OrderId mine = submit(alice_, buy(99, 5)).order.id;

  EXPECT_EQ(get(bob_, mine).reject, RejectReason::UnknownOrder);
  const OrderReply stolen = cancel(bob_, mine);
  EXPECT_EQ(stolen.reject, RejectReason::UnknownOrder);
  EXPECT_EQ(get(alice_, mine).order.status, OrderStatus::New);
  EXPECT_EQ(engine_.matcher().book(0).order_count(), 1u);

  EXPECT_EQ(get(alice_, OrderId{999}).reject, RejectReason::UnknownOrder);
  EXPECT_EQ(cancel(alice_, OrderId{999}).reject, RejectReason::UnknownOrder);
  EXPECT_EQ(get(alice_, OrderId{0}).reject, RejectReason::UnknownOrder);
}

TEST_F(EngineTest, CancelRemovesTheOrderAndTerminalOrdersCannotBeCanceled) {
  const OrderId resting = submit(alice_, buy(99, 5)).order.id;
  const OrderReply canceled = cancel(alice_, resting);
  EXPECT_EQ(canceled.reject, RejectReason::None);
  EXPECT_EQ(canceled.order.id, resting);
  EXPECT_EQ(canceled.order.status, OrderStatus::Canceled);
  EXPECT_EQ(engine_.matcher().book(0).order_count(), 0u);
  EXPECT_TRUE(engine_.open_orders(OpenOrders{alice_, std::nullopt}).orders.empty());
  EXPECT_EQ(get(alice_, resting).order.status, OrderStatus::Canceled);

  EXPECT_EQ(cancel(alice_, resting).reject, RejectReason::UnknownOrder);

  submit(bob_, sell(100, 5));
  const OrderId filled = submit(alice_, buy(100, 5)).order.id;
  ASSERT_EQ(get(alice_, filled).order.status, OrderStatus::Filled);
  EXPECT_EQ(cancel(alice_, filled).reject, RejectReason::UnknownOrder);

  const OrderId expired = submit(alice_, with_tif(buy(100, 5), TimeInForce::Ioc)).order.id;
  ASSERT_EQ(get(alice_, expired).order.status, OrderStatus::Expired);
  EXPECT_EQ(cancel(alice_, expired).reject, RejectReason::UnknownOrder);
}

TEST_F(EngineTest, CancelOfAPartiallyFilledOrderKeepsItsExecutedQuantity) {
  const OrderId bid = submit(alice_, buy(100, 10)).order.id;
  submit(bob_, sell(100, 4));
  const OrderReply canceled = cancel(alice_, bid);
  EXPECT_EQ(canceled.order.status, OrderStatus::Canceled);
  EXPECT_EQ(canceled.order.executed, 4);
}

TEST_F(EngineTest, OpenOrdersFilterBySymbolAndAreOrderedById) {
  std::vector<OrderId> btc;
  std::vector<OrderId> eth;
  for (int i = 0; i < 3; ++i) {
    btc.push_back(submit(alice_, buy(90 + i, 1)).order.id);
    eth.push_back(submit(alice_, on_symbol(sell(200 - i, 1), 1)).order.id);
    submit(bob_, buy(80, 1));
  }
  auto ids = [](const OpenOrdersReply& r) {
    std::vector<OrderId> out;
    for (const OrderRecord& o : r.orders) out.push_back(o.id);
    return out;
  };
  const auto all = ids(engine_.open_orders(OpenOrders{alice_, std::nullopt}));
  ASSERT_EQ(all.size(), 6u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(ids(engine_.open_orders(OpenOrders{alice_, SymbolId{0}})), btc);
  EXPECT_EQ(ids(engine_.open_orders(OpenOrders{alice_, SymbolId{1}})), eth);
  EXPECT_EQ(engine_.open_orders(OpenOrders{bob_, SymbolId{1}}).orders.size(), 0u);
  EXPECT_EQ(engine_.open_orders(OpenOrders{bob_, std::nullopt}).orders.size(), 3u);
  EXPECT_TRUE(engine_.open_orders(OpenOrders{AccountId{42}, std::nullopt}).orders.empty());

  cancel(alice_, btc[1]);
  EXPECT_EQ(ids(engine_.open_orders(OpenOrders{alice_, SymbolId{0}})),
            (std::vector<OrderId>{btc[0], btc[2]}));
  // Canceling from the front and the middle keeps the listing in id order.
  cancel(alice_, btc[0]);
  cancel(alice_, eth[1]);
  EXPECT_EQ(ids(engine_.open_orders(OpenOrders{alice_, std::nullopt})),
            (std::vector<OrderId>{eth[0], btc[2], eth[2]}));
}

TEST_F(EngineTest, DepthAggregatesLevelsBestFirst) {
  submit(alice_, buy(99, 2));
  submit(bob_, buy(99, 3));
  submit(alice_, buy(98, 7));
  submit(alice_, buy(97, 1));
  submit(bob_, sell(101, 4));
  submit(bob_, sell(103, 6));
  submit(alice_, on_symbol(sell(500, 1), 1));

  const DepthReply d = engine_.depth(GetDepth{0, 2});
  EXPECT_EQ(d.symbol, 0);
  ASSERT_EQ(d.bids.size(), 2u);
  EXPECT_EQ(d.bids[0].price, 99);
  EXPECT_EQ(d.bids[0].qty, 5);
  EXPECT_EQ(d.bids[0].orders, 2u);
  EXPECT_EQ(d.bids[1].price, 98);
  EXPECT_EQ(d.bids[1].qty, 7);
  ASSERT_EQ(d.asks.size(), 2u);
  EXPECT_EQ(d.asks[0].price, 101);
  EXPECT_EQ(d.asks[1].price, 103);
  EXPECT_EQ(d.asks[1].qty, 6);

  EXPECT_EQ(engine_.depth(GetDepth{0, 100}).bids.size(), 3u);
  const DepthReply eth = engine_.depth(GetDepth{1, 100});
  EXPECT_TRUE(eth.bids.empty());
  ASSERT_EQ(eth.asks.size(), 1u);
  EXPECT_EQ(eth.asks[0].price, 500);

  const DepthReply unknown = engine_.depth(GetDepth{7, 100});
  EXPECT_EQ(unknown.symbol, 7);
  EXPECT_TRUE(unknown.bids.empty());
  EXPECT_TRUE(unknown.asks.empty());
}

class EngineOpenOrderLimitTest : public EngineTest {
 protected:
  static EngineLimits limits() {
    EngineLimits l = small_limits();
    l.max_open_orders_per_account = 2;
    return l;
  }
  EngineOpenOrderLimitTest() : EngineTest(limits()) {}
};

TEST_F(EngineOpenOrderLimitTest, RestingOrdersAreCappedPerAccount) {
  const OrderId first = submit(alice_, buy(90, 1)).order.id;
  submit(alice_, buy(91, 1));
  const std::size_t records = engine_.record_count();
  const OrderReply third = submit(alice_, buy(92, 1));
  EXPECT_EQ(third.reject, RejectReason::TooManyOpenOrders);
  EXPECT_EQ(engine_.record_count(), records);
  EXPECT_EQ(engine_.matcher().book(0).order_count(), 2u);

  // Other accounts have their own allowance.
  EXPECT_EQ(submit(bob_, buy(92, 1)).reject, RejectReason::None);

  // Orders that cannot rest are not limited.
  EXPECT_EQ(submit(alice_, with_tif(buy(92, 1), TimeInForce::Ioc)).reject, RejectReason::None);

  // A cancel frees a slot.
  cancel(alice_, first);
  EXPECT_EQ(submit(alice_, buy(93, 1)).reject, RejectReason::None);
  EXPECT_EQ(submit(alice_, buy(94, 1)).reject, RejectReason::TooManyOpenOrders);

  // So does a fill.
  submit(bob_, sell(93, 1));
  EXPECT_EQ(submit(alice_, buy(94, 1)).reject, RejectReason::None);
}

// Two finished orders remembered whole, and the keys of three more forgotten ones.
class EngineHistoryTest : public EngineTest {
 protected:
  static EngineLimits limits(std::size_t window) {
    EngineLimits l = small_limits();
    l.order_history = 2;
    l.idempotency_window = window;
    return l;
  }
  explicit EngineHistoryTest(std::size_t window = 3) : EngineTest(limits(window)) {}

  static Order ioc() { return with_tif(buy(100, 1), TimeInForce::Ioc); }  // finishes at once
  std::uint64_t last_order_id() const { return engine_.state().last_order_id; }
};

TEST_F(EngineHistoryTest, OldestFinishedOrderIsForgottenButItsKeyIsKept) {
  // Three orders finish (IOCs with nothing to match): only the last two are remembered.
  const OrderId first = submit(alice_, with_client_id(ioc(), "c1")).order.id;
  const OrderId second = submit(alice_, with_client_id(ioc(), "c2")).order.id;
  EXPECT_EQ(get(alice_, first).order.status, OrderStatus::Expired);
  const OrderId third = submit(alice_, with_client_id(ioc(), "c3")).order.id;

  const OrderReply gone = get(alice_, first);
  EXPECT_EQ(gone.reject, RejectReason::UnknownOrder);
  EXPECT_TRUE(gone.forgotten);
  EXPECT_EQ(gone.order.id, first);
  EXPECT_EQ(get(alice_, second).order.status, OrderStatus::Expired);
  EXPECT_FALSE(get(alice_, second).forgotten);
  EXPECT_EQ(get(alice_, third).order.status, OrderStatus::Expired);
  EXPECT_EQ(engine_.record_count(), 2u);
  EXPECT_EQ(engine_.idempotency_window().size(), 1u);

  // "c2" is still remembered whole: the full record comes back, as before.
  const OrderReply remembered = submit(alice_, with_client_id(ioc(), "c2"));
  EXPECT_TRUE(remembered.replayed);
  EXPECT_FALSE(remembered.forgotten);
  EXPECT_EQ(remembered.order.id, second);
  EXPECT_EQ(remembered.order.status, OrderStatus::Expired);

  // "c1" has only its key left: the original id, and no new order.
  const std::uint64_t last = last_order_id();
  const OrderReply resent = submit(alice_, with_client_id(buy(90, 7), "c1"));
  EXPECT_EQ(resent.reject, RejectReason::None);
  EXPECT_TRUE(resent.replayed);
  EXPECT_TRUE(resent.forgotten);
  EXPECT_EQ(resent.order.id, first);
  EXPECT_EQ(resent.order.account, alice_);
  EXPECT_EQ(resent.order.client_order_id, "c1");
  EXPECT_EQ(resent.order.client_token, 0u);
  // Everything else is unknown here, so default.
  EXPECT_EQ(resent.order.price, 0);
  EXPECT_EQ(resent.order.qty, 0);
  EXPECT_EQ(resent.order.status, OrderStatus::New);
  EXPECT_TRUE(resent.order.request_id.empty());
  EXPECT_TRUE(resent.fills.empty());
  EXPECT_TRUE(resent.maker_fills.empty());
  EXPECT_EQ(last_order_id(), last);
  EXPECT_EQ(engine_.record_count(), 2u);
  EXPECT_EQ(engine_.matcher().book(0).order_count(), 0u);

  // The account is part of the key: bob's "c1" is his first.
  const OrderReply bobs = submit(bob_, with_client_id(buy(90, 1), "c1"));
  EXPECT_FALSE(bobs.replayed);
  EXPECT_GT(bobs.order.id, third);
}

TEST_F(EngineHistoryTest, ForgottenTokensAreKeptToo) {
  const OrderId first = submit(alice_, with_token(ioc(), 41)).order.id;
  for (int i = 0; i < 2; ++i) submit(alice_, ioc());
  ASSERT_EQ(engine_.find(first), nullptr);
  const std::uint64_t last = last_order_id();
  const OrderReply resent = submit(alice_, with_token(sell(150, 3), 41));
  EXPECT_TRUE(resent.replayed);
  EXPECT_TRUE(resent.forgotten);
  EXPECT_EQ(resent.order.id, first);
  EXPECT_EQ(resent.order.client_token, 41u);
  EXPECT_TRUE(resent.order.client_order_id.empty());
  EXPECT_EQ(last_order_id(), last);
  // A client_order_id with the same digits is another key.
  EXPECT_FALSE(submit(alice_, with_client_id(ioc(), "41")).replayed);
}

TEST_F(EngineHistoryTest, OrdersWithoutAKeyLeaveNothingBehind) {
  for (int i = 0; i < 5; ++i) submit(alice_, ioc());
  EXPECT_EQ(engine_.idempotency_window().size(), 0u);
}

TEST_F(EngineHistoryTest, PastTheWindowAResendIsANewOrder) {
  // c1..c4 are forgotten, and the window of 3 keeps c2..c4.
  std::vector<OrderId> ids;
  for (int i = 1; i <= 6; ++i) {
    ids.push_back(submit(alice_, with_client_id(ioc(), "c" + std::to_string(i))).order.id);
  }
  EXPECT_EQ(engine_.idempotency_window().size(), 3u);
  const OrderReply c2 = submit(alice_, with_client_id(ioc(), "c2"));
  EXPECT_TRUE(c2.forgotten);
  EXPECT_EQ(c2.order.id, ids[1]);
  const OrderReply c1 = submit(alice_, with_client_id(buy(90, 1), "c1"));
  EXPECT_FALSE(c1.replayed);
  EXPECT_FALSE(c1.forgotten);
  EXPECT_GT(c1.order.id, ids[5]);
  EXPECT_EQ(c1.order.status, OrderStatus::New);
  // The old c1 is still an id the engine handed out and forgot.
  EXPECT_TRUE(get(alice_, ids[0]).forgotten);
}

TEST_F(EngineHistoryTest, GetAndCancelTellAForgottenIdFromOneNeverHandedOut) {
  const OrderId first = submit(alice_, ioc()).order.id;
  for (int i = 0; i < 2; ++i) submit(alice_, ioc());
  const OrderId resting = submit(bob_, buy(90, 1)).order.id;

  const OrderReply forgotten_get = get(alice_, first);
  EXPECT_EQ(forgotten_get.reject, RejectReason::UnknownOrder);
  EXPECT_TRUE(forgotten_get.forgotten);
  EXPECT_EQ(forgotten_get.order.id, first);
  // The engine cannot tell who owned a forgotten id: the read path checks the owner.
  EXPECT_TRUE(get(bob_, first).forgotten);

  const OrderReply forgotten_cancel = cancel(alice_, first);
  EXPECT_EQ(forgotten_cancel.reject, RejectReason::UnknownOrder);
  EXPECT_TRUE(forgotten_cancel.forgotten);
  EXPECT_EQ(forgotten_cancel.order.id, first);

  for (const OrderId never : {OrderId{0}, OrderId{resting.value + 1}, OrderId{1'000'000}}) {
    const OrderReply g = get(alice_, never);
    EXPECT_EQ(g.reject, RejectReason::UnknownOrder);
    EXPECT_FALSE(g.forgotten) << never.value;
    EXPECT_EQ(g.order.id, OrderId{0});
    EXPECT_FALSE(cancel(alice_, never).forgotten) << never.value;
  }
  // Another account's remembered order is unknown, not forgotten.
  EXPECT_FALSE(get(alice_, resting).forgotten);
  EXPECT_FALSE(cancel(alice_, resting).forgotten);
  // A finished order still remembered: unknown to cancel, with its record.
  const OrderReply finished = cancel(alice_, OrderId{first.value + 2});
  EXPECT_EQ(finished.reject, RejectReason::UnknownOrder);
  EXPECT_FALSE(finished.forgotten);
  EXPECT_EQ(finished.order.status, OrderStatus::Expired);
}

TEST_F(EngineHistoryTest, AnIdTakenByARejectedSubmitAlsoReadsAsForgotten) {
  // The matcher's rejects take an id (it is in the journal's replay either way) and
  // leave no record, so the engine cannot tell that id from a forgotten order's.
  const OrderReply bad = submit(alice_, buy(0, 1));
  ASSERT_EQ(bad.reject, RejectReason::BadPrice);
  const OrderId next = submit(alice_, buy(90, 1)).order.id;
  EXPECT_TRUE(get(alice_, OrderId{next.value - 1}).forgotten);
}

class EngineNoWindowTest : public EngineHistoryTest {
 protected:
  EngineNoWindowTest() : EngineHistoryTest(0) {}
};

TEST_F(EngineNoWindowTest, AForgottenOrdersClientIdMayBeUsedAgain) {
  const OrderId first = submit(alice_, with_client_id(ioc(), "c1")).order.id;
  for (int i = 0; i < 2; ++i) submit(alice_, ioc());
  EXPECT_EQ(engine_.idempotency_window().size(), 0u);
  EXPECT_TRUE(get(alice_, first).forgotten);
  const OrderReply reused = submit(alice_, with_client_id(buy(90, 1), "c1"));
  EXPECT_FALSE(reused.replayed);
  EXPECT_FALSE(reused.forgotten);
  EXPECT_GT(reused.order.id, first);
  EXPECT_EQ(reused.order.status, OrderStatus::New);
}

TEST_F(EngineHistoryTest, LiveOrdersAreNeverForgotten) {
  const OrderId live = submit(alice_, with_client_id(buy(90, 1), "live")).order.id;
  for (int i = 0; i < 10; ++i) submit(bob_, with_tif(buy(100, 1), TimeInForce::Ioc));
  EXPECT_EQ(get(alice_, live).order.status, OrderStatus::New);
  EXPECT_TRUE(submit(alice_, with_client_id(buy(90, 1), "live")).replayed);
  EXPECT_EQ(engine_.record_count(), 3u);
}

TEST_F(EngineHistoryTest, FilledMakersJoinTheHistory) {
  const OrderId maker = submit(bob_, sell(100, 1)).order.id;
  const OrderId taker = submit(alice_, buy(100, 1)).order.id;
  EXPECT_EQ(get(bob_, maker).order.status, OrderStatus::Filled);
  EXPECT_EQ(get(alice_, taker).order.status, OrderStatus::Filled);
  submit(alice_, with_tif(buy(100, 1), TimeInForce::Ioc));
  EXPECT_EQ(get(bob_, maker).reject, RejectReason::UnknownOrder);
  EXPECT_EQ(get(alice_, taker).reject, RejectReason::None);
}

// Random submits and cancels across three accounts and two symbols; after every step
// the engine's invariants hold, and every reply agrees with what GET says afterwards.
struct RandomCase {
  std::uint32_t seed;
  std::size_t order_history;
  std::size_t max_open_orders;
  std::size_t idempotency_window = EngineLimits{}.idempotency_window;
};

class EngineRandomTest : public ::testing::TestWithParam<RandomCase> {};

TEST_P(EngineRandomTest, InvariantsHoldAfterEveryStep) {
  const RandomCase param = GetParam();
  EngineLimits limits = small_limits();
  limits.order_history = param.order_history;
  limits.max_open_orders_per_account = param.max_open_orders;
  limits.idempotency_window = param.idempotency_window;
  Engine engine(symbols(), limits);
  std::vector<AccountId> accounts;
  for (int i = 0; i < 3; ++i) {
    accounts.push_back(engine.create_account({"acct" + std::to_string(i), "h"}).account);
  }
  std::mt19937 rng(param.seed);
  auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<std::pair<AccountId, OrderId>> placed;
  std::size_t rejects = 0;
  std::size_t cancels = 0;
  std::size_t replays = 0;
  std::size_t forgotten_replays = 0;

  for (int step = 0; step < 3000; ++step) {
    SCOPED_TRACE("seed " + std::to_string(param.seed) + " step " + std::to_string(step));
    const AccountId account = accounts[pick(0, 2)];
    OrderReply reply;
    if (pick(0, 9) < 3 && !placed.empty()) {
      const auto& target = placed[pick(0, static_cast<int>(placed.size()) - 1)];
      const AccountId who = pick(0, 4) == 0 ? account : target.first;
      reply = engine.cancel(CancelRequest{who, target.second});
      if (reply.reject == RejectReason::None) {
        ++cancels;
        EXPECT_EQ(reply.order.status, OrderStatus::Canceled);
        EXPECT_EQ(who, target.first);
      } else {
        EXPECT_EQ(reply.reject, RejectReason::UnknownOrder);
      }
    } else {
      Order o = pick(0, 1) == 0 ? buy(100 - pick(-3, 5), pick(1, 10))
                                : sell(100 + pick(-3, 5), pick(1, 10));
      o.symbol = static_cast<SymbolId>(pick(0, 1));
      const int kind = pick(0, 9);
      if (kind == 0)
        o = market(o.side, o.qty, pick(0, 1) == 0 ? TimeInForce::Ioc : TimeInForce::Fok);
      if (kind == 1) o.tif = TimeInForce::Ioc;
      if (kind == 2) o.tif = TimeInForce::Fok;
      if (kind == 3) o.qty = 0;  // rejected
      if (pick(0, 4) == 0) o.client_order_id = "c" + std::to_string(pick(0, 40));
      reply = engine.submit(submit_of(account, o), "r" + std::to_string(step));
      if (reply.reject != RejectReason::None) {
        ++rejects;
        EXPECT_TRUE(reply.reject == RejectReason::BadQuantity ||
                    reply.reject == RejectReason::TooManyOpenOrders)
            << to_string(reply.reject);
      } else if (reply.replayed) {
        ++replays;
        if (reply.forgotten) {
          ++forgotten_replays;
          EXPECT_EQ(engine.find(reply.order.id), nullptr);
          EXPECT_TRUE(engine.get(GetOrder{account, reply.order.id}).forgotten);
        }
        EXPECT_TRUE(reply.fills.empty());
        EXPECT_EQ(reply.order.client_order_id, o.client_order_id);
        EXPECT_EQ(reply.order.account, account);
      } else {
        placed.emplace_back(account, reply.order.id);
        Lots filled = 0;
        for (const Fill& f : reply.fills) filled += f.qty;
        EXPECT_EQ(filled, reply.order.executed);
        ASSERT_EQ(reply.fills.size(), reply.maker_fills.size());
        for (std::size_t i = 0; i < reply.fills.size(); ++i) {
          EXPECT_EQ(reply.fills[i].trade_id, reply.maker_fills[i].fill.trade_id);
          EXPECT_EQ(reply.fills[i].qty, reply.maker_fills[i].fill.qty);
          EXPECT_EQ(reply.fills[i].price, reply.maker_fills[i].fill.price);
          const OrderReply maker =
              engine.get(GetOrder{reply.maker_fills[i].account, reply.maker_fills[i].order_id});
          if (maker.reject == RejectReason::None) {
            const Lots leaves = reply.maker_fills[i].fill.leaves;
            EXPECT_EQ(maker.order.qty - maker.order.executed, leaves);
            EXPECT_EQ(maker.order.status,
                      leaves == 0 ? OrderStatus::Filled : OrderStatus::PartiallyFilled);
          }
        }
      }
    }
    if (reply.reject == RejectReason::None && !reply.replayed) {
      const OrderReply now = engine.get(GetOrder{reply.order.account, reply.order.id});
      if (now.reject == RejectReason::None) {
        EXPECT_EQ(now.order.status, reply.order.status);
        EXPECT_EQ(now.order.executed, reply.order.executed);
      }
    }
    std::string why;
    ASSERT_TRUE(engine.check_invariants(&why)) << why;
    std::size_t open = 0;
    for (const AccountId a : accounts) {
      const auto orders = engine.open_orders(OpenOrders{a, std::nullopt}).orders;
      EXPECT_LE(orders.size(), param.max_open_orders);
      open += orders.size();
    }
    ASSERT_EQ(open,
              engine.matcher().book(0).order_count() + engine.matcher().book(1).order_count());
  }
  // The mix really exercised every path.
  EXPECT_GT(rejects, 0u);
  EXPECT_GT(cancels, 0u);
  EXPECT_GT(replays, 0u);
  if (param.order_history <= 50 && param.idempotency_window >= 1000) {
    EXPECT_GT(forgotten_replays, 0u);
  }
  EXPECT_GT(engine.trade_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, EngineRandomTest,
                         ::testing::Values(RandomCase{1, 1'000'000, 100'000},
                                           RandomCase{2, 1'000'000, 100'000},
                                           RandomCase{3, 50, 100'000}, RandomCase{4, 0, 100'000},
                                           RandomCase{5, 20, 8}, RandomCase{6, 5, 100'000, 4},
                                           RandomCase{7, 0, 100'000, 0}),
                         [](const ::testing::TestParamInfo<RandomCase>& info) {
                           return "seed" + std::to_string(info.param.seed) + "_history" +
                                  std::to_string(info.param.order_history) + "_open" +
                                  std::to_string(info.param.max_open_orders) + "_window" +
                                  std::to_string(info.param.idempotency_window);
                         });

// Balances: with symbols() one lot of BTC is 100,000 units (8 decimals, lot 0.001) and
// one tick times one lot is 1,000 units of USDT (tick 0.01).
constexpr std::int64_t kBasePerLot = 100'000;
constexpr std::int64_t kQuotePerTickLot = 1'000;

class BalanceTest : public EngineTest {
 protected:
  static EngineLimits checked() {
    EngineLimits l = small_limits();
    l.check_balances = true;
    return l;
  }
  BalanceTest() : EngineTest(checked()) {}

  TransferReply deposit(AccountId a, const std::string& asset, std::int64_t amount,
                        const std::string& reference = "") {
    const std::string ref = reference.empty() ? "ref-" + std::to_string(++refs_) : reference;
    TransferReply r = engine_.deposit(Deposit{{a, asset, amount, ref}});
    expect_invariants();
    return r;
  }
  Balance usdt(AccountId a) const { return engine_.balance(a, *engine_.find_asset("USDT")); }
  Balance btc(AccountId a) const { return engine_.balance(a, *engine_.find_asset("BTC")); }

  int refs_ = 0;
};

TEST_F(BalanceTest, AssetsComeFromTheSymbolNames) {
  EXPECT_EQ(engine_.assets(), (std::vector<std::string>{"BTC", "USDT", "ETH"}));
  EXPECT_EQ(engine_.asset_decimals(*engine_.find_asset("USDT")), 8);
}

TEST_F(BalanceTest, LimitBuyLocksPriceTimesQuantityAndCancelReleasesIt) {
  deposit(alice_, "USDT", 100 * 10 * kQuotePerTickLot);
  const OrderReply r = submit(alice_, buy(100, 10));
  ASSERT_EQ(r.reject, RejectReason::None);
  EXPECT_EQ(usdt(alice_), (Balance{0, 1'000'000}));
  EXPECT_EQ(submit(alice_, buy(100, 1)).reject, RejectReason::InsufficientBalance);
  EXPECT_EQ(cancel(alice_, r.order.id).reject, RejectReason::None);
  EXPECT_EQ(usdt(alice_), (Balance{1'000'000, 0}));
}

TEST_F(BalanceTest, PrefetchChangesNothingWhateverTheCommand) {
  deposit(alice_, "USDT", 100 * 10 * kQuotePerTickLot);
  ASSERT_EQ(submit(alice_, buy(100, 10)).reject, RejectReason::None);
  const std::uint64_t before = engine_.state_hash();
  SubmitOrder order = submit_of(alice_, buy(100, 1));
  engine_.prefetch(order);
  order.account = AccountId{1'000'000};  // no such account: ignored
  engine_.prefetch(order);
  order.symbol = 999;  // no such symbol: ignored
  engine_.prefetch(order);
  engine_.prefetch(CancelRequest{alice_, OrderId{1}});    // its live order's balance
  engine_.prefetch(CancelRequest{alice_, OrderId{999}});  // no such order: ignored
  EXPECT_EQ(engine_.state_hash(), before);
  EXPECT_EQ(usdt(alice_), (Balance{0, 1'000'000}));
  expect_invariants();
}

TEST_F(BalanceTest, SellLocksBaseAndNeedsIt) {
  EXPECT_EQ(submit(bob_, sell(100, 1)).reject, RejectReason::InsufficientBalance);
  deposit(bob_, "BTC", 3 * kBasePerLot);
  EXPECT_EQ(submit(bob_, sell(100, 3)).reject, RejectReason::None);
  EXPECT_EQ(btc(bob_), (Balance{0, 3 * kBasePerLot}));
}

TEST_F(BalanceTest, FillsMoveLockedFundsAndABetterPriceReleasesTheDifference) {
  deposit(alice_, "USDT", 1'000'000);
  deposit(bob_, "BTC", 5 * kBasePerLot);
  ASSERT_EQ(submit(bob_, sell(90, 5)).reject, RejectReason::None);
  const OrderReply r = submit(alice_, buy(100, 10));
  ASSERT_EQ(r.reject, RejectReason::None);
  ASSERT_EQ(r.fills.size(), 1u);
  // Paid 5 x 90; the 5 x 10 saved is free again; 5 x 100 stays locked for the rest.
  EXPECT_EQ(usdt(alice_), (Balance{1'000'000 - 450'000 - 500'000, 500'000}));
  EXPECT_EQ(btc(alice_), (Balance{5 * kBasePerLot, 0}));
  EXPECT_EQ(usdt(bob_), (Balance{450'000, 0}));
  EXPECT_EQ(btc(bob_), (Balance{0, 0}));
}

TEST_F(BalanceTest, MarketBuyLocksWhatSweepingTheBookCosts) {
  deposit(bob_, "BTC", 5 * kBasePerLot);
  ASSERT_EQ(submit(bob_, sell(100, 3)).reject, RejectReason::None);
  ASSERT_EQ(submit(bob_, sell(110, 2)).reject, RejectReason::None);
  const std::int64_t cost = (3 * 100 + 2 * 110) * kQuotePerTickLot;
  deposit(alice_, "USDT", cost - 1);
  EXPECT_EQ(submit(alice_, market(Side::Buy, 10)).reject, RejectReason::InsufficientBalance);
  deposit(alice_, "USDT", 1);
  const OrderReply r = submit(alice_, market(Side::Buy, 10));
  ASSERT_EQ(r.reject, RejectReason::None);
  EXPECT_EQ(r.order.executed, 5);
  EXPECT_EQ(r.order.status, OrderStatus::Expired);
  EXPECT_EQ(usdt(alice_), (Balance{0, 0}));
  EXPECT_EQ(btc(alice_), (Balance{5 * kBasePerLot, 0}));
}

TEST_F(BalanceTest, QuoteOrderQtyBuysWhatTheMoneyPaysForAndReleasesTheRest) {
  deposit(bob_, "BTC", 5 * kBasePerLot);
  ASSERT_EQ(submit(bob_, sell(100, 3)).reject, RejectReason::None);
  ASSERT_EQ(submit(bob_, sell(110, 2)).reject, RejectReason::None);
  deposit(alice_, "USDT", 1'000'000);
  SubmitOrder o = submit_of(alice_, market(Side::Buy, 0));
  o.quote_qty = 409'999;  // 3 at 100, and 109,999 does not buy one at 110
  OrderReply r = engine_.submit(o, "q");
  ASSERT_EQ(r.reject, RejectReason::None);
  EXPECT_EQ(r.order.qty, 3);
  EXPECT_EQ(r.order.executed, 3);
  EXPECT_EQ(usdt(alice_), (Balance{1'000'000 - 300'000, 0}));
  o.quote_qty = 110'000;
  r = engine_.submit(o, "q");
  ASSERT_EQ(r.reject, RejectReason::None);
  EXPECT_EQ(r.order.executed, 1);
  EXPECT_EQ(usdt(alice_), (Balance{1'000'000 - 410'000, 0}));
  expect_invariants();
  o.quote_qty = 2'000'000;  // more than alice has
  EXPECT_EQ(engine_.submit(o, "q").reject, RejectReason::InsufficientBalance);
  o.quote_qty = 1;  // not a lot's worth
  EXPECT_EQ(engine_.submit(o, "q").reject, RejectReason::BadQuantity);
  o.side = Side::Sell;
  o.quote_qty = 1000;
  EXPECT_EQ(engine_.submit(o, "q").reject, RejectReason::BadOrderType);
}

TEST_F(BalanceTest, PostOnlyThatWouldCrossIsRejectedAndLocksNothing) {
  deposit(bob_, "BTC", 5 * kBasePerLot);
  deposit(alice_, "USDT", 1'000'000);
  ASSERT_EQ(submit(bob_, sell(100, 5)).reject, RejectReason::None);
  SubmitOrder o = submit_of(alice_, buy(100, 1));
  o.post_only = true;
  EXPECT_EQ(engine_.submit(o, "p").reject, RejectReason::WouldMatch);
  EXPECT_EQ(usdt(alice_), (Balance{1'000'000, 0}));
  o.price = 99;
  const OrderReply r = engine_.submit(o, "p");
  ASSERT_EQ(r.reject, RejectReason::None);
  EXPECT_EQ(r.order.status, OrderStatus::New);
  EXPECT_TRUE(r.order.post_only);
  o.tif = TimeInForce::Ioc;
  EXPECT_EQ(engine_.submit(o, "p").reject, RejectReason::BadOrderType);
  expect_invariants();
}

TEST_F(BalanceTest, DepositsAndWithdrawalsAreIdempotentOnTheirReference) {
  TransferReply d = deposit(alice_, "USDT", 500, "wire-1");
  EXPECT_EQ(d.reject, RejectReason::None);
  EXPECT_FALSE(d.replayed);
  d = deposit(alice_, "USDT", 500, "wire-1");
  EXPECT_TRUE(d.replayed);
  EXPECT_EQ(d.balance, (Balance{500, 0}));
  EXPECT_EQ(usdt(alice_), (Balance{500, 0}));
  const auto w = [&](std::int64_t amount, const std::string& ref) {
    return engine_.withdraw(Withdraw{{alice_, "USDT", amount, ref}});
  };
  EXPECT_EQ(w(501, "out-1").reject, RejectReason::InsufficientBalance);
  EXPECT_EQ(w(200, "out-1").reject, RejectReason::None);  // a refusal is not remembered
  EXPECT_TRUE(w(200, "out-1").replayed);
  EXPECT_EQ(usdt(alice_), (Balance{300, 0}));
  EXPECT_EQ(deposit(alice_, "DOGE", 1).reject, RejectReason::UnknownAsset);
  EXPECT_EQ(deposit(AccountId{99}, "USDT", 1).reject, RejectReason::UnknownAccount);
  EXPECT_EQ(deposit(alice_, "USDT", 0).reject, RejectReason::BadRequest);
  EXPECT_EQ(engine_.balances(GetBalances{AccountId{99}}).reject, RejectReason::UnknownAccount);
  const BalancesReply all = engine_.balances(GetBalances{alice_});
  ASSERT_EQ(all.balances.size(), 3u);
  EXPECT_EQ(all.balances[1].asset, "USDT");
  EXPECT_EQ(all.balances[1].balance, (Balance{300, 0}));
  for (const AssetTotals& t : engine_.asset_totals()) EXPECT_TRUE(t.conserved()) << t.asset;
}

TEST(BalanceFees, MakerAndTakerFeesGoToTheFeeAccount) {
  std::vector<SymbolSpec> specs = symbols();
  specs[0].maker_fee_bps = 10;
  specs[0].taker_fee_bps = 20;
  EngineLimits limits = small_limits();
  limits.check_balances = true;
  Engine engine(specs, limits);
  const AccountId maker = engine.create_account(CreateAccount{"m", "h1"}).account;
  const AccountId taker = engine.create_account(CreateAccount{"t", "h2"}).account;
  engine.deposit(Deposit{{maker, "BTC", 10 * kBasePerLot, "a"}});
  engine.deposit(Deposit{{taker, "USDT", 1'000'000, "b"}});
  ASSERT_EQ(engine.submit(submit_of(maker, sell(100, 10)), "s").reject, RejectReason::None);
  ASSERT_EQ(engine.submit(submit_of(taker, buy(100, 10)), "b").reject, RejectReason::None);
  const AssetId btc = *engine.find_asset("BTC");
  const AssetId usdt = *engine.find_asset("USDT");
  // The maker gets 1,000,000 USDT less 10 bp, the taker 1,000,000 BTC units less 20 bp.
  EXPECT_EQ(engine.balance(maker, usdt), (Balance{999'000, 0}));
  EXPECT_EQ(engine.balance(taker, btc), (Balance{998'000, 0}));
  EXPECT_EQ(engine.balance(AccountId{0}, usdt), (Balance{1'000, 0}));
  EXPECT_EQ(engine.balance(AccountId{0}, btc), (Balance{2'000, 0}));
  std::string why;
  EXPECT_TRUE(engine.check_invariants(&why)) << why;
  for (const AssetTotals& t : engine.asset_totals()) EXPECT_TRUE(t.conserved()) << t.asset;
}

TEST_F(BalanceTest, SnapshotRestoresEveryBalanceAndTheStateHashCoversThem) {
  deposit(alice_, "USDT", 5'000'000, "w1");
  deposit(bob_, "BTC", 10 * kBasePerLot, "w2");
  ASSERT_EQ(submit(bob_, sell(90, 4)).reject, RejectReason::None);
  ASSERT_EQ(submit(alice_, buy(100, 10)).reject, RejectReason::None);
  ASSERT_EQ(submit(bob_, sell(120, 3)).reject, RejectReason::None);
  std::string bytes;
  engine_.serialize(bytes);
  Engine restored(symbols(), checked());
  ASSERT_TRUE(restored.restore(bytes).ok());
  std::string why;
  EXPECT_TRUE(restored.check_invariants(&why)) << why;
  EXPECT_EQ(restored.state_hash(), engine_.state_hash());
  for (const AccountId a : {AccountId{0}, alice_, bob_}) {
    for (AssetId asset = 0; asset < 3; ++asset) {
      EXPECT_EQ(restored.balance(a, asset), engine_.balance(a, asset));
    }
  }
  // The references came along: a repeat is still a repeat.
  EXPECT_TRUE(restored.deposit(Deposit{{alice_, "USDT", 1, "w1"}}).replayed);
  // And the hash sees money move.
  const std::uint64_t before = restored.state_hash();
  restored.deposit(Deposit{{alice_, "USDT", 1, "w3"}});
  EXPECT_NE(restored.state_hash(), before);
  // A pure-book engine does not take a checked engine's snapshot.
  Engine pure(symbols(), small_limits());
  EXPECT_FALSE(pure.restore(bytes).ok());
}

// Found by tests/fuzz/snapshot: a state whose parts each read well but disagree. Here
// one balance row is one unit more than was ever deposited; restore must refuse it, as
// check_invariants would.
TEST_F(BalanceTest, ASnapshotWhoseBalancesDoNotAddUpIsCorruption) {
  constexpr std::int64_t kAmount = 0x0123456789ab;
  deposit(alice_, "USDT", kAmount, "w1");
  std::string bytes;
  engine_.serialize(bytes);
  std::string pattern(sizeof kAmount, '\0');
  std::memcpy(pattern.data(), &kAmount, sizeof kAmount);
  // The balance rows come before the asset totals and the transfers.
  const std::size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos);
  const std::int64_t more = kAmount + 1;
  std::memcpy(bytes.data() + at, &more, sizeof more);
  Engine restored(symbols(), checked());
  const Status s = restored.restore(bytes);
  EXPECT_EQ(s.code(), StatusCode::Corruption) << s.message();
  EXPECT_NE(s.message().find("inconsistent state"), std::string::npos) << s.message();
}

// Found by tests/fuzz/snapshot: two balance rows near INT64_MAX. Checking that the asset
// is conserved summed them in 64 bits (signed overflow, undefined behaviour); the sum is
// taken in 128 bits and the state refused.
TEST_F(BalanceTest, ASnapshotWhoseBalancesOverflowASumIsCorruption) {
  constexpr std::int64_t kAmount = 0x0123456789ab;
  deposit(alice_, "USDT", kAmount, "w1");
  deposit(bob_, "USDT", kAmount, "w2");
  std::string bytes;
  engine_.serialize(bytes);
  std::string pattern(sizeof kAmount, '\0');
  std::memcpy(pattern.data(), &kAmount, sizeof kAmount);
  const std::int64_t huge = INT64_MAX - 1;
  for (std::size_t at = bytes.find(pattern), rows = 0; rows < 2; ++rows) {
    ASSERT_NE(at, std::string::npos);
    std::memcpy(bytes.data() + at, &huge, sizeof huge);
    at = bytes.find(pattern, at + sizeof huge);
  }
  Engine restored(symbols(), checked());
  const Status s = restored.restore(bytes);
  EXPECT_EQ(s.code(), StatusCode::Corruption) << s.message();
  EXPECT_NE(s.message().find("USDT is not conserved: held 18446744073709551612"), std::string::npos)
      << s.message();
}

// Found by tests/fuzz/snapshot: a resting order whose quantity was damaged to ~6e18
// lots. What it locks (price x quantity x units) was computed in 64 bits while checking
// the state (signed overflow); it is computed in 128 bits and the state refused.
TEST_F(BalanceTest, ASnapshotWhoseOrderLocksMoreThanInt64IsCorruption) {
  constexpr Ticks kPrice = 0x0a0b;
  constexpr Lots kQty = 0x0c0d;
  deposit(alice_, "USDT", kPrice * kQty * kQuotePerTickLot);
  ASSERT_EQ(submit(alice_, buy(kPrice, kQty)).reject, RejectReason::None);
  std::string bytes;
  engine_.serialize(bytes);
  std::string pattern(sizeof kQty, '\0');
  std::memcpy(pattern.data(), &kQty, sizeof kQty);
  const std::int64_t huge = 6'071'415'522'526'758'797;
  int patched = 0;
  for (std::size_t at = bytes.find(pattern); at != std::string::npos;
       at = bytes.find(pattern, at + sizeof huge), ++patched) {
    std::memcpy(bytes.data() + at, &huge, sizeof huge);
  }
  ASSERT_GE(patched, 1);
  Engine restored(symbols(), checked());
  const Status s = restored.restore(bytes);
  EXPECT_EQ(s.code(), StatusCode::Corruption) << s.message();
  EXPECT_NE(s.message().find("inconsistent state"), std::string::npos) << s.message();
}

// Found by tests/fuzz/snapshot: a state whose account id counter (here 2^32) is far
// beyond its accounts. restore sized the balance table by the counter (a 200 GB
// allocation) before reading any account; it must refuse the state instead.
TEST(EngineRestore, AccountCounterOutOfStepIsCorruptionNotAnAllocation) {
  const std::string hex =
      "04000000feffffff0100000000000000010000000000000000000000000000000000000000000000"
      "00000000000000009300000000000000000000000000000000000000000000000001030003000000"
      "42544304000000555344540300000045544800000000000000000000000000000000000000000000"
      "00000000000000000000000000000040000000000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000002000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "00000080000000000000000000000000000000000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000";
  std::string bytes;
  for (std::size_t k = 0; k + 1 < hex.size(); k += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(k, 2), nullptr, 16)));
  Engine engine(symbols(), EngineLimits{});
  const Status s = engine.restore(bytes);
  EXPECT_EQ(s.code(), StatusCode::Corruption) << s.message();
}

}  // namespace
}  // namespace spot
