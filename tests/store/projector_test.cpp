// The PostgreSQL projection against real processes: a real spotd, a real PostgreSQL 15
// (a private server per test), real load from spot-bench. Every test ends by comparing
// the database with the engine that the journal rebuilds (recovery, not the projector's
// code): the same orders in the same state, every trade once, nothing twice.
//
// Labels: `integration` (ProjectorPg.*) and `fault` (ProjectorFault.*: outages of 20 s
// and more, run one at a time).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>

#include "integration/spotd_process.h"
#include "spot/app/config.h"
#include "spot/core/decimal.h"
#include "spot/journal/file_system.h"
#include "spot/journal/reader.h"
#include "spot/journal/recovery.h"
#include "spot/store/migrations.h"
#include "spot/store/postgres.h"
#include "spot/store/projection.h"
#include "spot/store/queries.h"
#include "store/store_test_support.h"
#include "support/postgres_server.h"
#include "support/tcp_proxy.h"

#include <pqxx/pqxx>

namespace spot::test {
namespace {

namespace http = boost::beast::http;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

TEST(ProjectorPg, EveryJournaledOrderAndTradeIsARowOnceWithinTheStatementBudget) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("w1");
  const Load load = run_load(*spotd, key, 2'000, 4);
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  // The load was a steady one near its rate (8,000 requests offered; a machine busy with
  // other builds may fall behind, which only raises statements per order).
  EXPECT_GT(load.summary["acked"].get<std::uint64_t>(), 4'000u);
  const auto took = wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  std::printf("caught up %lld ms after the load\n", static_cast<long long>(took.count()));
  const double statements = metric(*spotd, "spot_db_statements_total{kind=\"write\"}");
  const double accepted = metric(*spotd, "spot_orders_accepted_total");
  std::printf("%.0f statements for %.0f accepted orders: %.4f per order\n", statements, accepted,
              statements / accepted);
  EXPECT_LE(statements / accepted, 0.02);  // the budget at steady load (PRD: 0.6)
  EXPECT_EQ(readyz(*spotd)["postgres"]["state"], "up");
  EXPECT_EQ(spotd->terminate(), 0);
  expect_database_equals_journal(pg, *spotd);
}

// The COPY path end to end: every batch with a new row goes by COPY (copy_min_rows=1),
// under W1 load and with an account whose name needs COPY's escapes. (Batches of at
// most 400 records: a projector that falls behind on a busy machine catches up in
// batches as large as batch_max_records, and this test wants many.)
TEST(ProjectorPg, BatchesByCopyWriteEveryOrderTradeAndAccountOnce) {
  PostgresServer pg;
  auto spotd =
      spotd_with(pg.url(), "",
                 {"--set", "postgres.copy_min_rows=1", "--set", "postgres.batch_max_records=400"});
  const std::string key = spotd->create_account("w1");
  // JSON for: tab, backslash, a non-ASCII letter, newline.
  spotd->create_account("odd\\tname \\\\ caf\\u00e9\\nend");
  const Load load = run_load(*spotd, key, 2'000, 3);
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  const double copies = metric(*spotd, "spot_projector_copy_batches_total");
  const double batches = metric(*spotd, "spot_projector_batch_records_count");
  std::printf("%.0f of %.0f batches by COPY\n", copies, batches);
  EXPECT_GT(copies, 10);
  const std::string expected = "odd\tname \\ caf\xc3\xa9\nend";
  std::string hex;
  for (const unsigned char c : expected) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  EXPECT_EQ(pg.psql("SELECT encode(convert_to(name, 'UTF8'), 'hex') FROM accounts "
                    "WHERE account_id = 2"),
            hex);
  EXPECT_EQ(spotd->terminate(), 0);
  expect_database_equals_journal(pg, *spotd);
}

// A COMMIT whose reply is lost: `marker` is what the batch's commit sends (the one
// statement's name, or the COPY transaction's COMMIT).
void lost_reply(const std::string& marker, std::vector<std::string> extra) {
  PostgresServer pg;
  TcpProxy proxy(pg.port());
  auto spotd = spotd_with(
      "postgresql://postgres@127.0.0.1:" + std::to_string(proxy.port()) + "/spotd", "", extra);
  const std::string key = spotd->create_account("lost-reply");
  run_load(*spotd, key, 500, 1);
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  // The next batch reaches the server and commits; its reply never comes back.
  proxy.lose_reply_after(marker);
  const Load more = run_load(*spotd, key, 500, 1, 1'000'000);
  EXPECT_EQ(more.errors(), 0u);
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(15));
  EXPECT_EQ(proxy.replies_lost(), 1);
  // The checkpoint is in the database as soon as the COMMIT is: the projector learns
  // it was committed only once it has reconnected after its back-off.
  EXPECT_TRUE(spotd->wait_for_log("the last batch was committed before the connection broke",
                                  std::chrono::seconds(30)))
      << spotd->log();
  EXPECT_EQ(spotd->terminate(), 0);
  expect_database_equals_journal(pg, *spotd);
}

TEST(ProjectorPg, ACommitWhoseReplyIsLostIsNotWrittenTwice) { lost_reply("write_batch", {}); }

// The same through the COPY transaction: its COMMIT's reply is lost; the rows it copied
// are not copied again (which would also fail on their primary keys).
TEST(ProjectorPg, ACopyBatchWhoseCommitReplyIsLostIsNotWrittenTwice) {
  lost_reply("COMMIT", {"--set", "postgres.copy_min_rows=1"});
}

TEST(ProjectorPg, ARestartWhileBehindResumesFromTheCheckpoint) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("behind");
  run_load(*spotd, key, 500, 1);
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  const std::uint64_t before = db_checkpoint(pg);
  // The database goes away; orders go on; spotd stops (SIGTERM: its drain cannot reach
  // the database) and later crashes (SIGKILL), each time behind.
  pg.stop();
  const Load during = run_load(*spotd, key, 500, 1, 1'000'000);
  EXPECT_EQ(during.errors(), 0u) << "order entry must not depend on the database";
  EXPECT_EQ(spotd->terminate(), 0);
  const std::string journal = spotd->journal_dir();
  pg.start();
  EXPECT_EQ(db_checkpoint(pg), before);
  auto second = spotd_with(pg.url(), journal);
  wait_for_checkpoint(pg, durable_seq(*second), std::chrono::seconds(10));
  pg.stop();
  run_load(*second, key, 500, 1, 2'000'000);
  ::kill(second->pid(), SIGKILL);
  second->wait_exit(std::chrono::seconds(10));
  pg.start();
  auto third = spotd_with(pg.url(), journal);
  wait_for_checkpoint(pg, durable_seq(*third), std::chrono::seconds(10));
  EXPECT_EQ(third->terminate(), 0);
  expect_database_equals_journal(pg, *third);
}

// SIGTERM: spotd answers what is in flight, then projects what is durable before it
// exits (postgres.drain_timeout_ms).
TEST(ProjectorPg, SigtermProjectsWhatIsDurableBeforeExiting) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url(), "", {"--set", "postgres.flush_ms=2000"});
  const std::string key = spotd->create_account("drain");
  run_load(*spotd, key, 2'000, 1);
  EXPECT_EQ(spotd->terminate(), 0);  // at once: a flush of 2 s has not come yet
  EXPECT_NE(spotd->log().find("projector stopped"), std::string::npos);
  expect_database_equals_journal(pg, *spotd);
}

// A second spotd on the same database (another journal) never applies the migrations
// again and never projects into it: the first one holds the projector lock. It still
// takes orders, and says why the database is not its.
TEST(ProjectorPg, ASecondSpotdOnTheSameDatabaseSaysSoAndTakesOrders) {
  PostgresServer pg;
  auto first = spotd_with(pg.url());
  const std::string key = first->create_account("first");
  run_load(*first, key, 500, 1);
  auto second = spotd_with(pg.url());
  const std::string other = second->create_account("second");
  const Load load = run_load(*second, other, 500, 1);
  EXPECT_EQ(load.errors(), 0u);
  // Order entry is ready; the projector says why it does not project. (Between its
  // attempts lastError may be another one's, such as a ping that a busy machine did not
  // answer in time: it is looked at until it names the other spotd.)
  json r = readyz(*second);
  EXPECT_EQ(r["status"], "ready");
  const auto names_the_other = [&] {
    r = readyz(*second);
    return r["postgres"]["lastError"].get<std::string>().find("another spotd is projecting") !=
           std::string::npos;
  };
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool named = false;
  while (!(named = names_the_other()) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(named) << r.dump();
  EXPECT_EQ(pg.psql("SELECT count(*) FROM schema_version"), std::to_string(migrations().size()));
  EXPECT_EQ(second->terminate(), 0);
  wait_for_checkpoint(pg, durable_seq(*first), std::chrono::seconds(10));
  EXPECT_EQ(first->terminate(), 0);
  expect_database_equals_journal(pg, *first);
}

// The projector's connection breaks behind a middlebox: the server still sees a live
// client (the proxy answers its keepalives) and the session keeps the projector lock.
// The projector's call passes its deadline, it reconnects, finds its own lock held by
// its own orphaned session, ends that session and goes on; nothing twice. (Another
// spotd's session is never ended: ASecondSpotdOnTheSameDatabaseSaysSoAndTakesOrders.)
TEST(ProjectorPg, ItsOwnOrphanedSessionIsEndedAndTheLockTaken) {
  PostgresServer pg;
  TcpProxy proxy(pg.port());
  auto spotd =
      spotd_with("postgresql://postgres@127.0.0.1:" + std::to_string(proxy.port()) + "/spotd", "",
                 {"--set", "postgres.call_deadline_ms=1000"});
  const std::string key = spotd->create_account("orphan");
  run_load(*spotd, key, 500, 1);
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  const std::string session = pg.psql(
      "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE "
      "'spotd projector %'");
  EXPECT_EQ(session.rfind("spotd projector ", 0), 0u) << session;
  proxy.abandon_open_links();
  const Load more = run_load(*spotd, key, 500, 1, 1'000'000);
  EXPECT_EQ(more.errors(), 0u);
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(15));
  EXPECT_TRUE(
      spotd->wait_for_log("ended its own orphaned PostgreSQL session", std::chrono::seconds(1)))
      << spotd->log();
  EXPECT_EQ(spotd->terminate(), 0);
  expect_database_equals_journal(pg, *spotd);
}

// The client-side deadline: a call to a frozen server returns (failed, timed out) once
// its deadline passes, instead of hanging the thread; the cheap ping says the server
// does not answer; after SIGCONT both work again.
TEST(ProjectorPg, ACallToAFrozenServerEndsAtItsDeadline) {
  PostgresServer pg;
  PostgresOptions options;
  options.url = pg.url();
  options.call_deadline_ms = 1'000;
  PgSession session(options);
  ASSERT_TRUE(session.connect().ok());
  EXPECT_TRUE(session.ping());
  // By name too: localhost is ::1 first, where this server does not listen; the ping
  // tries every address, as libpq does.
  PostgresOptions by_name = options;
  by_name.url = "postgresql://postgres@localhost:" + std::to_string(pg.port()) + "/spotd";
  EXPECT_TRUE(PgSession(by_name).ping());
  PostgresOptions nobody = options;
  nobody.url = "postgresql://postgres@127.0.0.1:1/spotd";
  EXPECT_FALSE(PgSession(nobody).ping());
  pg.freeze();
  const auto t0 = Clock::now();
  const DbError e = session.run([](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec("SELECT 1");
  });
  const auto took = Clock::now() - t0;
  EXPECT_EQ(e.kind, DbErrorKind::Availability);
  EXPECT_TRUE(e.timed_out) << e.message;
  EXPECT_EQ(e.error_class(), "timeout");
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_FALSE(session.connected());  // the connection was dropped
  EXPECT_FALSE(session.ping());
  pg.thaw();
  EXPECT_TRUE(session.ping());
  ASSERT_TRUE(session.connect().ok());
  std::string one;
  EXPECT_TRUE(session
                  .run([&](pqxx::connection& c) {
                    pqxx::nontransaction tx(c);
                    one = tx.exec("SELECT 1")[0][0].as<std::string>();
                  })
                  .ok());
  EXPECT_EQ(one, "1");
  // A statement error keeps the connection; its SQLSTATE says what it was.
  const DbError bad = session.run([](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec("SELECT 1/0");
  });
  EXPECT_EQ(bad.kind, DbErrorKind::Data);
  EXPECT_EQ(bad.sqlstate, "22012");
  EXPECT_TRUE(session.connected());
}

// An IOC limit order of 1.000 BTC at 100.00 with an optional clientOrderId, accepted.
void ioc_order(HttpClient& c, const std::string& key, const std::string& side,
               const std::string& client_id) {
  std::string body = R"({"symbol":"BTC-USDT","side":")" + side +
                     R"(","type":"LIMIT","timeInForce":"IOC","price":"100.00","quantity":"1.000")";
  if (!client_id.empty()) body += R"(,"clientOrderId":")" + client_id + "\"";
  const HttpReply r =
      c.request(http::verb::post, "/api/v1/orders", body + "}", {{"X-API-Key", key}});
  EXPECT_EQ(r.status, 201u) << r.body;
}

