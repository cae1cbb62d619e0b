// The Redis write-through cache against real processes: a real spotd, a real PostgreSQL
// 15 and a real Redis 7 (a private server each per test), real load from spot-bench.
// What Redis holds is compared with what PostgreSQL holds (the record) and with what
// the engine answers.
//
// Labels: `integration` (CacheRedis.*) and `fault` (CacheFault.*: Redis stopped or
// frozen under load, run one at a time).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "cache/cache_test_support.h"
#include "integration/spotd_process.h"
#include "spot/cache/keys.h"
#include "spot/cache/redis.h"
#include "spot/core/decimal.h"
#include "spot/engine/symbol.h"
#include "support/postgres_server.h"
#include "support/redis_server.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Every order row of PostgreSQL whose id is in `only` (all when empty) has its key in
// epoch `epoch` of Redis, in the same state, with the journal record of the row and a
// TTL; its trade list adds up to its executed quantity. Returns how many were compared.
std::size_t expect_orders_equal_database(const PostgresServer& pg, const RedisServer& redis,
                                         std::uint64_t epoch, bool every_row) {
  const SymbolTable symbols = test_symbols();
  const CacheKeys keys("spot", epoch);
  const std::vector<std::string> rows =
      split(pg.psql("SELECT order_id, account_id, symbol, side, type, time_in_force, "
                    "coalesce(price::text, ''), quantity, executed_qty, status, "
                    "coalesce(client_order_id, ''), journal_seq, "
                    "(SELECT count(*) FROM trades t WHERE t.maker_order_id = o.order_id OR "
                    "t.taker_order_id = o.order_id) FROM orders o ORDER BY order_id"),
            '\n');
  std::vector<std::vector<std::string>> commands;
  for (const std::string& row : rows) {
    const std::string id = row.substr(0, row.find('|'));
    commands.push_back({"GET", keys.order(std::stoull(id))});
    commands.push_back({"TTL", keys.order(std::stoull(id))});
    commands.push_back({"LRANGE", keys.trades(std::stoull(id)), "0", "-1"});
  }
  const std::vector<std::string> replies = redis.pipeline(commands);
  std::size_t compared = 0;
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto f = split(rows[i], '|');
    EXPECT_EQ(f.size(), 13u) << rows[i];
    if (f.size() != 13) continue;
    const std::string& value = replies[3 * i];
    if (value == "(nil)") {
      if (every_row && ++wrong <= 5) ADD_FAILURE() << "no cache key for order row " << rows[i];
      continue;
    }
    ++compared;
    const auto cached = decode_order(value, symbols);
    if (!cached) {
      if (++wrong <= 5) ADD_FAILURE() << "the cached order does not decode: " << value;
      continue;
    }
    const OrderRecord& r = cached->record;
    const SymbolSpec& spec = symbols.spec(r.symbol);
    const std::string price =
        r.type == OrderType::Market ? std::string() : format_steps(r.price, spec.tick_size);
    const bool same =
        std::to_string(r.id.value) == f[0] && std::to_string(r.account.value) == f[1] &&
        spec.name == f[2] && to_string(r.side) == f[3] && to_string(r.type) == f[4] &&
        to_string(r.tif) == f[5] && price == f[6] && format_steps(r.qty, spec.lot_size) == f[7] &&
        format_steps(r.executed, spec.lot_size) == f[8] && to_string(r.status) == f[9] &&
        r.client_order_id == f[10] && std::to_string(cached->seq) == f[11];
    if (!same && ++wrong <= 5) {
      ADD_FAILURE() << "cached order differs from the database row:\n  row:   " << rows[i]
                    << "\n  cache: " << value;
    }
    const long ttl = std::stol(replies[3 * i + 1]);
    if ((ttl <= 0 || ttl > 86'400) && ++wrong <= 5) ADD_FAILURE() << "TTL " << ttl << ": " << value;
    // The trade list of an order filled in this epoch: every trade once, adding up.
    const auto trades = split(replies[3 * i + 2], '\n');
    Lots sum = 0;
    for (const std::string& t : trades) {
      const auto trade = decode_trade(t, symbols);
      if (trade) sum += trade->trade.qty;
    }
    if (every_row && (sum != r.executed || std::to_string(trades.size()) != f[12]) &&
        ++wrong <= 5) {
      ADD_FAILURE() << "order " << f[0] << ": " << trades.size() << " cached trades of " << f[12]
                    << ", adding up to " << sum << " lots, executed " << r.executed;
    }
  }
  EXPECT_EQ(wrong, 0u);
  return compared;
}

// Each account's open-order key lists exactly its live orders in PostgreSQL.
void expect_open_orders_equal_database(const PostgresServer& pg, const RedisServer& redis,
                                       std::uint64_t epoch) {
  const CacheKeys keys("spot", epoch);
  std::map<std::string, std::string> live;
  for (const std::string& row :
       split(pg.psql("SELECT account_id, string_agg(order_id::text, ',' ORDER BY order_id) "
                     "FROM orders WHERE status IN ('NEW', 'PARTIALLY_FILLED') "
                     "GROUP BY account_id"),
             '\n')) {
    const auto f = split(row, '|');
    live[f[0]] = f[1];
  }
  for (const std::string& account :
       split(pg.psql("SELECT DISTINCT account_id FROM orders"), '\n')) {
    const std::string value = redis.command({"GET", keys.open_orders(std::stoull(account))});
    const auto cached = decode_open_orders(value);
    ASSERT_TRUE(cached) << "account " << account << ": " << value;
    std::string ids;
    for (const std::uint64_t id : cached->order_ids)
      ids += (ids.empty() ? "" : ",") + std::to_string(id);
    EXPECT_EQ(ids, live[account]) << "account " << account;
    EXPECT_GT(std::stol(redis.command({"TTL", keys.open_orders(std::stoull(account))})), 0);
  }
}

// Each symbol's cached depth is what the engine answers now (all is projected).
void expect_depth_equals_engine(const SpotdProcess& spotd, const RedisServer& redis,
                                std::uint64_t epoch) {
  const SymbolTable symbols = test_symbols();
  HttpClient c(spotd.http_port());
  for (const char* name : {"BTC-USDT", "ETH-USDT"}) {
    const HttpReply r =
        c.request(http::verb::get, std::string("/api/v1/depth?symbol=") + name + "&limit=20");
    ASSERT_EQ(r.status, 200u) << r.body;
    const json engine = json::parse(r.body);
    const std::string value = redis.command({"GET", CacheKeys("spot", epoch).depth(name)});
    if (value == "(nil)") {
      EXPECT_TRUE(engine["bids"].empty() && engine["asks"].empty()) << name << ": " << r.body;
      continue;
    }
    const auto cached = decode_depth(value, symbols);
    ASSERT_TRUE(cached) << value;
    const SymbolSpec& spec = symbols.spec(*symbols.find(name));
    for (const auto& [side, levels] :
         {std::pair{"bids", cached->depth.bids}, std::pair{"asks", cached->depth.asks}}) {
      json mine = json::array();
      for (const DepthLevel& l : levels) {
        mine.push_back({format_steps(l.price, spec.tick_size), format_steps(l.qty, spec.lot_size)});
      }
      EXPECT_EQ(mine, engine[side]) << name << " " << side;
    }
  }
}

TEST(CacheRedis, AfterLoadRedisHoldsWhatTheDatabaseHolds) {
  PostgresServer pg;
  RedisServer redis;
  // Many batches even when the projector falls behind on a busy machine (it then
  // catches up in batches as large as batch_max_records).
  auto spotd = spotd_with(pg, redis, {"--set", "postgres.batch_max_records=400"});
  EXPECT_EQ(readyz(*spotd)["cache"], "redis");
  EXPECT_NE(spotd->log().find("\"cache\":\"redis\""), std::string::npos) << spotd->log();
  const std::string key = spotd->create_account("w1");
  const Load load = run_load(*spotd, key, 2'000, 3);
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  wait_for_cache(*spotd, std::chrono::seconds(15));
  const json r = readyz(*spotd);
  EXPECT_EQ(r["redis"]["state"], "up") << r.dump();
  EXPECT_EQ(r["redis"]["breaker"], "closed");
  EXPECT_EQ(r["redis"]["droppedBatches"], 0);
  const auto epoch = r["redis"]["epoch"].get<std::uint64_t>();
  EXPECT_EQ(epoch, 1u);
  EXPECT_EQ(redis.command({"GET", "spot:epoch"}), "1");
  EXPECT_EQ(redis.command({"GET", "spot:1:seq"}),
            std::to_string(r["postgres"]["checkpoint"].get<std::uint64_t>()));
  const std::size_t compared = expect_orders_equal_database(pg, redis, epoch, true);
  EXPECT_GT(compared, 2'000u);
  EXPECT_EQ(redis.keys("spot:1:order:*").size(),
            std::stoull(pg.psql("SELECT count(*) FROM orders")));
  expect_open_orders_equal_database(pg, redis, epoch);
  expect_depth_equals_engine(*spotd, redis, epoch);
  EXPECT_GT(metric(*spotd, "spot_cache_writes_total"), 10);
  EXPECT_GT(metric(*spotd, "spot_cache_write_seconds_count"), 10);
  EXPECT_EQ(metric(*spotd, "spot_cache_dropped_writes_total{reason=\"queue_full\"}"), 0);
  EXPECT_EQ(metric(*spotd, "spot_cache_dropped_writes_total{reason=\"unavailable\"}"), 0);
  EXPECT_EQ(metric(*spotd, "spot_circuit_breaker_state{dependency=\"redis\"}"), 0);
  EXPECT_EQ(spotd->terminate(), 0);
}

// A catch-up batch bigger than one round trip: written in several, nothing lost.
TEST(CacheRedis, ABatchLargerThanARoundTripIsWrittenInSeveral) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd = spotd_with(pg, redis, {"--set", "redis.pipeline_max_commands=50"});
  const std::string key = spotd->create_account("split");
  run_load(*spotd, key, 1'000, 2);
  wait_for_cache(*spotd, std::chrono::seconds(15));
  const json r = readyz(*spotd);
  EXPECT_EQ(r["redis"]["epoch"], 1) << r.dump();
  expect_orders_equal_database(pg, redis, 1, true);
  expect_open_orders_equal_database(pg, redis, 1);
  // More round trips than batches.
  EXPECT_GT(metric(*spotd, "spot_cache_commands_total"),
            52 * metric(*spotd, "spot_cache_writes_total"));
  EXPECT_EQ(spotd->terminate(), 0);
}

// Without [redis] url: no cache, and spotd says so.
TEST(CacheRedis, WithoutARedisUrlThereIsNoCache) {
  PostgresServer pg;
  auto spotd =
      std::make_unique<SpotdProcess>(std::vector<std::string>{"--set", "postgres.url=" + pg.url()});
  const json r = readyz(*spotd);
  EXPECT_EQ(r["cache"], "none") << r.dump();
  EXPECT_FALSE(r.contains("redis"));
  EXPECT_NE(spotd->log().find("\"redis\":\"none (no cache)\""), std::string::npos) << spotd->log();
  EXPECT_EQ(spotd->terminate(), 0);
}

// The session's deadlines: a round trip to a frozen server fails once its deadline
// passes, the ping says nobody answers, and after SIGCONT both work again.
TEST(CacheRedis, ARoundTripToAFrozenServerEndsAtItsDeadline) {
  RedisServer redis;
  RedisOptions options;
  options.url = redis.url();
  options.command_timeout_ms = 500;
  options.connect_timeout_ms = 200;
  RedisSession session(options);
  ASSERT_TRUE(session.connect().ok());
  RedisReply reply;
  ASSERT_TRUE(session.command({"SET", "k", "v"}, &reply).ok());
  EXPECT_EQ(reply.text, "OK");
  EXPECT_TRUE(session.ping(200));
  redis.freeze();
  auto t0 = Clock::now();
  const Status s = session.command({"GET", "k"}, &reply);
  auto took = Clock::now() - t0;
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("timeout"), std::string::npos) << s.message();
  EXPECT_GE(took, std::chrono::milliseconds(450));
  EXPECT_LT(took, std::chrono::milliseconds(1'500));
  EXPECT_FALSE(session.connected());
  // A transaction, and a new connection (the kernel completes the handshake; nothing
  // answers), end at their deadlines too.
  RespTransactions t(10);
  t.command(2);
  t.arg(std::string_view("GET"));
  t.arg(std::string_view("k"));
  ASSERT_TRUE(session.connect().ok());
  t0 = Clock::now();
  EXPECT_FALSE(session.transaction(t.take()[0]).ok());
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1'500));
  t0 = Clock::now();
  EXPECT_FALSE(session.ping(200));
  took = Clock::now() - t0;
  EXPECT_LT(took, std::chrono::milliseconds(1'000));
  redis.thaw();
  EXPECT_TRUE(session.ping(500));
  ASSERT_TRUE(session.command({"GET", "k"}, &reply).ok());
  EXPECT_EQ(reply.text, "v");
  // An error reply leaves the connection open.
  ASSERT_TRUE(session.command({"LPUSH", "k", "x"}, &reply).ok());
  EXPECT_EQ(reply.kind, RedisReply::Kind::Error);
  EXPECT_TRUE(session.connected());
  // Nobody listening: the connect fails at once.
  RedisOptions nobody = options;
  nobody.url = "redis://127.0.0.1:1/0";
  EXPECT_FALSE(RedisSession(nobody).connect().ok());
}

// Every key spotd wrote is in `epoch` (or the epoch counter).
void expect_keys_of_epoch_only(const RedisServer& redis, std::uint64_t epoch) {
  const std::string stem = "spot:" + std::to_string(epoch) + ":";
  std::size_t other = 0;
  for (const std::string& k : redis.keys("spot:*")) {
    if (k != "spot:epoch" && k.rfind(stem, 0) != 0 && ++other <= 5) {
      ADD_FAILURE() << "a key of another epoch than " << epoch << ": " << k;
    }
  }
}

// Redis goes away under load (stopped, or frozen so that calls hang) and comes back:
// order entry and the projector never notice, the breaker opens and closes, writes are
// dropped meanwhile, and writing resumes in a new epoch whose keys equal the database.
void outage_under_load(bool freeze) {
  PostgresServer pg;
  RedisServer redis;
  auto spotd = spotd_with(
      pg, redis,
      {"--set", "redis.command_timeout_ms=300", "--set", "redis.connect_timeout_ms=200", "--set",
       "redis.breaker_open_ms=1000", "--set", "redis.breaker_open_max_ms=2000"});
  const std::string key = spotd->create_account("outage");
  Load load;
  std::thread bench([&] { load = run_load(*spotd, key, 1'000, 16); });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const json before = readyz(*spotd);
  const auto epoch_before = before["redis"]["epoch"].get<std::uint64_t>();
  EXPECT_GE(epoch_before, 1u) << before.dump();
  if (freeze) {
    redis.freeze();
  } else {
    redis.stop();
  }
  bool saw_open = false;
  std::uint64_t checkpoint_at_start = 0;
  std::uint64_t checkpoint = 0;
  const auto outage_end = Clock::now() + std::chrono::seconds(6);
  while (Clock::now() < outage_end) {
    // Nothing waits on Redis: the admin API answers at once, the projector goes on.
    const auto t0 = Clock::now();
    const json r = readyz(*spotd);
    EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(500));
    EXPECT_EQ(r["status"], "ready");
    saw_open = saw_open || r["redis"]["breaker"] == "open";
    checkpoint = r["postgres"]["checkpoint"].get<std::uint64_t>();
    if (checkpoint_at_start == 0) checkpoint_at_start = checkpoint;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(saw_open) << "the redis breaker never opened during the outage";
  EXPECT_GT(checkpoint, checkpoint_at_start + 1'000) << "the projector stalled with Redis away";
  EXPECT_EQ(readyz(*spotd)["redis"]["epoch"], 0)
      << "readers must not use an epoch while Redis is away";
  if (freeze) {
    redis.thaw();
  } else {
    redis.start();
  }
  // Writing resumes by itself, in a new epoch, within a few seconds.
  const auto back = Clock::now();
  json r;
  while (Clock::now() - back < std::chrono::seconds(10)) {
    r = readyz(*spotd);
    if (r["redis"]["epoch"].get<std::uint64_t>() > epoch_before && r["redis"]["state"] == "up")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::printf(
      "cache writing again %lld ms after Redis was back (epoch %llu)\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - back).count()),
      static_cast<unsigned long long>(r["redis"]["epoch"].get<std::uint64_t>()));
  EXPECT_EQ(r["redis"]["state"], "up") << r.dump();
  EXPECT_EQ(r["redis"]["breaker"], "closed") << r.dump();
  bench.join();
  EXPECT_EQ(load.errors(), 0u) << "order entry must not depend on Redis: " << load.summary.dump();
  wait_for_cache(*spotd, std::chrono::seconds(15));
  r = readyz(*spotd);
  const auto epoch = r["redis"]["epoch"].get<std::uint64_t>();
  EXPECT_GT(epoch, epoch_before);
  EXPECT_GT(r["redis"]["droppedBatches"].get<std::uint64_t>(), 0u) << r.dump();
  EXPECT_GT(metric(*spotd, "spot_cache_dropped_writes_total{reason=\"unavailable\"}"), 0);
  EXPECT_GE(
      metric(*spotd, "spot_circuit_breaker_transitions_total{dependency=\"redis\",to=\"open\"}"),
      1);
  EXPECT_EQ(redis.command({"GET", "spot:epoch"}), std::to_string(epoch));
  if (!freeze) expect_keys_of_epoch_only(redis, epoch);  // a restarted server is empty
  // What the new epoch holds is the database's state of those orders, never an older one.
  const std::size_t compared = expect_orders_equal_database(pg, redis, epoch, false);
  EXPECT_GT(compared, 100u);
  expect_open_orders_equal_database(pg, redis, epoch);
  EXPECT_EQ(spotd->terminate(), 0);
}

TEST(CacheFault, RedisStoppedAndRestartedUnderLoad) { outage_under_load(false); }

TEST(CacheFault, RedisFrozenUnderLoad) { outage_under_load(true); }

}  // namespace
}  // namespace spot::test
