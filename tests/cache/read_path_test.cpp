// The read path against real processes: a real spotd with a tiny engine.order_history,
// a real PostgreSQL 15 and a real Redis 7 (private servers per test). Orders that have
// left engine memory are read from Redis, then PostgreSQL (filling Redis); allOrders and
// myTrades come from PostgreSQL. Every answer is checked against the database rows,
// and the metrics say which way each read went.
//
// Labels: `integration` (ReadPath.*) and `fault` (ReadPathFault.*: Redis stopped or
// frozen under reads and load, run one at a time).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cache/cache_test_support.h"
#include "spot/cache/keys.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;
using json = nlohmann::json;

constexpr const char* kHits = "spot_cache_requests_total{result=\"hit\"}";
constexpr const char* kMisses = "spot_cache_requests_total{result=\"miss\"}";
constexpr const char* kErrors = "spot_cache_requests_total{result=\"error\"}";
constexpr const char* kDbReads = "spot_db_statements_total{kind=\"read\"}";

std::string order_body(const std::string& side, const std::string& price, const std::string& qty,
                       const std::string& tif, const std::string& client_id = "") {
  json j = {{"symbol", "BTC-USDT"}, {"side", side},   {"type", "LIMIT"},
            {"timeInForce", tif},   {"price", price}, {"quantity", qty}};
  if (!client_id.empty()) j["clientOrderId"] = client_id;
  return j.dump();
}

struct Trader {
  Trader(SpotdProcess& spotd, const std::string& name)
      : key(spotd.create_account(name)), http(spotd.http_port()) {}

  json place(const std::string& body, unsigned expect = 201) {
    const HttpReply r =
        http.request(http::verb::post, "/api/v1/orders", body, {{"X-API-Key", key}});
    EXPECT_EQ(r.status, expect) << r.body;
    return json::parse(r.body);
  }
  HttpReply get(const std::string& target) {
    return http.request(http::verb::get, target, "", {{"X-API-Key", key}});
  }
  HttpReply order(std::uint64_t id) { return get("/api/v1/orders/" + std::to_string(id)); }

  std::string key;
  HttpClient http;
};

// The fields of GET order that a finished order keeps for ever.
json final_state(const json& order) {
  return {{"orderId", order["orderId"]},
          {"status", order["status"]},
          {"executedQty", order["executedQty"]},
          {"origQty", order["origQty"]},
          {"price", order["price"]},
          {"side", order["side"]},
          {"clientOrderId", order["clientOrderId"]}};
}

// The database's rows of orders, in the same shape, by order id.
std::map<std::uint64_t, json> database_states(const PostgresServer& pg,
                                              const std::string& where = "true") {
  std::map<std::uint64_t, json> out;
  for (const std::string& row :
       split(pg.psql("SELECT order_id, status, executed_qty, quantity, "
                     "coalesce(price::text, '0'), side, coalesce(client_order_id, '') "
                     "FROM orders WHERE " +
                     where),
             '\n')) {
    const auto f = split(row, '|');
    if (f.size() != 7) continue;
    out[std::stoull(f[0])] = {{"orderId", std::stoull(f[0])},
                              {"status", f[1]},
                              {"executedQty", f[2]},
                              {"origQty", f[3]},
                              {"price", f[4]},
                              {"side", f[5]},
                              {"clientOrderId", f[6]}};
  }
  return out;
}

json database_state(const PostgresServer& pg, std::uint64_t id) {
  auto rows = database_states(pg, "order_id = " + std::to_string(id));
  return rows.empty() ? json() : rows.begin()->second;
}

// `n` IOC buys far below any ask: each is EXPIRED at once. Returns their ids.
std::vector<std::uint64_t> expired_orders(Trader& t, int n) {
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < n; ++i) {
    ids.push_back(
        t.place(order_body("BUY", "10.00", "0.010", "IOC"))["orderId"].get<std::uint64_t>());
  }
  return ids;
}