// A record PostgreSQL refuses for good (a data error, SQLSTATE 23) is set aside on its
// own and everything around it commits. The engine forgets finished orders beyond
// engine.order_history and, with engine.idempotency_window = 0, their keys too, so it
// accepts a clientOrderId again that the database, which forgets nothing, holds as
// unique: the poison record. (With a window, the key is refused for as long as the
// window holds it, and accepted again past it: the same record, just later.)
// `refused_by`: what the log says refused the record first (the statement or the COPY).
void poison_record(std::vector<std::string> extra, const std::string& refused_by) {
  PostgresServer pg;
  extra.insert(extra.end(),
               {"--set", "engine.order_history=2", "--set", "engine.idempotency_window=0"});
  auto spotd = spotd_with(pg.url(), "", extra);
  const std::string key = spotd->create_account("poison");
  HttpClient c(spotd->http_port());
  const auto order = [&](const std::string& side, const std::string& client_id) {
    ioc_order(c, key, side, client_id);
  };
  order("BUY", "dup");  // expires at once (nothing to match): finished
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  for (int i = 0; i < 3; ++i) order("BUY", "");  // the engine forgets "dup"
  order("SELL", "dup");                          // accepted again by the engine
  for (int i = 0; i < 3; ++i) order("SELL", "");
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  EXPECT_EQ(metric(*spotd, "spot_db_dead_letters_total"), 1);
  EXPECT_NE(spotd->log().find("PostgreSQL refused a journal record"), std::string::npos);
  EXPECT_NE(spotd->log().find(refused_by), std::string::npos) << spotd->log();
  // The seven other orders are rows; the refused one is not; the breaker never moved.
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders"), "7");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders WHERE client_order_id = 'dup'"), "1");
  EXPECT_EQ(readyz(*spotd)["postgres"]["breaker"], "closed");
  EXPECT_EQ(metric(*spotd, "spot_circuit_breaker_state{dependency=\"postgres\"}"), 0);
  EXPECT_EQ(spotd->terminate(), 0);
}

