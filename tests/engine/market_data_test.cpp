// MarketData: the trade ring, the rolling 24-hour buckets at injected times, the book
// update id as the Engine feeds it, and the snapshot form (with older formats).
#include "spot/engine/market_data.h"

#include <gtest/gtest.h>

#include "spot/engine/engine.h"

namespace spot {
namespace {

constexpr std::int64_t kMinute = MarketData::kMinuteNs;
constexpr std::int64_t kHour = 60 * kMinute;
// 2024-01-01T00:00:00Z, on a minute boundary.
constexpr std::int64_t kT0 = 1'704'067'200'000'000'000;

std::vector<std::uint64_t> ids_of(const std::vector<PublicTrade>& trades) {
  std::vector<std::uint64_t> ids;
  for (const PublicTrade& t : trades) ids.push_back(t.id);
  return ids;
}

std::vector<PublicTrade> query(const MarketData& m, TradeQuery q) {
  std::vector<PublicTrade> out;
  m.trades(0, q, out);
  return out;
}

TEST(MarketData, RingKeepsTheNewestTradesOldestFirst) {
  MarketData m(1, 3);
  for (std::uint64_t id = 1; id <= 5; ++id) {
    m.record_trade(0, id, 100 + static_cast<Ticks>(id), 2, 10 + id, Side::Buy, kT0);
  }
  EXPECT_EQ(m.trade_count(0), 3u);
  EXPECT_EQ(ids_of(query(m, {})), (std::vector<std::uint64_t>{3, 4, 5}));
  TradeQuery two;
  two.limit = 2;
  EXPECT_EQ(ids_of(query(m, two)), (std::vector<std::uint64_t>{4, 5}));
  // The last price outlives the ring.
  ASSERT_TRUE(m.last_trade(0).has_value());
  EXPECT_EQ(m.last_trade(0)->first, 105);
  EXPECT_EQ(m.last_trade(0)->second, 2);
  const auto all = query(m, {});
  EXPECT_EQ(all.back().price, 105);
  EXPECT_EQ(all.back().qty, 2);
  EXPECT_EQ(all.back().time_ns, kT0);
  EXPECT_FALSE(all.back().buyer_maker);  // the taker bought
  std::string why;
  EXPECT_TRUE(m.check_invariants(&why)) << why;
}

TEST(MarketData, NoTradeYet) {
  MarketData m(2, 10);
  EXPECT_FALSE(m.last_trade(1).has_value());
  EXPECT_TRUE(query(m, {}).empty());
  const DayStats d = m.day(1, kT0);
  EXPECT_EQ(d.count, 0u);
  EXPECT_EQ(d.last, 0);
  EXPECT_EQ(d.open_time_ns, kT0 - MarketData::kDayNs);
  EXPECT_EQ(d.close_time_ns, kT0);
  EXPECT_EQ(m.update_id(1), 0u);
}

TEST(MarketData, RollingWindowAtInjectedTimes) {
  MarketData m(1, 100);
  m.record_trade(0, 1, 100, 1, 1, Side::Buy, kT0 + 5);           // minute 0
  m.record_trade(0, 2, 120, 2, 2, Side::Sell, kT0 + kMinute);    // minute 1
  m.record_trade(0, 3, 90, 3, 3, Side::Buy, kT0 + kMinute + 7);  // minute 1
  m.record_trade(0, 4, 110, 4, 4, Side::Buy, kT0 + 23 * kHour);  // minute 1380

  DayStats d = m.day(0, kT0 + 23 * kHour + 30'000'000'000);
  EXPECT_EQ(d.count, 4u);
  EXPECT_EQ(d.open, 100);
  EXPECT_EQ(d.high, 120);
  EXPECT_EQ(d.low, 90);
  EXPECT_EQ(d.last, 110);
  EXPECT_EQ(d.last_qty, 4);
  EXPECT_EQ(d.volume, 10);
  EXPECT_EQ(d.quote_volume, 100 * 1 + 120 * 2 + 90 * 3 + 110 * 4);
  EXPECT_EQ(d.first_id, 1u);
  EXPECT_EQ(d.last_id, 4u);
  EXPECT_EQ(d.prev_close, 0);

  // A day after minute 0: its bucket has left the window (minute granularity), the
  // close before the window is its last price.
  d = m.day(0, kT0 + 24 * kHour);
  EXPECT_EQ(d.count, 3u);
  EXPECT_EQ(d.open, 120);
  EXPECT_EQ(d.first_id, 2u);
  EXPECT_EQ(d.prev_close, 100);
  EXPECT_EQ(d.high, 120);
  EXPECT_EQ(d.low, 90);
  // The last moment minute 1 is still in: 24 h after its start, less a nanosecond.
  EXPECT_EQ(m.day(0, kT0 + kMinute + 24 * kHour - 1).count, 3u);
  d = m.day(0, kT0 + kMinute + 24 * kHour);
  EXPECT_EQ(d.count, 1u);
  EXPECT_EQ(d.open, 110);
  EXPECT_EQ(d.prev_close, 90);

  // Nothing in the window: no movement, the last price everywhere.
  d = m.day(0, kT0 + 48 * kHour);
  EXPECT_EQ(d.count, 0u);
  EXPECT_EQ(d.volume, 0);
  EXPECT_EQ(d.open, 110);
  EXPECT_EQ(d.high, 110);
  EXPECT_EQ(d.low, 110);
  EXPECT_EQ(d.last, 110);
  EXPECT_EQ(d.prev_close, 110);
  EXPECT_EQ(d.first_id, 0u);

  // A read "before" the last trade (a slow reader's clock) ends at the last trade.
  d = m.day(0, kT0);
  EXPECT_EQ(d.close_time_ns, kT0 + 23 * kHour);
  EXPECT_EQ(d.count, 4u);
}

TEST(MarketData, ABucketSlotIsReusedADayLater) {
  MarketData m(1, 100);
  m.record_trade(0, 1, 100, 1, 1, Side::Buy, kT0);
  m.record_trade(0, 2, 200, 5, 2, Side::Buy, kT0 + MarketData::kDayNs);  // same slot
  std::string why;
  ASSERT_TRUE(m.check_invariants(&why)) << why;
  const DayStats d = m.day(0, kT0 + MarketData::kDayNs);
  EXPECT_EQ(d.count, 1u);
  EXPECT_EQ(d.open, 200);
  EXPECT_EQ(d.volume, 5);
  EXPECT_EQ(d.prev_close, 100);  // from the overwritten bucket
  // Both trades are still in the ring: the ring is by count, the window by time.
  EXPECT_EQ(query(m, {}).size(), 2u);
}

TEST(MarketData, AClockSteppedBackNeverReopensAnOlderMinute) {
  MarketData m(1, 100);
  m.record_trade(0, 1, 100, 1, 1, Side::Buy, kT0 + 10 * kMinute);
  m.record_trade(0, 2, 101, 1, 2, Side::Buy, kT0);  // the wall clock went back
  const auto trades = query(m, {});
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[1].time_ns, kT0 + 10 * kMinute);
  std::string why;
  EXPECT_TRUE(m.check_invariants(&why)) << why;
  EXPECT_EQ(m.day(0, kT0 + 10 * kMinute).count, 2u);
}

TEST(MarketData, AggregatesRunsOfOneTakerAtOnePrice) {
  MarketData m(1, 100);
  // Taker order 7 sweeps three makers: two at 100, one at 101; then order 8 at 101.
  m.record_trade(0, 1, 100, 1, 7, Side::Buy, kT0);
  m.record_trade(0, 2, 100, 2, 7, Side::Buy, kT0);
  m.record_trade(0, 3, 101, 3, 7, Side::Buy, kT0);
  m.record_trade(0, 4, 101, 4, 8, Side::Sell, kT0 + kMinute);
  m.record_trade(0, 5, 101, 5, 9, Side::Sell, kT0 + 2 * kMinute);
  TradeQuery q;
  q.aggregate = true;
  auto a = query(m, q);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].id, 1u);
  EXPECT_EQ(a[0].last_id, 2u);
  EXPECT_EQ(a[0].qty, 3);
  EXPECT_EQ(a[0].price, 100);
  EXPECT_EQ(a[1].id, 3u);
  EXPECT_EQ(a[1].last_id, 3u);
  EXPECT_EQ(a[2].id, 4u);
  EXPECT_TRUE(a[2].buyer_maker);
  EXPECT_EQ(a[2].time_ns, kT0 + kMinute);