std::string cache_key(const SpotdProcess& spotd, std::uint64_t id) {
  return CacheKeys("spot", readyz(spotd)["redis"]["epoch"].get<std::uint64_t>()).order(id);
}

TEST(ReadPath, AnOrderThatLeftMemoryIsReadFromRedisThenFromPostgresWhichFillsRedis) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd = spotd_with(pg, redis, {"--set", "engine.order_history=5"});
  Trader alice(*spotd, "alice");
  Trader bob(*spotd, "bob");
  const std::vector<std::uint64_t> ids = expired_orders(alice, 20);
  wait_for_cache(*spotd, std::chrono::seconds(20));
  const std::uint64_t old = ids.front();

  // Written through by the cache writer: a hit, no database read.
  double hits = metric(*spotd, kHits), reads = metric(*spotd, kDbReads);
  HttpReply r = alice.order(old);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(final_state(json::parse(r.body)), database_state(pg, old));
  EXPECT_EQ(json::parse(r.body)["status"], "EXPIRED");
  EXPECT_EQ(metric(*spotd, kHits), hits + 1);
  EXPECT_EQ(metric(*spotd, kDbReads), reads);

  // Not in Redis: a miss, read from PostgreSQL, and Redis filled with it (with a TTL).
  const std::string key = cache_key(*spotd, old);
  ASSERT_EQ(redis.command({"DEL", key}), "1");
  const double misses = metric(*spotd, kMisses);
  r = alice.order(old);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(final_state(json::parse(r.body)), database_state(pg, old));
  EXPECT_EQ(metric(*spotd, kMisses), misses + 1);
  EXPECT_GT(metric(*spotd, kDbReads), reads);
  const auto filled = decode_order(redis.command({"GET", key}), test_symbols());
  ASSERT_TRUE(filled);
  EXPECT_EQ(filled->record.status, OrderStatus::Expired);
  EXPECT_GT(std::stol(redis.command({"TTL", key})), 0);
  hits = metric(*spotd, kHits);
  reads = metric(*spotd, kDbReads);
  EXPECT_EQ(alice.order(old).status, 200u);
  EXPECT_EQ(metric(*spotd, kHits), hits + 1);
  EXPECT_EQ(metric(*spotd, kDbReads), reads);

  // Not yours: unknown, as for an order in memory. Never assigned: unknown, and no
  // read at all (the engine knows which ids it handed out).
  r = bob.order(old);
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(json::parse(r.body)["code"], -2013);
  const double all_lookups =
      metric(*spotd, kHits) + metric(*spotd, kMisses) + metric(*spotd, kErrors);
  reads = metric(*spotd, kDbReads);
  r = alice.order(1'000'000);
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(metric(*spotd, kHits) + metric(*spotd, kMisses) + metric(*spotd, kErrors), all_lookups);
  EXPECT_EQ(metric(*spotd, kDbReads), reads);

  // Redis down: the same answers from PostgreSQL, no client error.
  redis.stop();
  for (const std::uint64_t id : ids) {
    r = alice.order(id);
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(final_state(json::parse(r.body)), database_state(pg, id));
  }
  EXPECT_GT(metric(*spotd, kErrors), 0);
  EXPECT_EQ(spotd->terminate(), 0);
}

TEST(ReadPath, AnExpiredKeyIsReadFromPostgresAndWrittenAgain) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd =
      spotd_with(pg, redis, {"--set", "engine.order_history=2", "--set", "redis.order_ttl_s=1"});
  Trader alice(*spotd, "alice");
  const std::vector<std::uint64_t> ids = expired_orders(alice, 6);
  wait_for_cache(*spotd, std::chrono::seconds(20));
  const std::string key = cache_key(*spotd, ids[0]);
  // Redis expires the key within its second (a key past its TTL is gone for readers).
  const auto t0 = std::chrono::steady_clock::now();
  while (redis.command({"EXISTS", key}) != "0" &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(redis.command({"EXISTS", key}), "0");
  const double misses = metric(*spotd, kMisses);
  const HttpReply r = alice.order(ids[0]);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(final_state(json::parse(r.body)), database_state(pg, ids[0]));
  EXPECT_EQ(metric(*spotd, kMisses), misses + 1);
  EXPECT_NE(redis.command({"GET", key}), "(nil)");
  EXPECT_EQ(spotd->terminate(), 0);
}

