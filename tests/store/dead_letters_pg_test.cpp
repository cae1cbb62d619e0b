// The dead-letter queue against a real PostgreSQL 15 (a private server per test): the
// store's operations on their own (replay, its idempotence and its row lock, replay of
// everything in journal order, discard, paging), then through a real spotd under load,
// spotctl against it, and the spill file when the table cannot be written.
//
// Labels: `integration` (DeadLetterPg.*) and `fault` (DeadLetterFault.*: the database
// stopped and spotd killed, one at a time).
#include <gtest/gtest.h>

#include <barrier>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "integration/spotd_process.h"
#include "spot/engine/engine.h"
#include "spot/store/dead_letters.h"
#include "spot/store/migrations.h"
#include "spot/store/postgres.h"
#include "store/order_fixtures.h"
#include "store/store_test_support.h"
#include "support/postgres_server.h"

namespace spot::test {
namespace {

// What is projected is the subject here, not money: the pure book, whose unfunded
// accounts may trade.
EngineLimits pure_book() {
  EngineLimits limits;
  limits.check_balances = false;
  return limits;
}

namespace http = boost::beast::http;
using json = nlohmann::json;
using Kind = DeadLetterAnswer::Kind;
using Clock = std::chrono::steady_clock;

// The check constraint the tests poison orders with: the database refuses any row of an
// order whose client order id is `poison...` (SQLSTATE 23514), as a real schema change
// or bad data would.
void poison_orders(const PostgresServer& pg) {
  pg.psql("ALTER TABLE orders ADD CONSTRAINT no_poison CHECK (client_order_id NOT LIKE 'poison%')");
}
void cure_orders(const PostgresServer& pg) {
  pg.psql("ALTER TABLE orders DROP CONSTRAINT no_poison");
}

using test::btc;
using test::limit;

// Journal records 1, 2, ... executed on an engine, each the dead letter it would be if
// the database refused it.
class Records {
 public:
  Records() : engine_({btc()}, pure_book()) {}
  DeadLetter run(const CommandBody& command) {
    JournalRecord record;
    record.seq = ++seq_;
    record.command = command;
    record.request_id = "req-" + std::to_string(seq_);
    record.time_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(seq_) * 1'000'000;
    ProjectionBatch batch;
    batch.add(record, engine_.execute(command, record.request_id));
    return make_dead_letter(batch, DbError::from_sqlstate("23514", "violates no_poison"), symbols_,
                            record.time_ns / 1'000);
  }

 private:
  Engine engine_;
  const SymbolTable symbols_{{btc()}};
  std::uint64_t seq_ = 0;
};

// A private server with spotd's schema, and stores on it.
class Database {
 public:
  Database() {
    options.url = pg.url();
    PgSession session(options);
    EXPECT_TRUE(session.connect().ok());
    MigrationResult migrated;
    const DbError e = apply_migrations(session, &migrated);
    EXPECT_TRUE(e.ok()) << e.message;
  }
  DeadLetterStore store(DeadLetterOptions dlq = {}) const {
    return DeadLetterStore(options, dlq, nullptr);
  }
  std::uint64_t insert(const DeadLetter& d) {
    DeadLetterStore s = store();
    const DbError e = s.insert({d});
    EXPECT_TRUE(e.ok()) << e.message;
    return std::stoull(
        pg.psql("SELECT id FROM dead_letters WHERE idempotency_key = '" + d.idempotency_key + "'"));
  }
  std::string entry(std::uint64_t id, const std::string& columns) const {
    return pg.psql("SELECT " + columns + " FROM dead_letters WHERE id = " + std::to_string(id));
  }