  // The newest `limit` without a start; the oldest from fromId or startTime on.
  q.limit = 2;
  EXPECT_EQ(ids_of(query(m, q)), (std::vector<std::uint64_t>{4, 5}));
  q.from_id = 2;  // an aggregate is named by its first trade: 1..2 is before 2
  EXPECT_EQ(ids_of(query(m, q)), (std::vector<std::uint64_t>{3, 4}));
  q.from_id.reset();
  q.start_ns = kT0 + 1;
  EXPECT_EQ(ids_of(query(m, q)), (std::vector<std::uint64_t>{4, 5}));
  q.start_ns = kT0;
  q.end_ns = kT0 + kMinute;
  q.limit = 10;
  EXPECT_EQ(ids_of(query(m, q)), (std::vector<std::uint64_t>{1, 3, 4}));
  q.start_ns.reset();
  q.limit = 1;  // newest one before end
  EXPECT_EQ(ids_of(query(m, q)), (std::vector<std::uint64_t>{4}));
}

// ---- through the Engine ----

SymbolSpec btc() {
  SymbolSpec s;
  s.name = "BTC-USDT";
  return s;
}

class EngineMarketData : public ::testing::Test {
 protected:
  EngineMarketData() : engine_({btc()}, limits()) {
    engine_.execute(CreateAccount{"a", "h1"}, "r");
    engine_.execute(CreateAccount{"b", "h2"}, "r");
    engine_.execute(Deposit{{AccountId{1}, "USDT", 1'000'000'000'000, "d1"}}, "r");
    engine_.execute(Deposit{{AccountId{1}, "BTC", 1'000'000'000'000, "d2"}}, "r");
    engine_.execute(Deposit{{AccountId{2}, "USDT", 1'000'000'000'000, "d3"}}, "r");
    engine_.execute(Deposit{{AccountId{2}, "BTC", 1'000'000'000'000, "d4"}}, "r");
  }
  static EngineLimits limits() {
    EngineLimits l;
    l.book_capacity = BookCapacity{1024, 256};
    l.recent_trades = 4;
    return l;
  }
  static SubmitOrder order(std::uint64_t account, Side side, Ticks price, Lots qty,
                           TimeInForce tif = TimeInForce::Gtc, std::string client = {}) {
    SubmitOrder o;
    o.account = AccountId{account};
    o.side = side;
    o.price = price;
    o.qty = qty;
    o.tif = tif;
    o.client_order_id = std::move(client);
    return o;
  }
  OrderReply run(const SubmitOrder& o, std::int64_t time_ns) {
    return std::get<OrderReply>(engine_.execute(o, "r", time_ns));
  }
  std::uint64_t update_id() const { return engine_.market().update_id(0); }