// One correlation id per request, followed everywhere it goes: the response header, the
// log lines of the request, the journal record, the orders and trades rows, and the
// dead letter of a record the database refused.
TEST(ProjectorPg, ACorrelationIdGoesFromTheRequestToEveryRowAndLogLine) {
  PostgresServer pg;
  auto spotd = spotd_with(
      pg.url(), "", {"--set", "engine.order_history=2", "--set", "engine.idempotency_window=0"});
  const std::string key = spotd->create_account("corr");
  HttpClient c(spotd->http_port());
  const auto post = [&](const std::string& body, const std::string& id, unsigned status) {
    HttpReply r = c.request(http::verb::post, "/api/v1/orders", body,
                            {{"X-API-Key", key}, {"X-Request-ID", id}});
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers["X-Request-ID"], id);
    return r;
  };
  const auto limit = [](const std::string& side, const std::string& tif, const std::string& cid) {
    return R"({"symbol":"BTC-USDT","side":")" + side + R"(","type":"LIMIT","timeInForce":")" + tif +
           R"(","price":"100.00","quantity":"1.000")" +
           (cid.empty() ? "" : R"(,"clientOrderId":")" + cid + "\"") + "}";
  };
  post(limit("SELL", "GTC", ""), "corr-maker", 201);
  post(limit("BUY", "GTC", ""), "corr-taker", 201);  // trades with the maker
  post(R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","price":"0.001","quantity":"1"})",
       "corr-bad", 400);
  // The poison record (see poison_record below): "dup" again once the engine forgot it.
  post(limit("BUY", "IOC", "dup"), "corr-dup-1", 201);
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  for (int i = 0; i < 3; ++i)
    post(limit("BUY", "IOC", ""), "corr-filler-" + std::to_string(i), 201);
  post(limit("SELL", "IOC", "dup"), "corr-dup-2", 201);
  // Over TCP the id is tcp-<session>-<the client's token>; the session's login line says
  // which account it is. A SELL at 200.00 that rests.
  TcpClient tcp(spotd->tcp_port());
  ASSERT_TRUE(tcp.login(key));
  std::string enter;
  proto::tcp::encode(
      proto::tcp::EnterOrder{{{}, 0, Side::Sell, OrderType::Limit, TimeInForce::Gtc, 20'000, 1'000},
                             77},
      enter);
  tcp.send(enter);
  const auto accepted = tcp.receive_non_heartbeat();
  ASSERT_TRUE(accepted.has_value());
  proto::tcp::Accepted ack;
  ASSERT_TRUE(proto::tcp::decode(accepted->frame(), ack));
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));

  EXPECT_EQ(pg.psql("SELECT correlation_id FROM orders WHERE order_id = 1"), "corr-maker");
  EXPECT_EQ(pg.psql("SELECT correlation_id FROM orders WHERE order_id = 2"), "corr-taker");
  EXPECT_EQ(pg.psql("SELECT correlation_id FROM trades"), "corr-taker");
  EXPECT_EQ(pg.psql("SELECT correlation_id FROM dead_letters"), "corr-dup-2");
  // Log lines: JSON with the id in correlation_id (the reject, the dead letter).
  const std::string log = spotd->log();
  std::string tcp_id;
  if (const std::size_t at = log.find(R"("msg":"tcp login")"); at != std::string::npos) {
    const std::size_t start = log.rfind('\n', at) + 1;
    const json line = json::parse(log.substr(start, log.find('\n', at) - start));
    tcp_id = line["correlation_id"].get<std::string>() + "-77";
    EXPECT_EQ(line["correlation_id"], "tcp-" + line["fields"]["session"].get<std::string>());
    EXPECT_NE(line["fields"]["account"], "");
  }
  ASSERT_FALSE(tcp_id.empty()) << log;
  EXPECT_EQ(
      pg.psql("SELECT correlation_id FROM orders WHERE order_id = " + std::to_string(ack.order_id)),
      tcp_id);
  for (const char* id : {"corr-bad", "corr-dup-2"}) {
    const std::size_t at = log.find(std::string(R"("correlation_id":")") + id + "\"");
    ASSERT_NE(at, std::string::npos) << id << "\n" << log;
    const std::size_t start = log.rfind('\n', at) + 1;
    const json line = json::parse(log.substr(start, log.find('\n', at) - start));
    EXPECT_TRUE(line.contains("ts") && line.contains("level") && line.contains("msg") &&
                line.contains("component") && line["fields"].is_object())
        << line;
  }
  // The journal records carry the ids of the requests that wrote them (read while
  // spotd runs: at its stop it snapshots, and the segments behind the snapshot go).
  std::map<std::string, int> seen;
  PosixFileSystem fs;
  JournalReader reader(fs, spotd->journal_dir(), 1);
  const Status read =
      reader.read_until(durable_seq(*spotd), [&](const JournalRecord& r) { ++seen[r.request_id]; });
  ASSERT_TRUE(read.ok()) << read.to_string();
  for (const char* id : {"corr-maker", "corr-taker", "corr-dup-1", "corr-dup-2"}) {
    EXPECT_EQ(seen[id], 1) << id;
  }
  EXPECT_EQ(seen[tcp_id], 1) << tcp_id;
  EXPECT_EQ(seen["corr-bad"], 0);  // a reject changes nothing: no record
  EXPECT_EQ(spotd->terminate(), 0);
}