// Every order of a W1 run read twice, through Redis and with Redis stopped: the same
// answers, each equal to the database row (orders in memory answer from memory both
// times).
TEST(ReadPath, CacheOnAndOffGiveIdenticalAnswersForEveryOrderOfAW1Run) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd = spotd_with(pg, redis, {"--set", "engine.order_history=200"});
  const std::string key = spotd->create_account("w1");
  const Load load = run_load(*spotd, key, 1'000, 2);
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  wait_for_cache(*spotd, std::chrono::seconds(30));
  const std::uint64_t last = std::stoull(pg.psql("SELECT max(order_id) FROM orders"));
  ASSERT_GT(last, 1'000u);
  HttpClient c(spotd->http_port());
  const auto read_all = [&] {
    std::vector<std::string> bodies;
    for (std::uint64_t id = 1; id <= last; ++id) {
      const HttpReply r = c.request(http::verb::get, "/api/v1/orders/" + std::to_string(id), "",
                                    {{"X-API-Key", key}});
      EXPECT_EQ(r.status, 200u) << id << ": " << r.body;
      bodies.push_back(r.body);
    }
    return bodies;
  };
  const double hits = metric(*spotd, kHits);
  const std::vector<std::string> cached = read_all();
  EXPECT_GT(metric(*spotd, kHits), hits + 500);
  redis.stop();
  const double reads = metric(*spotd, kDbReads);
  const std::vector<std::string> uncached = read_all();
  EXPECT_GT(metric(*spotd, kDbReads), reads + 500);
  const std::map<std::uint64_t, json> rows = database_states(pg);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < cached.size(); ++i) {
    if (cached[i] != uncached[i] && ++differ <= 5) {
      ADD_FAILURE() << "order " << i + 1 << ": cache on " << cached[i] << "\n  cache off "
                    << uncached[i];
    }
    const json answer = json::parse(cached[i]);
    if (answer["status"] == "FILLED" || answer["status"] == "CANCELED" ||
        answer["status"] == "EXPIRED") {
      EXPECT_EQ(final_state(answer), rows.at(i + 1)) << cached[i];
    }
  }
  EXPECT_EQ(differ, 0u);
  EXPECT_EQ(spotd->terminate(), 0);
}