  Engine engine_;
};

TEST_F(EngineMarketData, UpdateIdMovesExactlyWhenTheBookChanges) {
  EXPECT_EQ(update_id(), 0u);
  const OrderReply resting = run(order(1, Side::Sell, 10'000, 5, TimeInForce::Gtc, "k1"), kT0);
  EXPECT_EQ(update_id(), 1u);
  run(order(2, Side::Buy, 9'000, 1, TimeInForce::Ioc), kT0);  // expires untouched
  EXPECT_EQ(update_id(), 1u);
  run(order(2, Side::Buy, 9'000, 100, TimeInForce::Fok), kT0);  // cannot fill
  EXPECT_EQ(update_id(), 1u);
  run(order(2, Side::Buy, 0, 5), kT0);  // rejected: no price
  EXPECT_EQ(update_id(), 1u);
  run(order(1, Side::Sell, 10'000, 5, TimeInForce::Gtc, "k1"), kT0);  // idempotent resend
  EXPECT_EQ(update_id(), 1u);
  const OrderReply hit = run(order(2, Side::Buy, 10'000, 2, TimeInForce::Ioc), kT0 + 7);
  ASSERT_EQ(hit.fills.size(), 1u);
  EXPECT_EQ(update_id(), 2u);
  const auto canceled = std::get<OrderReply>(
      engine_.execute(CancelRequest{AccountId{1}, resting.order.id}, "r", kT0));
  ASSERT_EQ(canceled.reject, RejectReason::None);
  EXPECT_EQ(update_id(), 3u);
  engine_.execute(CancelRequest{AccountId{1}, resting.order.id}, "r", kT0);  // unknown now
  EXPECT_EQ(update_id(), 3u);
  const auto depth = std::get<DepthReply>(engine_.execute(GetDepth{0, 5}, "r"));
  EXPECT_EQ(depth.update_id, 3u);

  const auto trades = std::get<TradesReply>(engine_.execute(GetTrades{0, {}}, "r"));
  ASSERT_EQ(trades.trades.size(), 1u);
  EXPECT_EQ(trades.trades[0].id, hit.fills[0].trade_id.value);
  EXPECT_EQ(trades.trades[0].price, 10'000);
  EXPECT_EQ(trades.trades[0].qty, 2);
  EXPECT_EQ(trades.trades[0].time_ns, kT0 + 7);
  EXPECT_FALSE(trades.trades[0].buyer_maker);
}

TEST_F(EngineMarketData, TickerCombinesTheDayAndTheBook) {
  run(order(1, Side::Sell, 10'100, 5), kT0);
  run(order(1, Side::Buy, 9'900, 3), kT0);
  run(order(2, Side::Buy, 10'100, 1), kT0 + kMinute);
  GetTicker all;
  all.now_ns = kT0 + 2 * kMinute;
  const auto reply = std::get<TickerReply>(engine_.execute(all, "r"));
  ASSERT_EQ(reply.tickers.size(), 1u);
  const SymbolTicker& t = reply.tickers[0];
  EXPECT_TRUE(t.traded);
  EXPECT_EQ(t.update_id, 3u);
  EXPECT_EQ(t.bid.price, 9'900);
  EXPECT_EQ(t.bid.qty, 3);
  EXPECT_EQ(t.ask.price, 10'100);
  EXPECT_EQ(t.ask.qty, 4);
  EXPECT_EQ(t.day.count, 1u);
  EXPECT_EQ(t.day.last, 10'100);
  EXPECT_EQ(t.day.close_time_ns, kT0 + 2 * kMinute);
  GetTicker other;
  other.symbol = 1;  // no such symbol: nothing
  EXPECT_TRUE(std::get<TickerReply>(engine_.execute(other, "r")).tickers.empty());
}

TEST_F(EngineMarketData, SnapshotCarriesItAndReplayRebuildsIt) {
  for (int i = 0; i < 6; ++i) {
    run(order(1, Side::Sell, 10'000 + i, 2), kT0 + i * kMinute);
    run(order(2, Side::Buy, 10'000 + i, 1), kT0 + i * kMinute + 1);
  }
  std::string state;
  engine_.serialize(state);
  Engine restored({btc()}, limits());
  ASSERT_TRUE(restored.restore(state).ok());
  EXPECT_EQ(restored.state_hash(), engine_.state_hash());
  const auto a = std::get<TradesReply>(engine_.execute(GetTrades{0, {}}, "r"));
  const auto b = std::get<TradesReply>(restored.execute(GetTrades{0, {}}, "r"));
  EXPECT_EQ(ids_of(a.trades), ids_of(b.trades));
  EXPECT_EQ(ids_of(a.trades).size(), 4u);  // recent_trades
  EXPECT_EQ(restored.market().update_id(0), engine_.market().update_id(0));
  EXPECT_EQ(restored.market().day(0, kT0 + kHour).quote_volume,
            engine_.market().day(0, kT0 + kHour).quote_volume);

  // A smaller ring keeps the newest.
  EngineLimits small = limits();
  small.recent_trades = 2;
  Engine smaller({btc()}, small);
  ASSERT_TRUE(smaller.restore(state).ok());
  const auto c = std::get<TradesReply>(smaller.execute(GetTrades{0, {}}, "r"));
  EXPECT_EQ(ids_of(c.trades), (std::vector<std::uint64_t>{a.trades[2].id, a.trades[3].id}));
  EXPECT_EQ(smaller.market().day(0, kT0 + kHour).count, 6u);  // the buckets are whole

  // The state hash covers it: the same commands at other times are another state.
  Engine later({btc()}, limits());
  ASSERT_TRUE(later.restore(state).ok());
  run(order(1, Side::Sell, 10'000, 1), kT0 + kHour);
  run(order(2, Side::Buy, 10'000, 1), kT0 + kHour);
  later.execute(order(1, Side::Sell, 10'000, 1), "r", kT0 + 2 * kHour);
  later.execute(order(2, Side::Buy, 10'000, 1), "r", kT0 + 2 * kHour);
  EXPECT_NE(later.state_hash(), engine_.state_hash());
}

TEST_F(EngineMarketData, AFormat3SnapshotStillLoadsWithEmptyMarketData) {
  run(order(1, Side::Sell, 10'000, 2), kT0);
  run(order(2, Side::Buy, 10'000, 1), kT0);
  std::string state;
  engine_.serialize(state);
  // A format 3 snapshot is a format 4 one without the market data at its end.
  std::string market;
  binary::Writer w(market);
  engine_.market().serialize(w);
  ASSERT_GT(state.size(), market.size());
  std::string v3 = state.substr(0, state.size() - market.size());
  v3[0] = 3;
  Engine old({btc()}, limits());
  const Status s = old.restore(v3);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(old.market().update_id(0), 0u);
  EXPECT_FALSE(old.market().last_trade(0).has_value());
  EXPECT_EQ(old.matcher().book(0).order_count(), 1u);
  std::string why;
  EXPECT_TRUE(old.check_invariants(&why)) << why;
  // And a damaged market-data section is refused, not half-read.
  std::string cut = state.substr(0, state.size() - 3);
  Engine broken({btc()}, limits());
  EXPECT_FALSE(broken.restore(cut).ok());
}

}  // namespace
}  // namespace spot