TEST(ProjectorPg, ARecordTheDatabaseRefusesIsSetAsideAndEverythingElseCommits) {
  poison_record({}, "duplicate key value");
}

// The refused record in a batch that goes by COPY: the COPY fails on the unique index,
// the transaction rolls back (checkpoint included), and the record is isolated and set
// aside as in the one-statement path.
TEST(ProjectorPg, ARecordRefusedInACopyBatchIsSetAsideAndEverythingElseCommits) {
  poison_record({"--set", "postgres.copy_min_rows=1"}, "COPY orders");
}

// The same refusal met while catching up a backlog in full batches, so that the next
// batch is being read ahead (on the second thread) when the database refuses this one:
// what was read ahead is dropped, the refused record is isolated and set aside, and
// every other record commits once.
TEST(ProjectorPg, ARecordRefusedWhileTheNextBatchIsReadAheadIsSetAsideAlone) {
  PostgresServer pg;
  auto spotd =
      spotd_with(pg.url(), "",
                 {"--set", "engine.order_history=2", "--set", "engine.idempotency_window=0",
                  "--set", "postgres.batch_max_records=40"});
  const std::string key = spotd->create_account("ahead");
  HttpClient c(spotd->http_port());
  const auto order = [&](const std::string& side, const std::string& client_id) {
    ioc_order(c, key, side, client_id);
  };
  order("BUY", "dup");
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  // A backlog of 401 records with the refused one in the middle.
  pg.stop();
  for (int i = 0; i < 200; ++i) order("BUY", "");
  order("SELL", "dup");
  for (int i = 0; i < 200; ++i) order("SELL", "");
  pg.start();
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(20));
  EXPECT_EQ(metric(*spotd, "spot_db_dead_letters_total"), 1);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders"), "401");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders WHERE client_order_id = 'dup'"), "1");
  EXPECT_EQ(pg.psql("SELECT count(DISTINCT order_id) FROM orders"), "401");
  EXPECT_EQ(spotd->terminate(), 0);
}