TEST(ReadPath, AllOrdersAndMyTradesAreTheDatabaseRowsIncludingTheCallersLatest) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd = spotd_with(pg, redis, {"--set", "engine.order_history=3"});
  Trader alice(*spotd, "alice");
  Trader bob(*spotd, "bob");
  // Alice rests three sells; Bob's buy takes two and a half of them.
  const auto s1 = alice.place(order_body("SELL", "100.00", "1.000", "GTC"))["orderId"];
  const auto s2 = alice.place(order_body("SELL", "101.00", "1.000", "GTC"))["orderId"];
  const auto s3 = alice.place(order_body("SELL", "102.00", "1.000", "GTC"))["orderId"];
  const json buy = bob.place(order_body("BUY", "102.00", "2.500", "GTC"));
  EXPECT_EQ(buy["status"], "FILLED");
  expired_orders(alice, 4);

  // At once, without waiting for the projector: the answer includes the latest order.
  HttpReply r = alice.get("/api/v1/allOrders?symbol=BTC-USDT");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_FALSE(r.headers["X-Spot-Projected-Seq"].empty());
  json orders = json::parse(r.body);
  ASSERT_EQ(orders.size(), 7u) << r.body;
  EXPECT_EQ(orders[0]["orderId"], s1);
  EXPECT_EQ(orders[0]["status"], "FILLED");
  EXPECT_EQ(orders[1]["orderId"], s2);
  EXPECT_EQ(orders[2]["orderId"], s3);
  EXPECT_EQ(orders[2]["status"], "PARTIALLY_FILLED");
  EXPECT_EQ(orders[2]["executedQty"], "0.500");
  for (const json& o : orders) {
    EXPECT_EQ(final_state(o), database_state(pg, o["orderId"].get<std::uint64_t>())) << o;
    EXPECT_GT(o["time"].get<std::int64_t>(), 1'700'000'000'000);
  }
  // The newest two; the oldest two from a time on.
  r = alice.get("/api/v1/allOrders?symbol=BTC-USDT&limit=2");
  orders = json::parse(r.body);
  ASSERT_EQ(orders.size(), 2u) << r.body;
  EXPECT_LT(orders[0]["orderId"], orders[1]["orderId"]);
  r = alice.get("/api/v1/allOrders?symbol=BTC-USDT&limit=2&startTime=1");
  orders = json::parse(r.body);
  ASSERT_EQ(orders.size(), 2u) << r.body;
  EXPECT_EQ(orders[0]["orderId"], s1);
  r = alice.get("/api/v1/allOrders?symbol=ETH-USDT");
  EXPECT_EQ(json::parse(r.body).size(), 0u) << r.body;
  EXPECT_EQ(json::parse(bob.get("/api/v1/allOrders?symbol=BTC-USDT").body).size(), 1u);

  // Trades, from each side.
  r = alice.get("/api/v1/myTrades?symbol=BTC-USDT");
  ASSERT_EQ(r.status, 200u) << r.body;
  const json mine = json::parse(r.body);
  ASSERT_EQ(mine.size(), 3u) << r.body;
  EXPECT_EQ(mine[0]["orderId"], s1);
  EXPECT_EQ(mine[0]["isBuyer"], false);
  EXPECT_EQ(mine[0]["isMaker"], true);
  EXPECT_EQ(mine[0]["price"], "100.00");
  EXPECT_EQ(mine[0]["qty"], "1.000");
  EXPECT_EQ(mine[0]["quoteQty"], "100.00000");
  EXPECT_EQ(mine[2]["qty"], "0.500");
  const json theirs = json::parse(bob.get("/api/v1/myTrades?symbol=BTC-USDT").body);
  ASSERT_EQ(theirs.size(), 3u);
  EXPECT_EQ(theirs[1]["orderId"], buy["orderId"]);
  EXPECT_EQ(theirs[1]["isBuyer"], true);
  EXPECT_EQ(theirs[1]["isMaker"], false);
  EXPECT_EQ(theirs[1]["id"], mine[1]["id"]);
  // Paging: from the second trade, one at a time.
  const std::string from = std::to_string(mine[1]["id"].get<std::uint64_t>());
  const json page =
      json::parse(alice.get("/api/v1/myTrades?symbol=BTC-USDT&limit=1&fromId=" + from).body);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0]["id"], mine[1]["id"]);
  // Only the last one: the newest.
  const json newest = json::parse(alice.get("/api/v1/myTrades?symbol=BTC-USDT&limit=1").body);
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0]["id"], mine[2]["id"]);

  // Bad requests: each a clear error.
  const std::map<std::string, std::pair<unsigned, int>> bad = {
      {"/api/v1/allOrders", {400, -1102}},
      {"/api/v1/allOrders?symbol=NOPE", {400, -1121}},
      {"/api/v1/allOrders?symbol=BTC-USDT&limit=0", {400, -1100}},
      {"/api/v1/allOrders?symbol=BTC-USDT&limit=1001", {400, -1100}},
      {"/api/v1/allOrders?symbol=BTC-USDT&startTime=x", {400, -1100}},
      {"/api/v1/allOrders?symbol=BTC-USDT&startTime=5&endTime=5", {400, -1100}},
      {"/api/v1/myTrades?symbol=BTC-USDT&fromId=-1", {400, -1100}},
      {"/api/v1/myTrades", {400, -1102}}};
  for (const auto& [target, want] : bad) {
    r = alice.get(target);
    EXPECT_EQ(r.status, want.first) << target << ": " << r.body;
    EXPECT_EQ(json::parse(r.body)["code"], want.second) << target << ": " << r.body;
  }
  r = HttpClient(spotd->http_port()).request(http::verb::get, "/api/v1/myTrades?symbol=BTC-USDT");
  EXPECT_EQ(r.status, 401u) << r.body;
  EXPECT_EQ(spotd->terminate(), 0);
}