  PostgresServer pg;
  PostgresOptions options;
};

json body_of(const DeadLetterAnswer& a) { return json::parse(a.body); }

TEST(DeadLetterPg, AReplayWritesTheRowsOnceAndOneRefusedAgainStaysPending) {
  Database db;
  Records r;
  const DeadLetter account = r.run(CreateAccount{"alice", "hash"});
  const DeadLetter order = r.run(limit(1, Side::Buy, 10'000, 1'000, "poison-1"));
  EXPECT_EQ(order.entity, "order");
  const std::uint64_t a = db.insert(account);
  const std::uint64_t id = db.insert(order);
  // The same record again (a retry, a restart, the spill file): still one entry.
  db.insert(order);
  EXPECT_EQ(db.pg.psql("SELECT count(*) FROM dead_letters"), "2");
  EXPECT_EQ(db.entry(id, "status, attempts, replay_count, entity, entity_id, journal_seq"),
            "PENDING|1|0|order|1|2");

  poison_orders(db.pg);
  DeadLetterStore store = db.store();
  DeadLetterAnswer refused = store.replay(id, "alice");
  ASSERT_EQ(refused.kind, Kind::ReplayFailed) << refused.message;
  EXPECT_NE(refused.message.find("23514"), std::string::npos) << refused.message;
  EXPECT_NE(refused.message.find("no_poison"), std::string::npos) << refused.message;
  json e = body_of(refused);
  EXPECT_EQ(e["status"], "PENDING");
  EXPECT_EQ(e["attempts"], 2);
  EXPECT_EQ(e["replayCount"], 1);
  EXPECT_EQ(e["lastReplayedBy"], "alice");
  EXPECT_NE(e["message"].get<std::string>().find("no_poison"), std::string::npos);
  ASSERT_EQ(e["actions"].size(), 2u);
  EXPECT_EQ(e["actions"][1]["action"], "replay");
  EXPECT_EQ(e["actions"][1]["result"], "FAILED");
  EXPECT_EQ(e["actions"][1]["by"], "alice");
  EXPECT_EQ(db.pg.psql("SELECT count(*) FROM orders"), "0");

  cure_orders(db.pg);
  DeadLetterAnswer done = store.replay(id, "bob");
  ASSERT_EQ(done.kind, Kind::Ok) << done.message;
  e = body_of(done);
  EXPECT_EQ(e["status"], "RESOLVED");
  EXPECT_EQ(e["attempts"], 2);
  EXPECT_EQ(e["replayCount"], 2);
  EXPECT_EQ(e["lastReplayedBy"], "bob");
  EXPECT_EQ(e["actions"].back()["result"], "RESOLVED");
  EXPECT_EQ(db.pg.psql("SELECT order_id, account_id, symbol, side, price, quantity, status, "
                       "client_order_id, journal_seq, correlation_id FROM orders"),
            "1|1|BTC-USDT|BUY|100.00|1.000|NEW|poison-1|2|req-2");
  const std::string row = db.pg.psql("SELECT md5(o::text) FROM orders o");

  // Twice: refused (it is resolved), nothing written again.
  const DeadLetterAnswer again = store.replay(id, "bob");
  EXPECT_EQ(again.kind, Kind::Conflict);
  EXPECT_NE(again.message.find("resolved already"), std::string::npos) << again.message;
  // And if it is replayed all the same (its state put back by hand), the rows are
  // written once: ON CONFLICT on the entity keys.
  db.pg.psql("UPDATE dead_letters SET status = 'PENDING' WHERE id = " + std::to_string(id));
  ASSERT_EQ(store.replay(id, "bob").kind, Kind::Ok);
  EXPECT_EQ(db.pg.psql("SELECT count(*), md5(string_agg(o::text, '')) FROM orders o"),
            "1|" + db.pg.psql("SELECT md5(string_agg(o::text, '')) FROM orders o"));
  EXPECT_EQ(db.pg.psql("SELECT md5(o::text) FROM orders o"), row);

  // The account record too: its row, once.
  ASSERT_EQ(store.replay(a, "bob").kind, Kind::Ok);
  db.pg.psql("UPDATE dead_letters SET status = 'PENDING' WHERE id = " + std::to_string(a));
  ASSERT_EQ(store.replay(a, "bob").kind, Kind::Ok);
  EXPECT_EQ(db.pg.psql("SELECT account_id, name, key_hash FROM accounts"), "1|alice|hash");

  EXPECT_EQ(store.get(999).kind, Kind::NotFound);
  EXPECT_EQ(store.replay(999, "bob").kind, Kind::NotFound);
}

// Two operators at once: a replay that finds the entry locked, or REPLAYING, is refused
// at once; a REPLAYING entry whose replay was cut off long ago may go again; and two
// replays racing from two connections resolve the entry once.
TEST(DeadLetterPg, TwoReplaysAtOnceApplyTheRowsOnce) {
  Database db;
  Records r;
  r.run(CreateAccount{"alice", "hash"});
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(
        db.insert(r.run(limit(1, Side::Buy, 10'000 + i, 1'000, "p-" + std::to_string(i)))));
  }
  DeadLetterStore store = db.store();

  {  // Another replay (or discard) holds the row lock.
    pqxx::connection other(db.pg.url());
    pqxx::work tx(other);
    tx.exec("SELECT 1 FROM dead_letters WHERE id = " + std::to_string(ids[0]) + " FOR UPDATE");
    const DeadLetterAnswer locked = store.replay(ids[0], "bob");
    EXPECT_EQ(locked.kind, Kind::Conflict);
    EXPECT_NE(locked.message.find("by another request now"), std::string::npos) << locked.message;
    EXPECT_EQ(store.discard(ids[0], "bob", "why").kind, Kind::Conflict);
    tx.commit();
  }
  // REPLAYING since just now (another spotd's replay in progress).
  db.pg.psql(
      "UPDATE dead_letters SET status = 'REPLAYING', last_replayed_by = 'carol', "
      "last_replayed_at = now() WHERE id = " +
      std::to_string(ids[0]));
  const DeadLetterAnswer busy = store.replay(ids[0], "bob");
  EXPECT_EQ(busy.kind, Kind::Conflict);
  EXPECT_NE(busy.message.find("being replayed by carol"), std::string::npos) << busy.message;
  EXPECT_EQ(db.pg.psql("SELECT count(*) FROM orders"), "0");
  // ... cut off two minutes ago (replay_stale_ms is one): it may go again.
  db.pg.psql("UPDATE dead_letters SET last_replayed_at = now() - interval '2 minutes' WHERE id = " +
             std::to_string(ids[0]));
  ASSERT_EQ(store.replay(ids[0], "bob").kind, Kind::Ok);