// A record the server cannot write within statement_timeout on any attempt (a trigger
// sleeps on it): once a call has spent its retries on it, the batch is treated as
// refused and split in halves, and that record alone becomes a dead letter with SQLSTATE
// 57014; everything else commits, in a handful of transactions rather than one per
// record. (The breaker is kept out of it: it would only add its open waits.)
TEST(ProjectorPg, ARecordThatTimesOutOnEveryAttemptIsSetAsideAlone) {
  PostgresServer pg;
  auto spotd = spotd_with(
      pg.url(), "",
      {"--set", "postgres.statement_timeout_ms=300", "--set", "postgres.retries_per_call=1",
       "--set", "postgres.breaker_window_calls=1000", "--set", "postgres.breaker_min_calls=1000"});
  const std::string key = spotd->create_account("slow");
  HttpClient c(spotd->http_port());
  ioc_order(c, key, "BUY", "");
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  pg.psql(
      "CREATE FUNCTION slow_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF "
      "NEW.client_order_id = 'slow' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$");
  pg.psql(
      "CREATE TRIGGER slow_order BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE "
      "FUNCTION slow_order()");
  // A backlog of 601 orders, the slow one in the middle.
  pg.stop();
  for (int i = 0; i < 300; ++i) ioc_order(c, key, "BUY", "");
  ioc_order(c, key, "SELL", "slow");
  for (int i = 0; i < 300; ++i) ioc_order(c, key, "SELL", "");
  pg.start();
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(60));
  EXPECT_EQ(metric(*spotd, "spot_db_dead_letters_total"), 1);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders"), "601");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders WHERE client_order_id = 'slow'"), "0");
  EXPECT_EQ(pg.psql("SELECT sqlstate || ' ' || entity FROM dead_letters"), "57014 order");
  const std::string log = spotd->log();
  std::size_t splits = 0;
  for (std::size_t at = log.find("splitting it"); at != std::string::npos;
       at = log.find("splitting it", at + 1)) {
    ++splits;
  }
  // Each halving that keeps the refused record costs at most two refusals (the doubled
  // batch after a committed half, then its half again): about 2 log2(600) at most.
  EXPECT_GE(splits, 1u);
  EXPECT_LE(splits, 21u) << "a batch of about 600 records needs at most about 2 log2(600) splits";
  EXPECT_EQ(spotd->terminate(), 0);
}

