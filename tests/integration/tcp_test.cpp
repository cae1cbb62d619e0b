// The binary TCP protocol of a real spotd (docs/tcp-protocol.md).
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "spotd_process.h"

namespace spot::test {
namespace {

namespace wire = proto::tcp;

std::string enter(std::uint64_t token, Side side, Ticks price, Lots qty,
                  TimeInForce tif = TimeInForce::Gtc, OrderType type = OrderType::Limit,
                  std::uint16_t symbol = 0) {
  std::string out;
  wire::encode(wire::EnterOrder{{{}, symbol, side, type, tif, price, qty}, token}, out);
  return out;
}

template <class M>
M expect(TcpClient& c, char type) {
  const auto msg = c.receive_non_heartbeat();
  EXPECT_TRUE(msg.has_value()) << "expected '" << type << "', got nothing";
  M m{};
  if (!msg) return m;
  EXPECT_EQ(msg->type, static_cast<std::uint8_t>(type))
      << "got '" << static_cast<char>(msg->type) << "'";
  EXPECT_TRUE(wire::decode(msg->frame(), m));
  return m;
}

std::string post_only(std::uint64_t token, Side side, Ticks price, Lots qty,
                      TimeInForce tif = TimeInForce::Gtc) {
  wire::EnterOrder m{{{}, 0, side, OrderType::Limit, tif, price, qty}, token};
  m.post_only = true;
  std::string out;
  wire::encode(m, out);
  return out;
}

std::string quote_buy(std::uint64_t token, std::int64_t quote_units, std::uint16_t symbol = 0) {
  std::string out;
  wire::encode(wire::EnterQuoteOrder{token, symbol, Side::Buy, quote_units}, out);
  return out;
}

std::string balance_query(std::uint64_t id, std::uint16_t first = 0, std::string asset = {}) {
  std::string out;
  wire::encode(wire::BalanceQuery{id, first, std::move(asset)}, out);
  return out;
}

// One answer to a BalanceQuery: its Balance messages and the BalanceEnd.
struct BalancePage {
  std::vector<wire::BalanceMsg> balances;
  wire::BalanceEnd end;
};

BalancePage read_balances(TcpClient& c, std::uint64_t id) {
  BalancePage page;
  while (true) {
    const auto msg = c.receive_non_heartbeat();
    if (!msg) {
      ADD_FAILURE() << "no BalanceEnd";
      return page;
    }
    if (msg->type == 'z') {
      EXPECT_TRUE(wire::decode(msg->frame(), page.end));
      EXPECT_EQ(page.end.query_id, id);
      EXPECT_EQ(page.end.count, page.balances.size());
      return page;
    }
    wire::BalanceMsg b;
    EXPECT_EQ(msg->type, 'b') << "got '" << static_cast<char>(msg->type) << "'";
    if (msg->type != 'b' || !wire::decode(msg->frame(), b)) return page;
    EXPECT_EQ(b.query_id, id);
    page.balances.push_back(b);
  }
}

// Every balance of the logged-in account, by asset: {free, locked} in smallest units.
std::map<std::string, std::pair<std::int64_t, std::int64_t>> tcp_balances(TcpClient& c,
                                                                          std::uint64_t id) {
  c.send(balance_query(id));
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& b : read_balances(c, id).balances) out[b.asset] = {b.free, b.locked};
  return out;
}

// Smallest units as GET /api/v1/account writes them ("12.34000000" for 8 decimals).
std::string units_text(std::int64_t units, int decimals) {
  std::string digits = std::to_string(units < 0 ? -units : units);
  if (digits.size() <= static_cast<std::size_t>(decimals)) {
    digits.insert(0, static_cast<std::size_t>(decimals) + 1 - digits.size(), '0');
  }
  digits.insert(digits.size() - static_cast<std::size_t>(decimals), ".");
  return (units < 0 ? "-" : "") + digits;
}

class Tcp : public ::testing::Test {
 protected:
  void SetUp() override {
    spotd_ = std::make_unique<SpotdProcess>();
    alice_ = spotd_->create_account("alice");
    bob_ = spotd_->create_account("bob");
  }
  // GET /api/v1/account of `key`: asset -> {free, locked} as decimal strings.
  std::map<std::string, std::pair<std::string, std::string>> http_balances(const std::string& key) {
    const auto r =
        HttpClient(spotd_->http_port())
            .request(boost::beast::http::verb::get, "/api/v1/account", "", {{"X-API-Key", key}});
    EXPECT_EQ(r.status, 200u) << r.body;
    std::map<std::string, std::pair<std::string, std::string>> out;
    const auto body = nlohmann::json::parse(r.body);  // outlives the loop over its part
    for (const auto& b : body.at("balances")) {
      out[b.at("asset").get<std::string>()] = {b.at("free").get<std::string>(),
                                               b.at("locked").get<std::string>()};
    }
    return out;
  }