// A resent clientOrderId of an order that has left memory: the original order (from the
// read path), never a second one; past the idempotency window, a new order.
TEST(ReadPath, AResentClientOrderIdOfAForgottenOrderReturnsTheOriginal) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd = spotd_with(pg, redis, {"--set", "engine.order_history=2"});
  Trader alice(*spotd, "alice");
  const std::string body = order_body("BUY", "10.00", "0.010", "IOC", "keep-me");
  const json first = alice.place(body);
  EXPECT_EQ(first["status"], "EXPIRED");
  expired_orders(alice, 5);
  wait_for_cache(*spotd, std::chrono::seconds(20));
  const json again = alice.place(body, 200);
  EXPECT_EQ(again["orderId"], first["orderId"]);
  EXPECT_EQ(final_state(again), final_state(first));
  EXPECT_FALSE(again.contains("fills"));
  // With Redis down too: from PostgreSQL.
  redis.stop();
  EXPECT_EQ(alice.place(body, 200)["orderId"], first["orderId"]);
  EXPECT_EQ(std::stoull(pg.psql("SELECT count(*) FROM orders WHERE client_order_id = 'keep-me'")),
            1u);
  EXPECT_EQ(spotd->terminate(), 0);

  // No window: the key is free again once the order has left memory.
  PostgresServer pg2;
  RedisServer redis2;
  auto windowless = spotd_with(
      pg2, redis2, {"--set", "engine.order_history=2", "--set", "engine.idempotency_window=0"});
  Trader bob(*windowless, "bob");
  const json original = bob.place(body);
  expired_orders(bob, 5);
  EXPECT_NE(bob.place(body, 201)["orderId"], original["orderId"]);
  EXPECT_EQ(windowless->terminate(), 0);
}

// Without a database there is no read path: a clear error, not a hang.
TEST(ReadPath, AnEmbeddedSpotdRefusesAllOrdersClearly) {
  SpotdProcess spotd(std::vector<std::string>{"--set", "engine.order_history=1"});
  Trader alice(spotd, "a");
  const HttpReply r = alice.get("/api/v1/allOrders?symbol=BTC-USDT");
  EXPECT_EQ(r.status, 501u) << r.body;
  EXPECT_EQ(json::parse(r.body)["code"], -1016);
  // An order that left memory is gone without a database: GET says unknown, a resend of
  // its clientOrderId says duplicate (never a second order).
  const std::string body = order_body("BUY", "10.00", "0.010", "IOC", "once");
  const std::uint64_t id = alice.place(body)["orderId"];
  expired_orders(alice, 3);
  EXPECT_EQ(alice.order(id).status, 404u);
  const json dup = alice.place(body, 400);
  EXPECT_EQ(dup["code"], -2010) << dup;
}

