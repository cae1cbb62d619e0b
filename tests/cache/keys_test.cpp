// The pure parts of the cache: key names, value encodings (round trips), the RESP
// encoding of transactions, redis:// URLs, and the commands one update becomes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spot/cache/cache_writer.h"
#include "spot/cache/keys.h"
#include "spot/cache/redis.h"
#include "spot/journal/reader.h"

namespace spot {
namespace {

SymbolSpec btc() {
  SymbolSpec s;
  s.name = "BTC-USDT";
  s.tick_size = Decimal{1, 2};
  s.lot_size = Decimal{1, 3};
  return s;
}

SymbolSpec eth() {
  SymbolSpec s = btc();
  s.name = "ETH-USDT";
  return s;
}

OrderRow order_row() {
  OrderRow o;
  o.order_id = 42;
  o.account = AccountId{7};
  o.symbol = 0;
  o.side = Side::Sell;
  o.type = OrderType::Limit;
  o.tif = TimeInForce::Ioc;
  o.price = 10'025;  // 100.25
  o.qty = 1'500;     // 1.500
  o.executed = 500;
  o.status = OrderStatus::PartiallyFilled;
  o.client_order_id = "c-1.x:y";
  o.correlation_id = "req-9";
  o.journal_seq = 1234;
  o.updated_us = 1'700'000'000'000'001;
  return o;
}

TEST(CacheKeys, NamesCarryThePrefixAndTheEpoch) {
  const CacheKeys k("spot", 12);
  EXPECT_EQ(CacheKeys::epoch_counter("spot"), "spot:epoch");
  EXPECT_EQ(k.epoch(), 12u);
  EXPECT_EQ(k.seq(), "spot:12:seq");
  EXPECT_EQ(k.order(42), "spot:12:order:42");
  EXPECT_EQ(k.trades(42), "spot:12:trades:42");
  EXPECT_EQ(k.open_orders(7), "spot:12:open:7");
  EXPECT_EQ(k.depth("BTC-USDT"), "spot:12:depth:BTC-USDT");
  EXPECT_EQ(CacheKeys("other.p", 1).order(1), "other.p:1:order:1");
}

TEST(CacheValues, AnOrderRoundTrips) {
  const SymbolTable symbols({btc(), eth()});
  const OrderRow row = order_row();
  const std::string text = encode_order(row, symbols.spec(0));
  EXPECT_NE(text.find("\"price\":\"100.25\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"quantity\":\"1.500\""), std::string::npos) << text;
  const auto back = decode_order(text, symbols);
  ASSERT_TRUE(back) << text;
  EXPECT_EQ(back->seq, 1234u);
  EXPECT_EQ(back->updated_us, row.updated_us);
  const OrderRecord& r = back->record;
  EXPECT_EQ(r.id.value, 42u);
  EXPECT_EQ(r.account.value, 7u);
  EXPECT_EQ(r.symbol, 0);
  EXPECT_EQ(r.side, Side::Sell);
  EXPECT_EQ(r.type, OrderType::Limit);
  EXPECT_EQ(r.tif, TimeInForce::Ioc);
  EXPECT_EQ(r.price, 10'025);
  EXPECT_EQ(r.qty, 1'500);
  EXPECT_EQ(r.executed, 500);
  EXPECT_EQ(r.status, OrderStatus::PartiallyFilled);
  EXPECT_EQ(r.client_order_id, "c-1.x:y");
  EXPECT_EQ(r.request_id, "req-9");
}

TEST(CacheValues, AMarketOrderHasNoPrice) {
  const SymbolTable symbols({btc()});
  OrderRow row = order_row();
  row.type = OrderType::Market;
  row.price = 0;
  row.status = OrderStatus::Expired;
  const std::string text = encode_order(row, symbols.spec(0));
  EXPECT_NE(text.find("\"price\":null"), std::string::npos) << text;
  const auto back = decode_order(text, symbols);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->record.type, OrderType::Market);
  EXPECT_EQ(back->record.price, 0);
  EXPECT_EQ(back->record.status, OrderStatus::Expired);
}

TEST(CacheValues, WhatDoesNotDecodeIsAMiss) {
  const SymbolTable symbols({btc()});
  const std::string good = encode_order(order_row(), symbols.spec(0));
  EXPECT_FALSE(decode_order("", symbols));
  EXPECT_FALSE(decode_order("not json", symbols));
  EXPECT_FALSE(decode_order("[1,2]", symbols));
  EXPECT_FALSE(decode_order("{\"seq\":1}", symbols));
  // A symbol this spotd does not have, a price off the tick grid, an unknown status.
  std::string other = good;
  other.replace(other.find("BTC-USDT"), 8, "XRP-USDT");
  EXPECT_FALSE(decode_order(other, symbols));
  std::string off_grid = good;
  off_grid.replace(off_grid.find("100.25"), 6, "100.251");
  EXPECT_FALSE(decode_order(off_grid, symbols));
  std::string status = good;
  status.replace(status.find("PARTIALLY_FILLED"), 16, "HALF_FILLED_XYZW");
  EXPECT_FALSE(decode_order(status, symbols));
}

TEST(CacheValues, ATradeOpenOrdersAndDepthRoundTrip) {
  const SymbolTable symbols({btc(), eth()});
  TradeRow t;
  t.trade_id = 9;
  t.symbol = 1;
  t.price = 250'000;
  t.qty = 3;
  t.maker_order_id = 4;
  t.maker_account_id = 2;
  t.taker_order_id = 5;
  t.taker_account_id = 3;
  t.taker_side = Side::Buy;
  t.journal_seq = 77;
  t.executed_us = 123;
  const auto trade = decode_trade(encode_trade(t, symbols.spec(1)), symbols);
  ASSERT_TRUE(trade);
  EXPECT_EQ(trade->trade.trade_id, 9u);
  EXPECT_EQ(trade->trade.symbol, 1);
  EXPECT_EQ(trade->trade.price, 250'000);
  EXPECT_EQ(trade->trade.qty, 3);
  EXPECT_EQ(trade->trade.maker_order_id, 4u);
  EXPECT_EQ(trade->trade.taker_account_id, 3u);
  EXPECT_EQ(trade->trade.taker_side, Side::Buy);
  EXPECT_EQ(trade->trade.journal_seq, 77u);
  EXPECT_EQ(trade->trade.executed_us, 123);

  const auto open = decode_open_orders(encode_open_orders(55, {3, 8, 21}));
  ASSERT_TRUE(open);
  EXPECT_EQ(open->seq, 55u);
  EXPECT_EQ(open->order_ids, (std::vector<std::uint64_t>{3, 8, 21}));
  const auto none = decode_open_orders(encode_open_orders(56, {}));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->order_ids.empty());

  DepthReply d;
  d.symbol = 0;
  d.bids = {{10'000, 5, 2}, {9'999, 1, 1}};
  d.asks = {{10'001, 7, 3}};
  const auto depth = decode_depth(encode_depth(60, d, symbols.spec(0)), symbols);
  ASSERT_TRUE(depth);
  EXPECT_EQ(depth->seq, 60u);
  EXPECT_EQ(depth->depth.symbol, 0);
  ASSERT_EQ(depth->depth.bids.size(), 2u);
  EXPECT_EQ(depth->depth.bids[1].price, 9'999);
  EXPECT_EQ(depth->depth.bids[0].orders, 2u);
  ASSERT_EQ(depth->depth.asks.size(), 1u);
  EXPECT_EQ(depth->depth.asks[0].qty, 7);
}

TEST(RedisUrl, ParsesHostPortDbAndCredentials) {
  std::string error;
  auto a = parse_redis_url("redis://127.0.0.1:6380/2", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  EXPECT_TRUE(a->password.empty());
  a = parse_redis_url("redis://localhost", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 0);
  a = parse_redis_url("redis://:s3cret@cache.example:7000/", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "cache.example");
  EXPECT_EQ(a->password, "s3cret");
  EXPECT_TRUE(a->user.empty());
  a = parse_redis_url("redis://spot:pw@[::1]:6379/1", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->user, "spot");
  EXPECT_EQ(a->password, "pw");
  EXPECT_EQ(a->db, 1);
  for (const char* bad : {"", "http://h:1/0", "redis://", "redis://:6379/0", "redis://h:0/0",
                          "redis://h:70000/0", "redis://h:x/0", "redis://h:1/db", "redis://[::1"}) {
    EXPECT_FALSE(parse_redis_url(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(RedisUrl, PasswordsAreRedacted) {
  EXPECT_EQ(redact_redis_url("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
  EXPECT_EQ(redact_redis_url("redis://:pw@h:1/0"), "redis://:***@h:1/0");
  EXPECT_EQ(redact_redis_url("redis://u:pw@h:1/0"), "redis://u:***@h:1/0");
  EXPECT_EQ(redact_redis_url("redis://pw@h:1/0"), "redis://***@h:1/0");
}

TEST(RespTransactions, CommandsAreGroupedIntoMultiExecOfAtMostTheLimit) {
  RespTransactions t(2);
  for (int i = 0; i < 3; ++i) {
    t.command(2);
    t.arg(std::string_view("GET"));
    t.arg(static_cast<std::uint64_t>(i));
  }
  EXPECT_EQ(t.commands(), 3u);
  const auto out = t.take();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].commands, 2u);
  EXPECT_EQ(out[0].bytes,
            "*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nGET\r\n$1\r\n0\r\n*2\r\n$3\r\nGET\r\n$1\r\n1\r\n"
            "*1\r\n$4\r\nEXEC\r\n");
  EXPECT_EQ(out[1].commands, 1u);
  EXPECT_EQ(out[1].bytes,
            "*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nGET\r\n$1\r\n2\r\n*1\r\n$4\r\nEXEC\r\n");
  EXPECT_TRUE(t.take().empty());
  // Binary-safe: a value with CR LF is one bulk string of its length.
  RespTransactions b(10);
  b.command(1);
  b.arg(std::string_view("a\r\nb"));
  EXPECT_EQ(b.take()[0].bytes, "*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\na\r\nb\r\n*1\r\n$4\r\nEXEC\r\n");
}

// Splits the RESP arrays of a transaction back into argument lists (MULTI and EXEC
// excluded).
std::vector<std::vector<std::string>> parse_commands(const std::string& bytes) {
  std::vector<std::vector<std::string>> out;
  std::size_t at = 0;
  const auto line = [&] {
    const std::size_t end = bytes.find("\r\n", at);
    std::string l = bytes.substr(at, end - at);
    at = end + 2;
    return l;
  };
  while (at < bytes.size()) {
    const std::string head = line();
    if (head.size() < 2 || head[0] != '*') {
      ADD_FAILURE() << "not a RESP array at byte " << at << ": " << bytes;
      return out;
    }
    const int argc = std::stoi(head.substr(1));
    std::vector<std::string> args;
    for (int i = 0; i < argc; ++i) {
      const auto len = static_cast<std::size_t>(std::stoul(line().substr(1)));
      args.push_back(bytes.substr(at, len));
      at += len + 2;
    }
    if (args[0] != "MULTI" && args[0] != "EXEC") out.push_back(args);
  }
  return out;
}

TEST(CacheCommands, AnUpdateWritesEveryKeyWithItsTtlAndTheSeqLast) {
  const SymbolTable symbols({btc(), eth()});
  RedisOptions options;
  options.order_ttl_s = 100;
  options.trades_ttl_s = 200;
  options.open_orders_ttl_s = 300;
  options.depth_ttl_s = 40;
  CacheUpdate u;
  u.first_seq = 10;
  u.last_seq = 12;
  OrderRow maker = order_row();
  OrderRow taker = order_row();
  taker.order_id = 43;
  taker.executed = 0;
  taker.status = OrderStatus::New;
  u.orders = {maker, taker};
  u.forgotten_orders = {5};
  TradeRow t;
  t.trade_id = 1;
  t.qty = 500;
  t.maker_order_id = 42;
  t.taker_order_id = 43;
  u.trades = {t};
  u.open_orders = {{7, true, {42, 43}}, {8, false, {}}};
  DepthReply d;
  d.symbol = 0;
  d.bids = {{10'025, 1'000, 1}};
  u.depth = {d};
  const auto txs = cache_commands(u, CacheKeys("p", 3), symbols, options);
  ASSERT_EQ(txs.size(), 1u);
  const auto cmds = parse_commands(txs[0].bytes);
  ASSERT_EQ(cmds.size(), txs[0].commands);
  std::vector<std::string> summary;
  for (const auto& c : cmds) {
    std::string s = c[0] + " " + c[1];
    if (c[0] == "SET") s += " " + c[3] + " " + c[4];
    if (c[0] == "EXPIRE") s += " " + c[2];
    if (c[0] == "DEL" && c.size() > 2) s += " " + c[2];
    summary.push_back(s);
  }
  EXPECT_EQ(summary, (std::vector<std::string>{
                         "RPUSH p:3:trades:42",
                         "RPUSH p:3:trades:43",
                         "SET p:3:order:42 EX 100",
                         "EXPIRE p:3:trades:42 200",
                         "SET p:3:order:43 EX 100",
                         "DEL p:3:order:5 p:3:trades:5",
                         "SET p:3:open:7 EX 300",
                         "DEL p:3:open:8",
                         "SET p:3:depth:BTC-USDT EX 40",
                         "SET p:3:seq EX 300",
                     }));
  EXPECT_EQ(cmds.back()[2], "12");
  const auto open = decode_open_orders(cmds[6][2]);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->seq, 12u);
  EXPECT_EQ(open->order_ids, (std::vector<std::uint64_t>{42, 43}));
  const auto depth = decode_depth(cmds[8][2], symbols);
  ASSERT_TRUE(depth);
  EXPECT_EQ(depth->seq, 12u);

  // The same update, at most four commands per round trip: the same commands in order.
  options.pipeline_max_commands = 4;
  const auto split = cache_commands(u, CacheKeys("p", 3), symbols, options);
  ASSERT_EQ(split.size(), 3u);
  std::vector<std::vector<std::string>> joined;
  for (const auto& tx : split) {
    EXPECT_LE(tx.commands, 4u);
    for (auto& c : parse_commands(tx.bytes)) joined.push_back(c);
  }
  EXPECT_EQ(joined, cmds);
}

// make_cache_update on a real engine and a real batch: an order of an earlier batch that
// is only filled here comes back whole from the replica, each touched account with all
// its live orders, each touched symbol's depth.
TEST(CacheUpdates, AFilledOrderOfAnEarlierBatchComesBackWholeFromTheReplica) {
  EngineLimits limits;
  limits.book_capacity = {64, 16};
  limits.check_balances = false;  // the cache keys are the subject, not money
  Engine engine({btc(), eth()}, limits);
  std::uint64_t seq = 0;
  ProjectionBatch first;
  const auto run = [&](ProjectionBatch& batch, CommandBody command) {
    JournalRecord record;
    record.seq = ++seq;
    record.command = std::move(command);
    record.request_id = "r" + std::to_string(seq);
    batch.add(record, engine.execute(record.command, record.request_id));
  };
  run(first, CreateAccount{"a", "hash-a"});
  run(first, CreateAccount{"b", "hash-b"});
  SubmitOrder sell;
  sell.account = AccountId{1};
  sell.side = Side::Sell;
  sell.price = 10'000;
  sell.qty = 2'000;
  sell.client_order_id = "s1";
  run(first, sell);
  ProjectionBatch second;
  SubmitOrder buy;
  buy.account = AccountId{2};
  buy.side = Side::Buy;
  buy.price = 10'000;
  buy.qty = 500;
  run(second, buy);
  RedisOptions options;
  const CacheUpdate u = make_cache_update(second, engine, options);
  EXPECT_EQ(u.first_seq, 4u);
  EXPECT_EQ(u.last_seq, 4u);
  ASSERT_EQ(u.orders.size(), 2u);  // the taker (new), the maker (filled, from the replica)
  const OrderRow& maker = u.orders[1];
  EXPECT_EQ(maker.order_id, 1u);
  EXPECT_EQ(maker.account.value, 1u);
  EXPECT_EQ(maker.qty, 2'000);
  EXPECT_EQ(maker.executed, 500);
  EXPECT_EQ(maker.status, OrderStatus::PartiallyFilled);
  EXPECT_EQ(maker.client_order_id, "s1");
  EXPECT_EQ(maker.correlation_id, "r3");
  EXPECT_EQ(maker.journal_seq, 4u);
  EXPECT_TRUE(u.forgotten_orders.empty());
  ASSERT_EQ(u.trades.size(), 1u);
  ASSERT_EQ(u.open_orders.size(), 2u);
  EXPECT_EQ(u.open_orders[0].account_id, 1u);
  EXPECT_EQ(u.open_orders[0].order_ids, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(u.open_orders[1].account_id, 2u);
  EXPECT_TRUE(u.open_orders[1].order_ids.empty());  // the taker filled at once
  ASSERT_EQ(u.depth.size(), 1u);
  ASSERT_EQ(u.depth[0].asks.size(), 1u);
  EXPECT_EQ(u.depth[0].asks[0].qty, 1'500);
  EXPECT_TRUE(u.depth[0].bids.empty());
  // An account with more live orders than open_orders_max_ids has no key.
  options.open_orders_max_ids = 0;
  const CacheUpdate capped = make_cache_update(second, engine, options);
  EXPECT_FALSE(capped.open_orders[0].cached);
}

}  // namespace
}  // namespace spot