  std::unique_ptr<SpotdProcess> spotd_;
  std::string alice_;
  std::string bob_;
};

// Post-only (EnterOrder flag bit 0): rejected WOULD_MATCH when it would cross, rests
// otherwise; only LIMIT GTC may be post-only. Unknown flag bits are BAD_REQUEST and the
// connection stays.
TEST_F(Tcp, PostOnlyRestsOrIsRejectedWithWouldMatch) {
  TcpClient maker(spotd_->tcp_port());
  TcpClient c(spotd_->tcp_port());
  ASSERT_TRUE(maker.login(alice_));
  ASSERT_TRUE(c.login(bob_));
  maker.send(enter(1, Side::Sell, 10'000, 1'000));
  expect<wire::Accepted>(maker, 'A');

  c.send(post_only(2, Side::Buy, 10'000, 500));  // at the ask: would take
  const auto crossing = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(crossing.reason, RejectReason::WouldMatch);
  EXPECT_EQ(crossing.client_order_id, 2u);
  EXPECT_EQ(crossing.rejected_type, 'O');

  c.send(post_only(3, Side::Buy, 9'999, 500));  // below it: rests
  const auto rested = expect<wire::Accepted>(c, 'A');
  EXPECT_EQ(rested.client_order_id, 3u);
  EXPECT_EQ(rested.status, wire::OrderStatusCode::New);
  EXPECT_EQ(rested.type, OrderType::Limit);
  EXPECT_EQ(rested.tif, TimeInForce::Gtc);
  EXPECT_EQ(rested.price, 9'999);
  EXPECT_EQ(rested.qty, 500);
  EXPECT_EQ(rested.executed_qty, 0);
  // It rests and locks its price x quantity: 99.99 x 0.5 USDT.
  const auto usdt = tcp_balances(c, 1).at("USDT");
  EXPECT_EQ(usdt.second, 9'999LL * 500 * 1'000);
  // A resting post-only order is a maker like any other.
  maker.send(enter(4, Side::Sell, 9'999, 200, TimeInForce::Ioc));
  EXPECT_EQ(expect<wire::Accepted>(maker, 'A').status, wire::OrderStatusCode::Filled);
  const auto maker_fill = expect<wire::Executed>(c, 'E');
  EXPECT_EQ(maker_fill.order_id, rested.order_id);
  EXPECT_EQ(maker_fill.liquidity, 'M');
  EXPECT_EQ(maker_fill.leaves_qty, 300);

  c.send(post_only(5, Side::Buy, 9'000, 1, TimeInForce::Ioc));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadOrderType);
  std::string bad_flags = post_only(6, Side::Buy, 9'000, 1);
  bad_flags[3 + 13] = static_cast<char>(0x81);  // the flags byte: post-only and bit 7
  c.send(bad_flags);
  const auto unknown_flag = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(unknown_flag.reason, RejectReason::BadRequest);
  EXPECT_EQ(unknown_flag.client_order_id, 6u);
  EXPECT_EQ(unknown_flag.rejected_type, 'O');
  c.send(enter(7, Side::Buy, 9'000, 1));  // the connection is still open
  EXPECT_EQ(expect<wire::Accepted>(c, 'A').client_order_id, 7u);
}

// EnterQuoteOrder: a MARKET BUY for an amount of USDT. Its Accepted says the quantity
// the money bought; the balances (BalanceQuery, and the same over HTTP) move by exactly
// the trades.
TEST_F(Tcp, QuoteAmountMarketBuyFillsAndMovesBalancesExactly) {
  TcpClient maker(spotd_->tcp_port());
  TcpClient taker(spotd_->tcp_port());
  ASSERT_TRUE(maker.login(alice_));
  ASSERT_TRUE(taker.login(bob_));
  maker.send(enter(1, Side::Sell, 10'000, 1'000));  // 1 BTC at 100.00
  maker.send(enter(2, Side::Sell, 10'100, 1'000));  // 1 BTC at 101.00
  expect<wire::Accepted>(maker, 'A');
  expect<wire::Accepted>(maker, 'A');
  const auto maker_before = tcp_balances(maker, 10);
  const auto before = tcp_balances(taker, 11);

  // BTC-USDT: a lot is 0.001 BTC = 100,000 units; a tick times a lot 0.00001 USDT =
  // 1,000 units. 150 USDT buys 1 BTC at 100 and 495 lots at 101 (a 496th would cost
  // 150.0096): 1,495 lots for 149.995 USDT; the 0.005 left is never spent.
  constexpr std::int64_t kQuote = 15'000'000'000;  // 150 USDT
  taker.send(quote_buy(21, kQuote));
  const auto accepted = expect<wire::Accepted>(taker, 'A');
  EXPECT_EQ(accepted.client_order_id, 21u);
  EXPECT_EQ(accepted.type, OrderType::Market);
  EXPECT_EQ(accepted.side, Side::Buy);
  EXPECT_EQ(accepted.status, wire::OrderStatusCode::Filled);
  EXPECT_EQ(accepted.qty, 1'495);
  EXPECT_EQ(accepted.executed_qty, 1'495);
  const auto first = expect<wire::Executed>(taker, 'E');
  EXPECT_EQ(first.price, 10'000);
  EXPECT_EQ(first.qty, 1'000);
  EXPECT_EQ(first.leaves_qty, 495);
  const auto second = expect<wire::Executed>(taker, 'E');
  EXPECT_EQ(second.price, 10'100);
  EXPECT_EQ(second.qty, 495);
  EXPECT_EQ(second.leaves_qty, 0);
  EXPECT_EQ(second.order_id, accepted.order_id);

  constexpr std::int64_t kCost = (10'000LL * 1'000 + 10'100 * 495) * 1'000;  // 149.995 USDT
  constexpr std::int64_t kBtc = 1'495 * 100'000;
  const auto after = tcp_balances(taker, 12);
  ASSERT_EQ(after.size(), 3u);  // BTC, USDT, ETH
  EXPECT_EQ(after.at("USDT").first, before.at("USDT").first - kCost);
  EXPECT_EQ(after.at("USDT").second, 0);  // the unspent part of the lock is released
  EXPECT_EQ(after.at("BTC").first, before.at("BTC").first + kBtc);
  EXPECT_EQ(after.at("BTC").second, 0);
  EXPECT_EQ(after.at("ETH"), before.at("ETH"));
  for (const Lots qty : {1'000, 495}) {  // the maker hears of both fills first
    const auto maker_fill = expect<wire::Executed>(maker, 'E');
    EXPECT_EQ(maker_fill.liquidity, 'M');
    EXPECT_EQ(maker_fill.qty, qty);
  }
  const auto maker_after = tcp_balances(maker, 13);
  EXPECT_EQ(maker_after.at("USDT").first, maker_before.at("USDT").first + kCost);
  EXPECT_EQ(maker_after.at("BTC").first, maker_before.at("BTC").first);
  EXPECT_EQ(maker_after.at("BTC").second, maker_before.at("BTC").second - kBtc);

  // The same numbers as GET /api/v1/account, asset by asset, in the same order.
  const auto same_as_http = [&](const std::string& key, TcpClient& client) {
    SCOPED_TRACE(key);
    const auto http = http_balances(key);
    client.send(balance_query(14));
    const BalancePage page = read_balances(client, 14);
    ASSERT_EQ(page.balances.size(), http.size());
    EXPECT_EQ(page.end.next, 0);
    for (std::size_t i = 0; i < page.balances.size(); ++i) {
      const wire::BalanceMsg& b = page.balances[i];
      EXPECT_EQ(b.asset_index, i);
      EXPECT_EQ(b.decimals, 8);
      ASSERT_TRUE(http.contains(b.asset)) << b.asset;
      EXPECT_EQ(units_text(b.free, b.decimals), http.at(b.asset).first) << b.asset;
      EXPECT_EQ(units_text(b.locked, b.decimals), http.at(b.asset).second) << b.asset;
    }
  };
  same_as_http(alice_, maker);
  same_as_http(bob_, taker);

  // Less than one lot's worth is a bad quantity; a non-positive amount too.
  taker.send(quote_buy(22, 1'000'000));  // 0.01 USDT; a lot at 101 costs 0.101
  EXPECT_EQ(expect<wire::Rejected>(taker, 'J').reason, RejectReason::BadQuantity);
  taker.send(quote_buy(23, 0));
  const auto zero = expect<wire::Rejected>(taker, 'J');
  EXPECT_EQ(zero.reason, RejectReason::BadQuantity);
  EXPECT_EQ(zero.client_order_id, 23u);
  EXPECT_EQ(zero.rejected_type, 'Q');
  taker.send(quote_buy(24, kQuote, 9));
  EXPECT_EQ(expect<wire::Rejected>(taker, 'J').reason, RejectReason::UnknownSymbol);
  std::string sell;
  wire::encode(wire::EnterQuoteOrder{25, 0, Side::Sell, kQuote}, sell);
  taker.send(sell);  // by quote amount: BUY only
  EXPECT_EQ(expect<wire::Rejected>(taker, 'J').reason, RejectReason::BadOrderType);
  std::string flagged = quote_buy(26, kQuote);
  flagged[3 + 11] = 1;  // no flag is defined for EnterQuoteOrder
  taker.send(flagged);
  EXPECT_EQ(expect<wire::Rejected>(taker, 'J').reason, RejectReason::BadRequest);
}

// An account with no money: every order it enters is INSUFFICIENT_BALANCE, its own
// reason code.
TEST_F(Tcp, AnUnfundedAccountsOrdersAreInsufficientBalance) {
  const std::string carol = spotd_->create_account("carol", false);
  TcpClient c(spotd_->tcp_port());
  ASSERT_TRUE(c.login(carol));
  for (const auto& [asset, balance] : tcp_balances(c, 1)) {
    EXPECT_EQ(balance, (std::pair<std::int64_t, std::int64_t>{0, 0})) << asset;
  }
  c.send(enter(1, Side::Buy, 10'000, 10));
  const auto buy = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(buy.reason, RejectReason::InsufficientBalance);
  EXPECT_EQ(static_cast<int>(buy.reason), 15);
  EXPECT_EQ(buy.client_order_id, 1u);
  EXPECT_EQ(buy.rejected_type, 'O');
  c.send(enter(2, Side::Sell, 10'000, 10));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::InsufficientBalance);
  // Something to buy, so that the money is the only reason.
  TcpClient maker(spotd_->tcp_port());
  ASSERT_TRUE(maker.login(alice_));
  maker.send(enter(1, Side::Sell, 10'000, 1'000));
  expect<wire::Accepted>(maker, 'A');
  c.send(quote_buy(3, 1'000'000'000));
  const auto quote = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(quote.reason, RejectReason::InsufficientBalance);
  EXPECT_EQ(quote.rejected_type, 'Q');
  c.send(post_only(4, Side::Buy, 10'000, 10));  // crossing is checked before money
  EXPECT_EQ(static_cast<int>(expect<wire::Rejected>(c, 'J').reason), 16);
}

// BalanceQuery: one asset by code, UNKNOWN_ASSET, and nothing before login.
TEST_F(Tcp, BalanceQueryOfOneAssetAndItsRejects) {
  TcpClient c(spotd_->tcp_port());
  c.send(balance_query(5));  // not logged in
  const auto early = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(early.reason, RejectReason::Unauthorized);
  EXPECT_EQ(early.client_order_id, 5u);
  EXPECT_EQ(early.rejected_type, 'B');
  ASSERT_TRUE(c.login(alice_));
  c.send(balance_query(6, 0, "ETH"));
  const BalancePage eth = read_balances(c, 6);
  ASSERT_EQ(eth.balances.size(), 1u);
  EXPECT_EQ(eth.balances[0].asset, "ETH");
  EXPECT_EQ(eth.balances[0].asset_index, 2);  // BTC, USDT, ETH: in the order symbols name them
  EXPECT_EQ(eth.balances[0].free, 100'000LL * 100'000'000);
  EXPECT_EQ(eth.balances[0].locked, 0);
  EXPECT_EQ(eth.end.next, 0);
  c.send(balance_query(7, 0, "DOGE"));
  const auto unknown = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(unknown.reason, RejectReason::UnknownAsset);
  EXPECT_EQ(unknown.client_order_id, 7u);
  c.send(balance_query(8, 1, "ETH"));  // a page of a single asset makes no sense
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadRequest);
  c.send(balance_query(9, 3));  // past the last asset: an empty answer
  const BalancePage past = read_balances(c, 9);
  EXPECT_TRUE(past.balances.empty());
  EXPECT_EQ(past.end.next, 0);
}

// A new message of the wrong size is a framing error like any other: Rejected
// BAD_REQUEST naming its type, then the connection is closed.
TEST_F(Tcp, ANewMessageOfTheWrongSizeClosesTheConnection) {
  for (const auto& [type, size] : {std::pair<char, std::size_t>{'Q', 19}, {'B', 43}}) {
    SCOPED_TRACE(type);
    TcpClient c(spotd_->tcp_port());
    ASSERT_TRUE(c.login(alice_));
    std::string frame;
    frame.push_back(static_cast<char>(size + 1));
    frame.push_back('\0');
    frame.push_back(type);
    frame += std::string(size, '\0');
    c.send(frame);
    const auto rejected = expect<wire::Rejected>(c, 'J');
    EXPECT_EQ(rejected.reason, RejectReason::BadRequest);
    EXPECT_EQ(rejected.rejected_type, type);
    EXPECT_FALSE(c.receive(std::chrono::seconds(2)).has_value());  // closed
  }
}

// tcp.max_balances_per_reply pages the all-assets answer.
TEST(TcpBalances, AllAssetsComeInPagesOfTheConfiguredSize) {
  SpotdProcess spotd({"--set", "tcp.max_balances_per_reply=2"});
  const std::string key = spotd.create_account();
  TcpClient c(spotd.tcp_port());
  ASSERT_TRUE(c.login(key));
  c.send(balance_query(1));
  const BalancePage first = read_balances(c, 1);
  ASSERT_EQ(first.balances.size(), 2u);
  EXPECT_EQ(first.balances[0].asset, "BTC");
  EXPECT_EQ(first.balances[1].asset, "USDT");
  EXPECT_EQ(first.balances[1].free, 100'000'000LL * 100'000'000);
  EXPECT_EQ(first.end.next, 2);
  c.send(balance_query(2, first.end.next));
  const BalancePage second = read_balances(c, 2);
  ASSERT_EQ(second.balances.size(), 1u);
  EXPECT_EQ(second.balances[0].asset, "ETH");
  EXPECT_EQ(second.balances[0].asset_index, 2);
  EXPECT_EQ(second.end.next, 0);
}

TEST_F(Tcp, OrderLifecycleWithMakerNotification) {
  TcpClient maker(spotd_->tcp_port());
  TcpClient taker(spotd_->tcp_port());
  ASSERT_TRUE(maker.login(alice_));
  ASSERT_TRUE(taker.login(bob_));

  maker.send(enter(11, Side::Sell, 10025, 1500));
  const auto rested = expect<wire::Accepted>(maker, 'A');
  EXPECT_EQ(rested.client_order_id, 11u);
  EXPECT_EQ(rested.status, wire::OrderStatusCode::New);
  EXPECT_EQ(rested.price, 10025);

  taker.send(enter(21, Side::Buy, 10100, 500, TimeInForce::Ioc));
  const auto accepted = expect<wire::Accepted>(taker, 'A');
  EXPECT_EQ(accepted.status, wire::OrderStatusCode::Filled);
  const auto fill = expect<wire::Executed>(taker, 'E');
  EXPECT_EQ(fill.price, 10025);
  EXPECT_EQ(fill.qty, 500);
  EXPECT_EQ(fill.liquidity, 'T');
  EXPECT_EQ(fill.client_order_id, 21u);

  const auto maker_fill = expect<wire::Executed>(maker, 'E');
  EXPECT_EQ(maker_fill.order_id, rested.order_id);
  EXPECT_EQ(maker_fill.liquidity, 'M');
  EXPECT_EQ(maker_fill.leaves_qty, 1000);
  EXPECT_EQ(maker_fill.trade_id, fill.trade_id);

  std::string cancel;
  wire::encode(wire::CancelOrderMsg{rested.order_id}, cancel);
  taker.send(cancel);  // not bob's order
  const auto refused = expect<wire::Rejected>(taker, 'J');
  EXPECT_EQ(refused.reason, RejectReason::UnknownOrder);
  EXPECT_EQ(refused.order_id, rested.order_id);

  maker.send(cancel);
  const auto canceled = expect<wire::Canceled>(maker, 'C');
  EXPECT_EQ(canceled.canceled_qty, 1000);
  EXPECT_EQ(canceled.reason, wire::CancelReasonCode::Requested);
  maker.send(cancel);
  EXPECT_EQ(expect<wire::Rejected>(maker, 'J').reason, RejectReason::UnknownOrder);
}

TEST_F(Tcp, IocRemainderIsReportedAndIdempotentTokens) {
  TcpClient c(spotd_->tcp_port());
  ASSERT_TRUE(c.login(alice_));
  c.send(enter(5, Side::Buy, 100, 10, TimeInForce::Ioc));
  EXPECT_EQ(expect<wire::Accepted>(c, 'A').status, wire::OrderStatusCode::Expired);
  const auto expired = expect<wire::Canceled>(c, 'C');
  EXPECT_EQ(expired.reason, wire::CancelReasonCode::Expired);
  EXPECT_EQ(expired.canceled_qty, 10);
  c.send(enter(6, Side::Buy, 100, 10));
  const auto first = expect<wire::Accepted>(c, 'A');
  c.send(enter(6, Side::Buy, 100, 10));
  const auto second = expect<wire::Accepted>(c, 'A');
  EXPECT_EQ(first.order_id, second.order_id);
}

TEST_F(Tcp, BadInputGetsRejects) {
  TcpClient c(spotd_->tcp_port());
  c.send(enter(1, Side::Buy, 100, 10));  // before login
  const auto early = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(early.reason, RejectReason::Unauthorized);
  EXPECT_EQ(early.client_order_id, 1u);  // echoed, as for every reject of an order
  ASSERT_TRUE(c.login(alice_));
  c.send(enter(2, Side::Buy, 100, 10, TimeInForce::Gtc, OrderType::Limit, 9));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::UnknownSymbol);
  c.send(enter(3, Side::Buy, 0, 10));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadPrice);
  c.send(enter(4, Side::Buy, 100, 0));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadQuantity);
  c.send(enter(5, Side::Buy, 0, 10, TimeInForce::Gtc, OrderType::Market));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadOrderType);
  c.send(std::string("\x01\x00Z", 3));  // unknown type: rejected, connection stays
  const auto unknown = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(unknown.reason, RejectReason::BadRequest);
  EXPECT_EQ(unknown.rejected_type, 'Z');
  std::string bad_side = enter(6, Side::Buy, 100, 10);
  bad_side[3 + 10] = 7;  // side byte
  c.send(bad_side);
  const auto out_of_range = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(out_of_range.reason, RejectReason::BadRequest);
  EXPECT_EQ(out_of_range.client_order_id, 6u);
  c.send(enter(7, Side::Buy, 100, 10));
  EXPECT_EQ(expect<wire::Accepted>(c, 'A').client_order_id, 7u);
}

TEST_F(Tcp, AnythingButLoginBeforeLoginIsRejectedUnauthorized) {
  TcpClient c(spotd_->tcp_port());
  std::string hb;
  wire::encode_heartbeat(hb);
  c.send(hb);
  const auto heartbeat = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(heartbeat.reason, RejectReason::Unauthorized);
  EXPECT_EQ(heartbeat.rejected_type, 'H');
  std::string cancel;
  wire::encode(wire::CancelOrderMsg{42}, cancel);
  c.send(cancel);
  const auto refused = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(refused.reason, RejectReason::Unauthorized);
  EXPECT_EQ(refused.order_id, 42u);
  ASSERT_TRUE(c.login(alice_));  // the connection is still usable
}

TEST_F(Tcp, RejectsOfTheTcpPathAreCountedLikeHttpOnes) {
  TcpClient c(spotd_->tcp_port());
  c.send(enter(1, Side::Buy, 100, 10));  // before login
  expect<wire::Rejected>(c, 'J');
  ASSERT_TRUE(c.login(alice_));
  c.send(enter(2, Side::Buy, 100, 10, TimeInForce::Gtc, OrderType::Limit, 9));
  expect<wire::Rejected>(c, 'J');
  std::string bad_side = enter(3, Side::Buy, 100, 10);
  bad_side[3 + 10] = 7;
  c.send(bad_side);
  expect<wire::Rejected>(c, 'J');
  const std::string metrics =
      HttpClient(spotd_->admin_port()).request(boost::beast::http::verb::get, "/metrics").body;
  for (const char* reason : {"UNAUTHORIZED", "UNKNOWN_SYMBOL", "BAD_REQUEST"}) {
    EXPECT_NE(metrics.find("spot_orders_rejected_total{reason=\"" + std::string(reason) + "\"} 1"),
              std::string::npos)
        << reason;
  }
  EXPECT_NE(metrics.find("spot_orders_received_total 3"), std::string::npos);
}

TEST_F(Tcp, OversizedFrameClosesOnlyThatConnection) {
  TcpClient other(spotd_->tcp_port());
  ASSERT_TRUE(other.login(bob_));
  TcpClient c(spotd_->tcp_port());
  ASSERT_TRUE(c.login(alice_));
  c.send(std::string("\xff\xff", 2) + std::string(100, 'O'));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadRequest);
  EXPECT_FALSE(c.receive(std::chrono::seconds(2)).has_value());  // closed
  other.send(enter(1, Side::Buy, 100, 10));
  EXPECT_EQ(expect<wire::Accepted>(other, 'A').client_order_id, 1u);
}

TEST_F(Tcp, BadLoginIsRejectedAndClosed) {
  TcpClient c(spotd_->tcp_port());
  EXPECT_FALSE(c.login("wrong-key"));
  EXPECT_FALSE(c.receive(std::chrono::seconds(2)).has_value());
}

// A resent token whose order has left memory (past engine.order_history) but whose key
// is still in engine.idempotency_window: no second order, a Rejected that names the
// original order; past the window the token is a new order.
TEST(TcpIdempotency, AForgottenOrdersTokenIsRejectedWithTheOriginalId) {
  SpotdProcess spotd({"--set", "engine.order_history=1", "--set", "engine.idempotency_window=2"});
  const std::string key = spotd.create_account();
  TcpClient c(spotd.tcp_port());
  ASSERT_TRUE(c.login(key));
  const auto ioc = [&](std::uint64_t token) {
    c.send(enter(token, Side::Buy, 100, 10, TimeInForce::Ioc));
    const auto accepted = expect<wire::Accepted>(c, 'A');
    EXPECT_EQ(expect<wire::Canceled>(c, 'C').reason, wire::CancelReasonCode::Expired);
    return accepted.order_id;
  };
  const std::uint64_t first = ioc(31);
  ioc(32);  // 31 is forgotten; its key stays
  c.send(enter(31, Side::Sell, 200, 5));
  const auto duplicate = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(duplicate.client_order_id, 31u);
  EXPECT_EQ(duplicate.order_id, first);
  EXPECT_EQ(duplicate.rejected_type, 'O');
  EXPECT_EQ(duplicate.reason, RejectReason::DuplicateClientOrderId);
  ioc(33);
  ioc(34);  // the window of 2 now holds 32 and 33
  c.send(enter(31, Side::Buy, 100, 10));
  const auto again = expect<wire::Accepted>(c, 'A');
  EXPECT_GT(again.order_id, first);
  EXPECT_EQ(again.status, wire::OrderStatusCode::New);
}

TEST(TcpTimers, HeartbeatsAndIdleTimeout) {
  SpotdProcess spotd(
      {"--set", "tcp.heartbeat_interval_ms=100", "--set", "tcp.idle_timeout_ms=600"});
  const std::string key = spotd.create_account();
  TcpClient c(spotd.tcp_port());
  ASSERT_TRUE(c.login(key));
  const auto hb = c.receive(std::chrono::seconds(2));
  ASSERT_TRUE(hb.has_value());
  EXPECT_EQ(hb->type, 'H');
  // The client stays silent: the server closes it after the idle timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool closed = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!c.receive(std::chrono::seconds(2)).has_value()) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
}

TEST(TcpTimers, HeartbeatCountsSilenceFromTheLastSend) {
  constexpr auto kInterval = std::chrono::milliseconds(1000);
  SpotdProcess spotd({"--set", "tcp.heartbeat_interval_ms=1000"});
  const std::string key = spotd.create_account();
  TcpClient c(spotd.tcp_port());
  ASSERT_TRUE(c.login(key));
  // Something else goes out well after the connection's first heartbeat tick would be
  // due (0.6 intervals in), then the server falls silent: the heartbeat must follow one
  // interval after that send, not on a schedule counted from the connect.
  std::this_thread::sleep_for(kInterval * 6 / 10);
  c.send(enter(1, Side::Buy, 100, 10));
  ASSERT_EQ(c.receive_non_heartbeat()->type, 'A');
  const auto sent = std::chrono::steady_clock::now();
  const auto hb = c.receive(std::chrono::seconds(3));
  const auto gap = std::chrono::steady_clock::now() - sent;
  ASSERT_TRUE(hb.has_value());
  EXPECT_EQ(hb->type, 'H');
  EXPECT_GT(gap, kInterval * 8 / 10);
  EXPECT_LT(gap, kInterval * 12 / 10);
}

TEST(TcpTimers, LoginTimeout) {
  SpotdProcess spotd({"--set", "tcp.login_timeout_ms=200"});
  TcpClient c(spotd.tcp_port());
  EXPECT_FALSE(c.receive(std::chrono::seconds(3)).has_value());
}

}  // namespace
}  // namespace spot::test