  // Racing replays of each remaining entry from two connections: one resolves it.
  for (std::size_t i = 1; i < ids.size(); ++i) {
    std::barrier start(2);
    Kind kinds[2];
    std::vector<std::thread> operators;
    for (int k = 0; k < 2; ++k) {
      operators.emplace_back([&, k] {
        DeadLetterStore own = db.store();
        own.get(ids[i]);  // connected before the race
        start.arrive_and_wait();
        kinds[k] = own.replay(ids[i], k == 0 ? "op-a" : "op-b").kind;
      });
    }
    for (auto& t : operators) t.join();
    EXPECT_EQ((kinds[0] == Kind::Ok) + (kinds[1] == Kind::Ok), 1) << "entry " << ids[i];
    EXPECT_TRUE(kinds[0] == Kind::Conflict || kinds[1] == Kind::Conflict);
    EXPECT_EQ(db.entry(ids[i], "status, replay_count"), "RESOLVED|1");
  }
  EXPECT_EQ(db.pg.psql("SELECT count(*), count(DISTINCT order_id) FROM orders"), "6|6");
}

// Replay of everything PENDING goes in journal order; an entry of an order whose
// earlier entry fails waits behind it (skipped), and cannot be replayed alone.
TEST(DeadLetterPg, ReplayOfAllGoesInJournalOrderAndAnOrderWaitsBehindItsRefusedEntry) {
  Database db;
  Records r;
  r.run(CreateAccount{"alice", "hash"});
  const DeadLetter a1 = r.run(limit(1, Side::Buy, 10'000, 1'000, "poison-a"));  // order 1
  const DeadLetter b = r.run(limit(1, Side::Buy, 10'100, 1'000, "fine-b"));     // order 2
  const DeadLetter a2 = r.run(CancelRequest{AccountId{1}, OrderId{1}});         // order 1 again
  ASSERT_EQ(a2.entity_id, 1u);
  // Inserted out of order: replay follows the journal, not the ids.
  const std::uint64_t id_a2 = db.insert(a2);
  const std::uint64_t id_b = db.insert(b);
  const std::uint64_t id_a1 = db.insert(a1);
  poison_orders(db.pg);
  DeadLetterStore store = db.store();

  DeadLetterAnswer all = store.replay_pending("alice");
  ASSERT_EQ(all.kind, Kind::Ok) << all.message;
  json s = body_of(all);
  EXPECT_EQ(s["resolved"], 1);
  EXPECT_EQ(s["failed"], 1);
  EXPECT_EQ(s["skipped"], 1);
  EXPECT_EQ(s["more"], false);
  ASSERT_EQ(s["results"].size(), 3u);
  EXPECT_EQ(s["results"][0]["id"], id_a1);
  EXPECT_EQ(s["results"][0]["result"], "FAILED");
  EXPECT_EQ(s["results"][1]["id"], id_b);
  EXPECT_EQ(s["results"][1]["result"], "RESOLVED");
  EXPECT_EQ(s["results"][2]["id"], id_a2);
  EXPECT_EQ(s["results"][2]["result"], "SKIPPED");
  const DeadLetterAnswer alone = store.replay(id_a2, "alice");
  EXPECT_EQ(alone.kind, Kind::Conflict);
  EXPECT_NE(alone.message.find("comes first"), std::string::npos) << alone.message;
  EXPECT_EQ(db.entry(id_a2, "status, attempts, replay_count"), "PENDING|1|0");

  cure_orders(db.pg);
  s = body_of(store.replay_pending("alice"));
  EXPECT_EQ(s["resolved"], 2);
  EXPECT_EQ(s["failed"], 0);
  // In order: created, then canceled.
  EXPECT_EQ(db.pg.psql("SELECT order_id, status, journal_seq FROM orders ORDER BY order_id"),
            "1|CANCELED|4\n2|NEW|3");
  s = body_of(store.replay_pending("alice"));
  EXPECT_EQ(s["resolved"], 0);

  // The limit per call is a config value.
  DeadLetterOptions small;
  small.replay_all_max = 1;
  for (int i = 0; i < 3; ++i) db.insert(r.run(limit(1, Side::Buy, 9'000 + i, 1'000)));
  DeadLetterStore limited = db.store(small);
  s = body_of(limited.replay_pending("alice"));
  EXPECT_EQ(s["resolved"], 1);
  EXPECT_EQ(s["more"], true);
}

TEST(DeadLetterPg, DiscardRecordsWhoAndWhyAndListPagesAndFilters) {
  Database db;
  Records r;
  const std::uint64_t account = db.insert(r.run(CreateAccount{"alice", "hash"}));
  std::vector<std::uint64_t> orders;
  for (int i = 0; i < 5; ++i) {
    orders.push_back(db.insert(r.run(limit(1, Side::Buy, 10'000 + i, 1'000))));
  }
  DeadLetterStore store = db.store();
  const DeadLetterAnswer d = store.discard(orders[0], "carol", "a test order, never real");
  ASSERT_EQ(d.kind, Kind::Ok) << d.message;
  json e = body_of(d);
  EXPECT_EQ(e["status"], "DISCARDED");
  EXPECT_EQ(e["note"], "a test order, never real");
  EXPECT_EQ(e["actions"].back()["action"], "discard");
  EXPECT_EQ(e["actions"].back()["by"], "carol");
  EXPECT_EQ(e["actions"].back()["detail"], "a test order, never real");
  EXPECT_FALSE(e["actions"].back()["at"].get<std::string>().empty());
  EXPECT_EQ(store.discard(orders[0], "carol", "again").kind, Kind::Conflict);
  const DeadLetterAnswer replay = store.replay(orders[0], "carol");
  EXPECT_EQ(replay.kind, Kind::Conflict);
  EXPECT_NE(replay.message.find("discarded: a test order"), std::string::npos) << replay.message;
  EXPECT_EQ(store.discard(999, "carol", "x").kind, Kind::NotFound);
  EXPECT_EQ(db.pg.psql("SELECT count(*) FROM orders"), "0");

  // Pages, oldest first, with the id to go on from.
  DeadLetterFilter f;
  f.limit = 2;
  json page = body_of(store.list(f));
  ASSERT_EQ(page["entries"].size(), 2u);
  EXPECT_EQ(page["entries"][0]["id"], account);
  EXPECT_FALSE(page["entries"][0].contains("payload"));  // in get(), not in the list
  ASSERT_FALSE(page["next"].is_null());
  f.after_id = page["next"].get<std::uint64_t>();
  page = body_of(store.list(f));
  EXPECT_EQ(page["entries"][0]["id"], orders[1]);
  f.after_id = 0;
  f.limit = 100;
  f.status = "PENDING";
  f.entity = "order";
  page = body_of(store.list(f));
  EXPECT_EQ(page["entries"].size(), 4u);
  EXPECT_TRUE(page["next"].is_null());
  f.status = "DISCARDED";
  EXPECT_EQ(body_of(store.list(f))["entries"].size(), 1u);
  f = DeadLetterFilter{};
  f.entity = "order";
  f.entity_id = 3;
  page = body_of(store.list(f));
  ASSERT_EQ(page["entries"].size(), 1u);
  EXPECT_EQ(page["entries"][0]["entityId"], 3);
  const json whole = body_of(store.get(orders[2]));
  EXPECT_EQ(whole["payload"]["orders"][0]["order_id"], 3);
  EXPECT_EQ(whole["actions"][0]["action"], "dead-lettered");
  EXPECT_EQ(whole["actions"][0]["by"], "projector");

  // The admin queries use the indexes the migration made, on a table of 20,000 entries.
  db.pg.psql(
      "INSERT INTO dead_letters (idempotency_key, journal_seq, entity, entity_id, payload, "
      "error_class, sqlstate, message, first_failed_at, last_failed_at, status) SELECT 'k' || g, "
      "g + 100, CASE WHEN g % 3 = 0 THEN 'account' ELSE 'order' END, g, '{}', '23', '23505', 'x', "
      "now() - g * interval '1 second', now(), CASE WHEN g % 100 = 0 THEN 'PENDING' ELSE "
      "'RESOLVED' END FROM generate_series(1, 20000) g");
  db.pg.psql("ANALYZE dead_letters");
  const std::string pending = db.pg.psql(
      "EXPLAIN SELECT * FROM dead_letters WHERE status = 'PENDING' ORDER BY first_failed_at");
  EXPECT_EQ(pending.find("Seq Scan"), std::string::npos) << pending;
  const std::string entity = db.pg.psql(
      "EXPLAIN SELECT * FROM dead_letters WHERE entity = 'order' AND entity_id = 77 AND "
      "status IN ('PENDING', 'REPLAYING')");
  EXPECT_EQ(entity.find("Seq Scan"), std::string::npos) << entity;
}

// --- through spotd -----------------------------------------------------------------

const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer test-admin-token"}};

HttpReply admin(const SpotdProcess& spotd, http::verb method, const std::string& target,
                const std::string& body = "") {
  return HttpClient(spotd.admin_port()).request(method, target, body, kAuth);
}

// An order the engine takes and expires at once (nothing to match at that price): it
// has no later events.
std::uint64_t submit(const SpotdProcess& spotd, const std::string& key, const std::string& client,
                     const std::string& tif = "IOC", const std::string& price = "0.01") {
  const HttpReply r = HttpClient(spotd.http_port())
                          .request(http::verb::post, "/api/v1/orders",
                                   R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT",)"
                                   R"("timeInForce":")" +
                                       tif + R"(","price":")" + price +
                                       R"(","quantity":"1.000","clientOrderId":")" + client + "\"}",
                                   {{"X-API-Key", key}});
  EXPECT_EQ(r.status, 201u) << r.body;
  return json::parse(r.body)["orderId"].get<std::uint64_t>();
}

json pending(const SpotdProcess& spotd) {
  const HttpReply r = admin(spotd, http::verb::get, "/admin/v1/dlq?status=PENDING");
  EXPECT_EQ(r.status, 200u) << r.body;
  return json::parse(r.body)["entries"];
}

// A poison order under W1 load: exactly it goes to the DLQ and everything else is in
// the tables; once the cause is gone a replay writes it once, and a second replay
// writes nothing.
TEST(DeadLetterPg, APoisonOrderUnderLoadIsTheOneDeadLetterAndAReplayWritesItOnce) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("w1");
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  poison_orders(pg);
  Load load;
  std::thread bench([&] { load = run_load(*spotd, key, 1'000, 3); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1'000));
  const std::uint64_t poison = submit(*spotd, key, "poison-1");
  bench.join();
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  // The DLQ thread moves it from the spill file into the table.
  json entries;
  for (int i = 0; i < 100 && entries.empty(); ++i) {
    entries = pending(*spotd);
    if (entries.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(entries.size(), 1u) << entries.dump();
  const json& e = entries[0];
  EXPECT_EQ(e["entity"], "order");
  EXPECT_EQ(e["entityId"], poison);
  EXPECT_EQ(e["sqlstate"], "23514");
  EXPECT_EQ(e["errorClass"], "23");
  EXPECT_FALSE(e["correlationId"].get<std::string>().empty());
  const std::uint64_t id = e["id"].get<std::uint64_t>();
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders WHERE order_id = " + std::to_string(poison)), "0");
  EXPECT_EQ(metric(*spotd, "spot_dlq_events_total{entity=\"order\",sqlstate_class=\"23\"}"), 1);
  EXPECT_EQ(readyz(*spotd)["postgres"]["breaker"], "closed");

  // Still refused: 422, PENDING, attempts 2.
  HttpReply r = admin(*spotd, http::verb::post, "/admin/v1/dlq/" + std::to_string(id) + "/replay",
                      R"({"by":"alice"})");
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_EQ(json::parse(r.body)["entry"]["attempts"], 2);
  cure_orders(pg);
  r = admin(*spotd, http::verb::post, "/admin/v1/dlq/" + std::to_string(id) + "/replay",
            R"({"by":"alice"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "RESOLVED");
  EXPECT_EQ(json::parse(r.body)["lastReplayedBy"], "alice");
  r = admin(*spotd, http::verb::post, "/admin/v1/dlq/" + std::to_string(id) + "/replay");
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders WHERE order_id = " + std::to_string(poison)), "1");
  EXPECT_EQ(metric(*spotd, "spot_dlq_replays_total{result=\"resolved\"}"), 1);
  EXPECT_EQ(metric(*spotd, "spot_dlq_replays_total{result=\"failed\"}"), 1);
  EXPECT_EQ(metric(*spotd, "spot_dlq_entries{status=\"RESOLVED\"}"), 1);
  EXPECT_EQ(metric(*spotd, "spot_dlq_entries{status=\"PENDING\"}"), 0);
  EXPECT_EQ(spotd->terminate(), 0);
  // Now the database is the journal, every row once.
  expect_database_equals_journal(pg, *spotd);
}

// Bad input to the DLQ routes: a clear error, nothing else disturbed.
TEST(DeadLetterPg, TheAdminRoutesAnswerBadInputWithAClearError) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url(), "",
                          {"--set", "dlq.page_max=10", "--set", "dlq.page_default=5", "--set",
                           "dlq.max_reason_bytes=8"});
  const auto expect = [&](http::verb method, const std::string& target, const std::string& body,
                          unsigned status, const std::string& says) {
    const HttpReply r = admin(*spotd, method, target, body);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.body;
    if (status >= 400) {
      EXPECT_TRUE(j.contains("code")) << r.body;
      EXPECT_NE(j.value("msg", "").find(says), std::string::npos) << target << ": " << r.body;
    }
  };
  using V = http::verb;
  // The table comes with the migrations the projector applies at its first connection.
  for (int i = 0; i < 200 && readyz(*spotd)["postgres"]["schemaVersion"] != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  expect(V::get, "/admin/v1/dlq?limit=11", "", 400, "limit must be between 1 and 10");
  expect(V::get, "/admin/v1/dlq?limit=0", "", 400, "limit");
  expect(V::get, "/admin/v1/dlq?status=LOST", "", 400, "status must be");
  expect(V::get, "/admin/v1/dlq?entity=user", "", 400, "entity must be");
  expect(V::get, "/admin/v1/dlq?after=-1", "", 400, "after must be");
  expect(V::get, "/admin/v1/dlq/abc", "", 400, "not a dead-letter id");
  expect(V::get, "/admin/v1/dlq/0", "", 400, "not a dead-letter id");
  expect(V::get, "/admin/v1/dlq/7", "", 404, "no dead letter 7");
  expect(V::get, "/admin/v1/dlq/7/frobnicate", "", 404, "no such admin route");
  expect(V::post, "/admin/v1/dlq/7", "", 405, "use GET");
  expect(V::get, "/admin/v1/dlq/7/replay", "", 405, "use POST");
  expect(V::post, "/admin/v1/dlq/7/replay", "{", 400, "body must be a JSON object");
  expect(V::post, "/admin/v1/dlq/7/replay", R"({"by":""})", 400, "by must be");
  expect(V::post, "/admin/v1/dlq/7/discard", "", 400, "needs a reason");
  expect(V::post, "/admin/v1/dlq/7/discard", R"({"reason":"far too long"})", 400, "longer than 8");
  expect(V::post, "/admin/v1/dlq/7/discard", R"({"reason":"ok"})", 404, "no dead letter 7");
  expect(V::post, "/admin/v1/dlq/replay?status=RESOLVED", "", 400, "only PENDING");
  expect(V::post, "/admin/v1/dlq/replay?status=PENDING", "", 200, "");
  expect(V::get, "/admin/v1/dlq", "", 200, "");
  // Without the token: 401, as every admin route.
  EXPECT_EQ(HttpClient(spotd->admin_port()).request(http::verb::get, "/admin/v1/dlq").status, 401u);
  // The trader API and the database are undisturbed.
  const std::string key = spotd->create_account("after");
  submit(*spotd, key, "fine-1");
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders"), "1");
  EXPECT_EQ(spotd->terminate(), 0);

  // Embedded: the routes say why there is no DLQ.
  SpotdProcess embedded;
  const HttpReply r = admin(embedded, http::verb::get, "/admin/v1/dlq");
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_NE(r.body.find("embedded"), std::string::npos) << r.body;
}

ExitResult spotctl(const SpotdProcess& spotd, std::vector<std::string> args) {
  std::vector<std::string> all = {SPOTCTL_PATH, "--port", std::to_string(spotd.admin_port()),
                                  "--token", spotd.admin_token()};
  all.insert(all.end(), args.begin(), args.end());
  return run_program(all);
}

TEST(DeadLetterPg, SpotctlDoesEverySubcommandAndSaysWhatWentWrong) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("ctl");
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  poison_orders(pg);
  const std::uint64_t first = submit(*spotd, key, "poison-1");
  const std::uint64_t second = submit(*spotd, key, "poison-2");
  ASSERT_GT(second, first);
  json entries;
  for (int i = 0; i < 100 && entries.size() < 2; ++i) {
    entries = pending(*spotd);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(entries.size(), 2u);
  const std::string id1 = entries[0]["id"].dump();
  const std::string id2 = entries[1]["id"].dump();
  EXPECT_EQ(entries[0]["entityId"], first);

  ExitResult r = spotctl(*spotd, {"dlq", "list"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("STATUS"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("PENDING"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("23514"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"dlq", "list", "--status", "PENDING", "--json"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(json::parse(r.output)["entries"].size(), 2u);
  r = spotctl(*spotd, {"dlq", "list", "--status", "LOST"});
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("status must be"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"dlq", "show", id1});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("poison-1"), std::string::npos) << r.output;   // the payload
  EXPECT_NE(r.output.find("no_poison"), std::string::npos) << r.output;  // the error
  r = spotctl(*spotd, {"dlq", "show", "999"});
  EXPECT_EQ(r.status, 5) << r.output;
  EXPECT_NE(r.output.find("no dead letter 999"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"dlq", "replay", id1, "--by", "alice"});
  EXPECT_EQ(r.status, 7) << r.output;  // refused again
  EXPECT_NE(r.output.find("refused the rows again"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"dlq", "discard", id2});
  EXPECT_EQ(r.status, 2) << r.output;  // no --reason
  r = spotctl(*spotd, {"dlq", "discard", id2, "--reason", "duplicate of a test order"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("discarded"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"dlq", "discard", id2, "--reason", "again"});
  EXPECT_EQ(r.status, 6) << r.output;
  cure_orders(pg);
  r = spotctl(*spotd, {"dlq", "replay", id1});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("RESOLVED"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"dlq", "replay", id1});
  EXPECT_EQ(r.status, 6) << r.output;
  EXPECT_NE(r.output.find("resolved already"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"dlq", "replay", "--all"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("resolved 0, failed 0, skipped 0"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"dlq", "replay"});
  EXPECT_EQ(r.status, 2) << r.output;
  r = spotctl(*spotd, {"account", "create", "bob"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("api key: "), std::string::npos) << r.output;
  r = spotctl(*spotd, {"health"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("ready"), std::string::npos) << r.output;
  r = spotctl(*spotd, {"health", "--json"});
  EXPECT_EQ(json::parse(r.output)["mode"], "postgres");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders WHERE order_id = " + std::to_string(first)), "1");

  // The error paths: a bad token, nobody there, bad usage.
  r = spotctl(*spotd, {"--token", "wrong", "dlq", "list"});
  EXPECT_EQ(r.status, 4) << r.output;
  EXPECT_NE(r.output.find("HTTP 401"), std::string::npos) << r.output;
  r = run_program({SPOTCTL_PATH, "--port", "1", "health"});
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("cannot reach"), std::string::npos) << r.output;
  r = run_program({SPOTCTL_PATH, "dlq", "frobnicate"});
  EXPECT_EQ(r.status, 2) << r.output;

  // Address and token from the spotd config file, and from SPOTCTL_* (which win).
  const std::string config = spotd->config_path() + ".ctl.toml";
  {
    std::ofstream out(config);
    out << "[admin]\naddress = \"127.0.0.1\"\nport = " << spotd->admin_port() << "\ntoken = \""
        << spotd->admin_token() << "\"\n";
  }
  r = run_program({SPOTCTL_PATH, "--config", config, "dlq", "list", "--json"});
  EXPECT_EQ(r.status, 0) << r.output;
  ::setenv("SPOTCTL_TOKEN", "wrong", 1);
  r = run_program({SPOTCTL_PATH, "--config", config, "dlq", "list"});
  EXPECT_EQ(r.status, 4) << r.output;
  ::setenv("SPOTCTL_TOKEN", spotd->admin_token().c_str(), 1);
  ::setenv("SPOTCTL_PORT", std::to_string(spotd->admin_port()).c_str(), 1);
  r = run_program({SPOTCTL_PATH, "dlq", "list"});
  EXPECT_EQ(r.status, 0) << r.output;
  ::unsetenv("SPOTCTL_TOKEN");
  ::unsetenv("SPOTCTL_PORT");
  EXPECT_EQ(spotd->terminate(), 0);
}

// The dead_letters table cannot be written when a record is refused (a trigger fails
// its inserts as a server shutting down would, SQLSTATE 57P03): the dead letter waits in
// the spill file under the journal directory, through the database going down and spotd
// being killed and restarted, and is in the table, once, when the database takes it.
// Until then the projector holds its checkpoint before the record (the dead letter and
// the checkpoint commit together), so the orders after it wait too.
TEST(DeadLetterFault, ADeadLetterTheTableCannotTakeWaitsInTheSpillFileAcrossARestart) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url(), "", {"--set", "dlq.spill_retry_ms=100"});
  const std::string key = spotd->create_account("spill");
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  const std::uint64_t before = db_checkpoint(pg);
  pg.psql(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
      "'the database system is shutting down' USING ERRCODE = '57P03'; END $$; "
      "CREATE TRIGGER refuse BEFORE INSERT ON dead_letters FOR EACH ROW EXECUTE FUNCTION "
      "refuse()");
  poison_orders(pg);
  const std::uint64_t poison = submit(*spotd, key, "poison-1");
  const std::uint64_t fine = submit(*spotd, key, "fine-1");
  const std::string spill = spotd->journal_dir() + "/dead-letters.spill";
  for (int i = 0; i < 200 && metric(*spotd, "spot_dlq_spill_entries") != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(metric(*spotd, "spot_dlq_spill_entries"), 1);
  EXPECT_TRUE(std::filesystem::exists(spill) || std::filesystem::exists(spill + ".draining"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM dead_letters"), "0");
  EXPECT_EQ(db_checkpoint(pg), before);  // not past the record without its dead letter

  // The database goes; spotd dies; spotd comes back while the database is still away.
  pg.stop();
  ::kill(spotd->pid(), SIGKILL);
  spotd->wait_exit(std::chrono::seconds(10));
  const std::string journal = spotd->journal_dir();
  auto second = spotd_with(pg.url(), journal, {"--set", "dlq.spill_retry_ms=100"});
  EXPECT_EQ(metric(*second, "spot_dlq_spill_entries"), 1);
  pg.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM dead_letters"), "0");  // the trigger still refuses
  pg.psql("DROP TRIGGER refuse ON dead_letters");
  wait_for_checkpoint(pg, durable_seq(*second), std::chrono::seconds(30));
  std::string in_table;
  for (int i = 0; i < 100; ++i) {
    in_table = pg.psql("SELECT entity || ':' || entity_id || ':' || status FROM dead_letters");
    if (!in_table.empty() && metric(*second, "spot_dlq_spill_entries") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(in_table, "order:" + std::to_string(poison) + ":PENDING");  // once
  EXPECT_EQ(metric(*second, "spot_dlq_spill_entries"), 0);
  EXPECT_FALSE(std::filesystem::exists(spill));
  EXPECT_FALSE(std::filesystem::exists(spill + ".draining"));
  EXPECT_EQ(pg.psql("SELECT order_id FROM orders"), std::to_string(fine));
  EXPECT_EQ(second->terminate(), 0);
}

// The poisoned order rests and trades: what later records write of it (the fill a taker
// makes, its cancel) is held behind its dead letter in journal order, across a restart,
// while the takers' rows and the trades commit. Once the cause is fixed, replaying all
// applies them in order, and the database is the journal.
TEST(DeadLetterPg, LaterEventsOfAPoisonedOrderWaitBehindItInJournalOrderAcrossARestart) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string maker = spotd->create_account("maker");
  const std::string taker = spotd->create_account("taker");
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  poison_orders(pg);
  const auto order = [&](const SpotdProcess& s, const std::string& key, const std::string& side,
                         const std::string& tif, const std::string& qty,
                         const std::string& client) {
    const HttpReply r = HttpClient(s.http_port())
                            .request(http::verb::post, "/api/v1/orders",
                                     R"({"symbol":"ETH-USDT","side":")" + side +
                                         R"(","type":"LIMIT","timeInForce":")" + tif +
                                         R"(","price":"99999.00","quantity":")" + qty +
                                         R"(","clientOrderId":")" + client + "\"}",
                                     {{"X-API-Key", key}});
    EXPECT_EQ(r.status, 201u) << r.body;
    return json::parse(r.body);
  };
  const std::uint64_t poisoned =
      order(*spotd, maker, "SELL", "GTC", "1.000", "poison-maker")["orderId"].get<std::uint64_t>();
  const json took = order(*spotd, taker, "BUY", "IOC", "0.400", "taker-1");
  ASSERT_EQ(took["fills"].size(), 1u) << took.dump();
  const std::uint64_t taker_id = took["orderId"].get<std::uint64_t>();
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  EXPECT_EQ(spotd->terminate(), 0);

  // A restart: the parked order is read back at connect; its cancel waits behind it.
  auto second = spotd_with(pg.url(), spotd->journal_dir());
  const HttpReply cancel =
      HttpClient(second->http_port())
          .request(http::verb::delete_, "/api/v1/orders/" + std::to_string(poisoned), "",
                   {{"X-API-Key", maker}});
  EXPECT_EQ(cancel.status, 200u) << cancel.body;
  order(*second, taker, "BUY", "IOC", "0.100", "taker-2");  // nothing left to take: expires
  wait_for_checkpoint(pg, durable_seq(*second), std::chrono::seconds(10));

  const std::string id = std::to_string(poisoned);
  EXPECT_EQ(pg.psql("SELECT error_class || ':' || coalesce(sqlstate, '') FROM dead_letters "
                    "WHERE entity = 'order' AND entity_id = " +
                    id + " ORDER BY journal_seq"),
            "23:23514\nparked:\nparked:");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM dead_letters"), "3");  // that order's, nothing else
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders WHERE order_id = " + id), "0");
  // The taker and the trade are rows.
  EXPECT_EQ(pg.psql("SELECT status, executed_qty FROM orders WHERE order_id = " +
                    std::to_string(taker_id)),
            "FILLED|0.40");  // ETH-USDT: lot 0.01
  EXPECT_EQ(pg.psql("SELECT count(*) FROM trades WHERE maker_order_id = " + id), "1");
  const json entries = pending(*second);
  ASSERT_EQ(entries.size(), 3u);
  // The cancel alone may not go first.
  HttpReply r =
      admin(*second, http::verb::post, "/admin/v1/dlq/" + entries[2]["id"].dump() + "/replay");
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_NE(r.body.find("comes first"), std::string::npos) << r.body;

  cure_orders(pg);
  r = admin(*second, http::verb::post, "/admin/v1/dlq/replay?status=PENDING", R"({"by":"ops"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["resolved"], 3) << r.body;
  EXPECT_EQ(pg.psql("SELECT status, executed_qty, journal_seq FROM orders WHERE order_id = " + id),
            "CANCELED|0.40|" + entries[2]["journalSeq"].dump());
  // Unparked: the order's next events (none here) and everyone else's flow as before.
  const Load load = run_load(*second, taker, 500, 1);
  EXPECT_EQ(load.errors(), 0u);
  wait_for_checkpoint(pg, durable_seq(*second), std::chrono::seconds(10));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM dead_letters WHERE status <> 'RESOLVED'"), "0");
  EXPECT_EQ(second->terminate(), 0);
  expect_database_equals_journal(pg, *second);
}

}  // namespace
}  // namespace spot::test