// Reads of orders that left memory go on while Redis is stopped and started again, and
// while it is frozen: every answer 200 and the order's final state in the database; the
// cache serves again afterwards.
void reads_through_outage(bool freeze) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd = spotd_with(pg, redis, {"--set", "engine.order_history=100"});
  const std::string key = spotd->create_account("w1");
  const Load warm = run_load(*spotd, key, 1'000, 1);
  EXPECT_EQ(warm.errors(), 0u);
  wait_for_cache(*spotd, std::chrono::seconds(30));
  const std::uint64_t old_max = std::stoull(pg.psql("SELECT max(order_id) FROM orders")) - 200;
  ASSERT_GT(old_max, 100u);

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> answered{0};
  std::vector<std::pair<std::uint64_t, std::string>> answers;
  std::string failure;
  std::thread reader([&] {
    HttpClient c(spotd->http_port());
    std::mt19937_64 rng(seed());
    while (!stop.load()) {
      const std::uint64_t id = 1 + rng() % old_max;
      const HttpReply r = c.request(http::verb::get, "/api/v1/orders/" + std::to_string(id), "",
                                    {{"X-API-Key", key}});
      if (r.status != 200 && failure.empty()) failure = std::to_string(id) + ": " + r.body;
      answers.emplace_back(id, r.body);
      answered.fetch_add(1);
    }
  });
  // Load beside the reads, so that the cache writer is busy when Redis goes.
  std::thread loader([&] { run_load(*spotd, key, 500, 4, 1'000'000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double errors = metric(*spotd, kErrors);
  if (freeze) {
    redis.freeze();
  } else {
    redis.stop();
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_GT(metric(*spotd, kErrors), errors);
  if (freeze) {
    redis.thaw();
  } else {
    redis.start();
  }
  loader.join();
  wait_for_cache(*spotd, std::chrono::seconds(30));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  reader.join();
  EXPECT_TRUE(failure.empty()) << failure;
  EXPECT_GT(answered.load(), 100u);

  // No answer older than one before it: a live order's answers only move forward, and a
  // finished order's answer is its final row in the database, every time.
  const std::map<std::uint64_t, json> rows = database_states(pg);
  std::map<std::uint64_t, json> last;
  std::size_t wrong = 0;
  for (const auto& [id, body] : answers) {
    const json a = json::parse(body, nullptr, false);
    if (a.is_discarded() || !rows.count(id)) {
      if (++wrong <= 5) ADD_FAILURE() << "order " << id << " answered " << body;
      continue;
    }
    const std::string status = a["status"];
    const bool terminal = status == "FILLED" || status == "CANCELED" || status == "EXPIRED";
    if (terminal && final_state(a) != rows.at(id) && ++wrong <= 5) {
      ADD_FAILURE() << "order " << id << " answered " << body << "; database " << rows.at(id);
    }
    if (last.count(id)) {
      const json& before = last[id];
      const bool was_terminal = before["status"] != "NEW" && before["status"] != "PARTIALLY_FILLED";
      if ((was_terminal && final_state(a) != final_state(before)) ||
          std::stod(a["executedQty"].get<std::string>()) <
              std::stod(before["executedQty"].get<std::string>())) {
        if (++wrong <= 5) ADD_FAILURE() << "order " << id << ": " << before << " then " << a;
      }
    }
    last[id] = a;
  }
  EXPECT_EQ(wrong, 0u);

  // The cache serves again: an order read twice is a hit the second time (once the read
  // path's Redis breaker, open since the outage, has let a probe through).
  HttpClient c(spotd->http_port());
  bool hit = false;
  const auto t0 = std::chrono::steady_clock::now();
  while (!hit && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(15)) {
    const std::string target = "/api/v1/orders/" + std::to_string(1 + old_max / 2);
    EXPECT_EQ(c.request(http::verb::get, target, "", {{"X-API-Key", key}}).status, 200u);
    const double hits = metric(*spotd, kHits);
    EXPECT_EQ(c.request(http::verb::get, target, "", {{"X-API-Key", key}}).status, 200u);
    hit = metric(*spotd, kHits) > hits;
    if (!hit) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(hit) << "no cache hit after Redis came back";
  EXPECT_EQ(spotd->terminate(), 0);
}

TEST(ReadPathFault, RedisStoppedAndStartedUnderReadsAndLoad) { reads_through_outage(false); }

TEST(ReadPathFault, RedisFrozenUnderReadsAndLoad) { reads_through_outage(true); }

}  // namespace
}  // namespace spot::test