// Every query the code issues, and the reads back office runs, use an index on tables
// of 200,000 rows: EXPLAIN shows no sequential scan of orders, trades or accounts.
TEST(ProjectorPg, EveryQueryUsesAnIndexOver100000Rows) {
  PostgresServer pg;
  PostgresOptions options;
  options.url = pg.url();
  PgSession session(options);
  ASSERT_TRUE(session.connect().ok());
  MigrationResult migrated;
  const DbError error = apply_migrations(session, &migrated);
  ASSERT_TRUE(error.ok()) << error.message;
  constexpr int kRows = 200'000;
  pg.psql(
      "INSERT INTO accounts SELECT g, 'a' || g, md5(g::text), NULL, now() "
      "FROM generate_series(1, 2000) g");
  pg.psql(
      "INSERT INTO orders SELECT g, g % 2000 + 1, 'SYM-' || g % 8, "
      "CASE WHEN g % 2 = 0 THEN 'BUY' ELSE 'SELL' END, 'LIMIT', 'GTC', 100 + g % 50, 1, "
      "CASE WHEN g % 10 = 0 THEN 0 ELSE 1 END, "
      "CASE WHEN g % 10 = 0 THEN 'NEW' ELSE 'FILLED' END, "
      "CASE WHEN g % 2 = 0 THEN 'c-' || g END, 'corr', g, "
      "now() - (" +
      std::to_string(kRows) +
      " - g) * interval '1 second', now() "
      "FROM generate_series(1, " +
      std::to_string(kRows) + ") g");
  pg.psql(
      "INSERT INTO trades SELECT g, 'SYM-' || g % 8, 100, 1, g, g % 2000 + 1, g + 1, "
      "(g + 7) % 2000 + 1, 'BUY', 'corr', g, "
      "now() - (" +
      std::to_string(kRows) +
      " - g) * interval '1 second' "
      "FROM generate_series(1, " +
      std::to_string(kRows) + ") g");
  // Ledger rows: 5 a record, over 2,000 accounts and 4 assets; a balance per pair.
  pg.psql(
      "INSERT INTO ledger SELECT g / 5, g % 5, g % 2000 + 1, 'A' || g % 4, 1, 0, 'DEPOSIT', 0, 0, "
      "'ref-' || g, 'corr', now() FROM generate_series(1, " +
      std::to_string(kRows) + ") g");
  pg.psql(
      "INSERT INTO balances SELECT a, 'A' || s, 1, 0, 1, now() "
      "FROM generate_series(1, 2000) a, generate_series(0, 3) s");
  pg.psql("ANALYZE");

  pqxx::connection c(pg.url());
  pqxx::nontransaction tx(c);
  const auto plan = [&](std::string_view query, const std::vector<std::string>& params) {
    std::string text;
    for (const auto& row : tx.exec_params("EXPLAIN " + std::string(query),
                                          pqxx::prepare::make_dynamic_params(params))) {
      text += row[0].as<std::string>() + "\n";
    }
    return text;
  };
  const auto expect_no_seq_scan = [](std::string_view name, const std::string& text) {
    for (const char* table : {"Seq Scan on orders", "Seq Scan on trades", "Seq Scan on accounts",
                              "Seq Scan on ledger", "Seq Scan on balances"}) {
      EXPECT_EQ(text.find(table), std::string::npos) << name << ":\n" << text;
    }
    std::printf("-- %.*s\n%s", static_cast<int>(name.size()), name.data(), text.c_str());
  };

  const std::string from = "2000-01-01", to = "2100-01-01";
  // A report's window: the last hour of a symbol (a few hundred of its 25,000 rows).
  const std::string hour_ago = pg.psql("SELECT (now() - interval '1 hour')::text");
  const std::string now = pg.psql("SELECT now()::text");
  const std::map<std::string_view, std::vector<std::string>> params = {
      {"order by id", {"123456"}},
      {"order by client id", {"17", "c-15016"}},
      {"open orders", {"17"}},
      {"account orders", {"17", "SYM-1", from, to, "500"}},
      {"symbol orders", {"SYM-3", hour_ago, now}},
      {"order trades", {"4242"}},
      {"symbol trades", {"SYM-3", hour_ago, now}},
      {"account trades", {"17", "SYM-1", "100", "500"}},
      {"read order", {"123456"}},
      {"read account orders from", {"17", "SYM-1", "946684800000000", "4102444800000000", "500"}},
      {"read account orders newest", {"17", "SYM-1", "946684800000000", "4102444800000000", "500"}},
      {"read account trades from", {"17", "SYM-1", "100", "500"}},
      {"read account trades newest", {"17", "SYM-1", "0", "500"}},
      {"account ledger", {"17", "A1", "100"}},
      {"account ledger all assets", {"17", "100"}},
      {"read account ledger asset", {"17", "A1", "100"}},
      {"read account ledger", {"17", "", "100"}}};
  for (const sql::NamedQuery& q : sql::read_queries()) {
    expect_no_seq_scan(q.name, plan(q.text, params.at(q.name)));
  }

  // The projector's own statements: the checkpoint, and a batch of 500 new orders, 500
  // fills of earlier ones, 500 trades and an account.
  expect_no_seq_scan("read checkpoint", plan(sql::kReadCheckpoint, {}));
  std::vector<OrderRow> orders(500);
  std::vector<OrderFillRow> fills(500);
  std::vector<TradeRow> trades(500);
  std::vector<AccountRow> accounts(1);
  std::vector<LedgerRow> ledger(2'000);
  std::vector<BalanceRow> balances(1'000);
  for (std::size_t i = 0; i < ledger.size(); ++i) {
    ledger[i].journal_seq = kRows + 1 + i / 4;
    ledger[i].n = static_cast<std::uint32_t>(i % 4);
    ledger[i].account_id = 1 + i % 2000;
  }
  for (std::size_t i = 0; i < balances.size(); ++i) {
    balances[i].account_id = 1 + i;
    balances[i].asset = 0;  // the one asset of SymbolSpec{}
  }
  for (std::size_t i = 0; i < 500; ++i) {
    orders[i].order_id = kRows + 1 + i;
    orders[i].qty = 1;
    fills[i].order_id = 1 + i * 397;
    trades[i].trade_id = kRows + 1 + i;
    trades[i].qty = 1;
  }
  accounts[0].account_id = 2001;
  const SymbolTable symbols({SymbolSpec{}});
  std::vector<std::string> batch = {std::to_string(kRows + 1), std::to_string(kRows)};
  for (auto&& columns : {order_params(orders, symbols), fill_params(fills, symbols),
                         trade_params(trades, symbols), account_params(accounts),
                         ledger_params(ledger, symbols), balance_params(balances, symbols)}) {
    batch.insert(batch.end(), columns.begin(), columns.end());
  }
  expect_no_seq_scan("write batch", plan(sql::kWriteBatch, batch));
  // The COPY transaction's statements besides COPY: the guard, and the orders of earlier
  // batches (500 changed orders, 500 fills).
  for (std::size_t i = 0; i < 500; ++i) orders[i].order_id = 1 + i * 389;
  expect_no_seq_scan("move checkpoint", plan(sql::kMoveCheckpoint,
                                             {std::to_string(kRows + 1), std::to_string(kRows)}));
  std::vector<std::string> changes = order_params(orders, symbols);
  for (auto&& column : fill_params(fills, symbols)) changes.push_back(column);
  for (auto&& column : balance_params(balances, symbols)) changes.push_back(column);
  expect_no_seq_scan("write changes", plan(sql::kWriteChanges, changes));
}

// What a 20-second outage looks like from outside, under steady load: no client error,
// the breaker opens and closes by itself, and rows flow again within 5 s of the
// database accepting connections.
void outage_under_load(bool freeze) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("outage");
  Load load;
  std::thread bench([&] { load = run_load(*spotd, key, 1'000, 30); });
  std::this_thread::sleep_for(std::chrono::seconds(4));
  if (freeze) {
    pg.freeze();
  } else {
    pg.stop();
  }
  bool saw_open = false;
  const auto outage_start = Clock::now();
  const auto outage_end = outage_start + std::chrono::seconds(20);
  std::size_t log_mark = std::string::npos;  // the log's length 8 s into the outage
  while (Clock::now() < outage_end) {
    if (log_mark == std::string::npos && Clock::now() - outage_start > std::chrono::seconds(8)) {
      log_mark = spotd->log().size();
    }
    // The admin API answers at once: nothing waits on the database.
    const auto t0 = Clock::now();
    const json r = readyz(*spotd);
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
    EXPECT_EQ(r["status"], "ready");
    saw_open = saw_open || r["postgres"]["breaker"] == "open";
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(saw_open) << "the breaker never opened during the outage";
  // An outage is never silent in the log: in its last 12 s the failing calls are still
  // reported (a new error as "postgres call failed", the same one again as "postgres
  // call still failing", at most every 5 s).
  EXPECT_NE(spotd->log().find("postgres call", log_mark), std::string::npos) << spotd->log();
  // The backlog is reported: records and age.
  const json during = readyz(*spotd)["postgres"];
  EXPECT_GT(during["lagEvents"].get<std::uint64_t>(), 1'000u) << during.dump();
  EXPECT_GT(during["lagSeconds"].get<double>(), 10.0) << during.dump();
  EXPECT_GT(metric(*spotd, "spot_projector_lag_seconds"), 10.0);
  const std::uint64_t target = durable_seq(*spotd);
  if (freeze) {
    pg.thaw();
  } else {
    pg.start();  // returns once the server accepts connections
  }
  const auto resumed = wait_for_checkpoint(pg, target, std::chrono::seconds(15));
  std::printf("rows caught up with the outage backlog %lld ms after the database was back\n",
              static_cast<long long>(resumed.count()));
  EXPECT_LT(resumed, std::chrono::seconds(5));
  bench.join();
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  EXPECT_EQ(readyz(*spotd)["postgres"]["breaker"], "closed");
  EXPECT_EQ(spotd->terminate(), 0);
  expect_database_equals_journal(pg, *spotd);
}

TEST(ProjectorFault, PostgresStoppedFor20SecondsUnderLoad) { outage_under_load(false); }

TEST(ProjectorFault, PostgresFrozenFor20SecondsUnderLoad) { outage_under_load(true); }

TEST(ProjectorFault, AFlappingDatabaseLosesNothing) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("flapping");
  Load load;
  std::thread bench([&] { load = run_load(*spotd, key, 1'000, 32); });
  std::mt19937_64 rng(seed());
  // Up and down every 2 s for 30 s; each time down either stopped or crashed.
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    if (rng() % 2 == 0) {
      pg.stop();
    } else {
      pg.kill_hard();
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    pg.start();
  }
  bench.join();
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  const auto took = wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(30));
  std::printf("caught up %lld ms after the last start\n", static_cast<long long>(took.count()));
  EXPECT_EQ(spotd->terminate(), 0);
  expect_database_equals_journal(pg, *spotd);
}

}  // namespace
}  // namespace spot::test
