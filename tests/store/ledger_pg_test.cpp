// Money in PostgreSQL: after deposits, trades with fees, cancels, a market buy by
// quoteOrderQty and withdrawals, the balances table equals the engine's balances for
// every account and asset, each balance is the sum of its ledger rows, the trades carry
// each side's fee, and projecting the same journal again writes nothing twice. Against
// a real spotd and a private PostgreSQL.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/spotd_process.h"
#include "store/store_test_support.h"
#include "support/postgres_server.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;
using json = nlohmann::json;

// A third symbol with fees (the harness's two have none), first so that it is symbol 0:
// SOL has 8 decimals, USDT 8; one lot is 0.01 SOL, one tick 0.01 USDT.
const char* kFeeSymbol = R"(
[[symbols]]
name = "SOL-USDT"
tick_size = "0.01"
lot_size = "0.01"
maker_fee_bps = 10
taker_fee_bps = 25
)";

std::unique_ptr<SpotdProcess> spotd_with_fees(const PostgresServer& pg,
                                              const std::string& journal = "") {
  return std::make_unique<SpotdProcess>(
      std::vector<std::string>{"--set", "postgres.url=" + pg.url(), "--set", "postgres.flush_ms=50",
                               "--set", "postgres.drain_timeout_ms=3000"},
      kFeeSymbol, journal);
}

HttpReply admin(const SpotdProcess& spotd, http::verb method, const std::string& target,
                const std::string& body = "") {
  return HttpClient(spotd.admin_port())
      .request(method, target, body, {{"Authorization", "Bearer " + spotd.admin_token()}});
}

std::uint64_t new_account(const SpotdProcess& spotd, const std::string& name, std::string* key) {
  const HttpReply r =
      admin(spotd, http::verb::post, "/admin/v1/accounts", R"({"name":")" + name + R"("})");
  EXPECT_EQ(r.status, 201u) << r.body;
  const json j = json::parse(r.body);
  *key = j["apiKey"].get<std::string>();
  return j["accountId"].get<std::uint64_t>();
}

json order(const SpotdProcess& spotd, const std::string& key, const json& body,
           unsigned want = 201) {
  const HttpReply r =
      HttpClient(spotd.http_port())
          .request(http::verb::post, "/api/v1/orders", body.dump(), {{"X-API-Key", key}});
  EXPECT_EQ(r.status, want) << body.dump() << " -> " << r.body;
  return json::parse(r.body);
}

json limit(const std::string& side, const std::string& price, const std::string& qty,
           const std::string& tif = "GTC") {
  return json{{"symbol", "SOL-USDT"}, {"side", side},   {"type", "LIMIT"},
              {"timeInForce", tif},   {"price", price}, {"quantity", qty}};
}

void transfer(const SpotdProcess& spotd, std::uint64_t account, const std::string& kind,
              const std::string& asset, const std::string& amount, const std::string& reference,
              unsigned want) {
  const HttpReply r =
      admin(spotd, http::verb::post, "/admin/v1/accounts/" + std::to_string(account) + "/" + kind,
            json{{"asset", asset}, {"amount", amount}, {"reference", reference}}.dump());
  EXPECT_EQ(r.status, want) << kind << " " << amount << " " << asset << ": " << r.body;
}

// (account, asset) -> "free|locked" as the engine reports them, for accounts 0..last.
std::map<std::pair<std::uint64_t, std::string>, std::string> engine_balances(
    const SpotdProcess& spotd, std::uint64_t last) {
  std::map<std::pair<std::uint64_t, std::string>, std::string> out;
  for (std::uint64_t a = 0; a <= last; ++a) {
    const HttpReply r =
        admin(spotd, http::verb::get, "/admin/v1/accounts/" + std::to_string(a) + "/balances");
    EXPECT_EQ(r.status, 200u) << r.body;
    const json reply = json::parse(r.body);
    for (const json& b : reply["balances"]) {
      out[{a, b["asset"].get<std::string>()}] =
          b["free"].get<std::string>() + "|" + b["locked"].get<std::string>();
    }
  }
  return out;
}

// The same from the balances table; an absent row is a zero balance.
std::map<std::pair<std::uint64_t, std::string>, std::string> database_balances(
    const PostgresServer& pg,
    const std::map<std::pair<std::uint64_t, std::string>, std::string>& like) {
  std::map<std::pair<std::uint64_t, std::string>, std::string> out;
  for (const auto& [key, value] : like) out[key] = "0.00000000|0.00000000";
  for (const std::string& line :
       split(pg.psql("SELECT account_id, asset, free, locked FROM balances"), '\n')) {
    if (line.empty()) continue;
    const auto f = split(line, '|');
    out[{std::stoull(f[0]), f[1]}] = f[2] + "|" + f[3];
  }
  return out;
}

TEST(ProjectorPg, BalancesAndLedgerEqualTheEngineAndAreWrittenOnce) {
  PostgresServer pg;
  auto spotd = spotd_with_fees(pg);
  std::string maker_key, taker_key, third_key;
  const std::uint64_t maker = new_account(*spotd, "maker", &maker_key);
  const std::uint64_t taker = new_account(*spotd, "taker", &taker_key);
  const std::uint64_t third = new_account(*spotd, "third", &third_key);
  transfer(*spotd, maker, "deposits", "SOL", "100", "dep-maker-sol", 201);
  transfer(*spotd, maker, "deposits", "USDT", "50", "dep-maker-usdt", 201);
  transfer(*spotd, taker, "deposits", "USDT", "10000.5", "dep-taker-usdt", 201);
  transfer(*spotd, third, "deposits", "SOL", "3.33", "dep-third-sol", 201);
  transfer(*spotd, taker, "deposits", "USDT", "10000.5", "dep-taker-usdt", 200);  // a repeat

  // The maker's asks: 10 SOL at 20.00, 10 at 21.00, 10 at 22.00.
  order(*spotd, maker_key, limit("SELL", "20.00", "10"));
  order(*spotd, maker_key, limit("SELL", "21.00", "10"));
  const std::uint64_t resting = order(*spotd, maker_key, limit("SELL", "22.00", "10"))["orderId"];
  // The taker buys 15 with a limit of 21.50: 10 at 20.00 and 5 at 21.00, and the
  // difference to its limit is released at once.
  const json bought = order(*spotd, taker_key, limit("BUY", "21.50", "15"));
  EXPECT_EQ(bought["status"], "FILLED");
  ASSERT_EQ(bought["fills"].size(), 2u);
  // 25 bps of 10 SOL received, in SOL.
  EXPECT_EQ(bought["fills"][0]["commission"], "0.02500000");
  EXPECT_EQ(bought["fills"][0]["commissionAsset"], "SOL");
  // A market buy by an amount of USDT: 50.00 buys 2.38 SOL at 21.00.
  const json by_quote = order(
      *spotd, taker_key,
      json{{"symbol", "SOL-USDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quoteOrderQty", "50"}});
  EXPECT_EQ(by_quote["executedQty"], "2.38");
  // The taker sells back into a bid of the third account: the seller's fee is in USDT.
  transfer(*spotd, third, "deposits", "USDT", "100", "dep-third-usdt", 201);
  order(*spotd, third_key, limit("BUY", "19.00", "4"));
  const json sold =
      order(*spotd, taker_key,
            json{{"symbol", "SOL-USDT"}, {"side", "SELL"}, {"type", "MARKET"}, {"quantity", "3"}});
  EXPECT_EQ(sold["status"], "FILLED");
  EXPECT_EQ(sold["fills"][0]["commissionAsset"], "USDT");
  EXPECT_EQ(sold["fills"][0]["commission"], "0.14250000");  // 25 bps of 57.00
  // A cancel releases what the order still locks; withdrawals, one refused.
  const HttpReply canceled =
      HttpClient(spotd->http_port())
          .request(http::verb::delete_, "/api/v1/orders/" + std::to_string(resting), "",
                   {{"X-API-Key", maker_key}});
  EXPECT_EQ(canceled.status, 200u) << canceled.body;
  transfer(*spotd, taker, "withdrawals", "SOL", "1.5", "wd-taker-sol", 201);
  transfer(*spotd, third, "withdrawals", "SOL", "1000", "wd-third-too-much", 400);
  transfer(*spotd, maker, "withdrawals", "USDT", "100", "wd-maker-usdt", 201);

  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(20));
  const auto engine = engine_balances(*spotd, third);
  EXPECT_EQ(database_balances(pg, engine), engine);
  // The fee account holds what the fills reported.
  EXPECT_NE(engine.at({0, "SOL"}), "0.00000000|0.00000000");
  EXPECT_NE(engine.at({0, "USDT"}), "0.00000000|0.00000000");

  // Each balance is the sum of its ledger rows, and every row of the balances table has
  // its ledger (and no ledger without a row).
  const std::string sums =
      "SELECT account_id, asset, sum(delta_free) AS free, sum(delta_locked) AS locked "
      "FROM ledger GROUP BY account_id, asset";
  EXPECT_EQ(pg.psql("SELECT count(*) FROM balances b FULL JOIN (" + sums +
                    ") l USING (account_id, asset) WHERE b.free IS DISTINCT FROM l.free OR "
                    "b.locked IS DISTINCT FROM l.locked"),
            "0");
  // The causes a run like this makes, and the references of the transfers.
  EXPECT_EQ(pg.psql("SELECT string_agg(DISTINCT cause, ',' ORDER BY cause) FROM ledger"),
            "DEPOSIT,FEE,LOCK,RELEASE,TRADE_CREDIT,TRADE_DEBIT,WITHDRAWAL");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM ledger WHERE reference = 'dep-taker-usdt'"), "1");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM ledger WHERE reference = 'wd-third-too-much'"), "0");
  // The trades carry each side's fee; the fee account's income is their sum.
  EXPECT_EQ(pg.psql("SELECT sum(CASE WHEN taker_side = 'BUY' THEN taker_fee ELSE maker_fee END) "
                    "= (SELECT free FROM balances WHERE account_id = 0 AND asset = 'SOL') "
                    "FROM trades WHERE symbol = 'SOL-USDT'"),
            "t");
  EXPECT_EQ(pg.psql("SELECT sum(CASE WHEN taker_side = 'SELL' THEN taker_fee ELSE maker_fee END) "
                    "= (SELECT free FROM balances WHERE account_id = 0 AND asset = 'USDT') "
                    "FROM trades WHERE symbol = 'SOL-USDT'"),
            "t");
  // myTrades, read from PostgreSQL, reports the fee of the account's side.
  const HttpReply mine = HttpClient(spotd->http_port())
                             .request(http::verb::get, "/api/v1/myTrades?symbol=SOL-USDT", "",
                                      {{"X-API-Key", maker_key}});
  ASSERT_EQ(mine.status, 200u) << mine.body;
  const json trades = json::parse(mine.body);
  ASSERT_EQ(trades.size(), 3u) << mine.body;
  EXPECT_EQ(trades[0]["commission"], "0.20000000");  // 10 bps of 200.00 USDT
  EXPECT_EQ(trades[0]["commissionAsset"], "USDT");

  // The back office read: newest first, by asset, bounded.
  HttpReply r = admin(*spotd, http::verb::get,
                      "/admin/v1/accounts/" + std::to_string(taker) + "/ledger?asset=SOL&limit=2");
  ASSERT_EQ(r.status, 200u) << r.body;
  json ledger = json::parse(r.body);
  ASSERT_EQ(ledger["entries"].size(), 2u) << r.body;
  EXPECT_EQ(ledger["entries"][0]["cause"], "WITHDRAWAL");
  EXPECT_EQ(ledger["entries"][0]["deltaFree"], "-1.50000000");
  EXPECT_EQ(ledger["entries"][0]["reference"], "wd-taker-sol");
  EXPECT_GT(ledger["entries"][0]["journalSeq"].get<std::uint64_t>(),
            ledger["entries"][1]["journalSeq"].get<std::uint64_t>());
  r = admin(*spotd, http::verb::get, "/admin/v1/accounts/" + std::to_string(taker) + "/ledger");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["entries"].size(),
            std::stoull(pg.psql("SELECT count(*) FROM ledger WHERE account_id = " +
                                std::to_string(taker))));
  EXPECT_EQ(admin(*spotd, http::verb::get, "/admin/v1/accounts/2/ledger?limit=0").status, 400u);
  EXPECT_EQ(admin(*spotd, http::verb::get, "/admin/v1/accounts/2/ledger?limit=1001").status, 400u);
  EXPECT_EQ(admin(*spotd, http::verb::get, "/admin/v1/accounts/2/ledger?asset=DOGE").status, 400u);
  EXPECT_EQ(admin(*spotd, http::verb::post, "/admin/v1/accounts/2/ledger").status, 405u);
  const ExitResult ctl = run_program({SPOTCTL_PATH, "--port", std::to_string(spotd->admin_port()),
                                      "--token", spotd->admin_token(), "account", "ledger",
                                      std::to_string(taker), "--asset", "SOL", "--limit", "3"});
  EXPECT_EQ(ctl.status, 0) << ctl.output;
  EXPECT_NE(ctl.output.find("WITHDRAWAL"), std::string::npos) << ctl.output;
  EXPECT_NE(ctl.output.find("wd-taker-sol"), std::string::npos) << ctl.output;

  // Projecting the same journal again, from an earlier checkpoint, writes nothing twice.
  const std::string ledger_rows = pg.psql("SELECT count(*), sum(delta_free) FROM ledger");
  const std::string balance_rows = pg.psql(
      "SELECT string_agg(account_id || asset || free || locked, ',' ORDER BY "
      "account_id, asset) FROM balances");
  const std::string trade_rows =
      pg.psql("SELECT count(*), sum(maker_fee), sum(taker_fee) FROM trades");
  const std::uint64_t end = db_checkpoint(pg);
  const std::string journal = spotd->journal_dir();
  ASSERT_EQ(spotd->terminate(), 0);
  pg.psql("UPDATE projector_checkpoint SET last_seq = " + std::to_string(end / 3));
  // (The first process keeps its directory, the journal's, while it exists.)
  auto again = spotd_with_fees(pg, journal);
  wait_for_checkpoint(pg, durable_seq(*again), std::chrono::seconds(20));
  EXPECT_GE(db_checkpoint(pg), end);
  EXPECT_EQ(pg.psql("SELECT count(*), sum(delta_free) FROM ledger"), ledger_rows);
  EXPECT_EQ(pg.psql("SELECT string_agg(account_id || asset || free || locked, ',' ORDER BY "
                    "account_id, asset) FROM balances"),
            balance_rows);
  EXPECT_EQ(pg.psql("SELECT count(*), sum(maker_fee), sum(taker_fee) FROM trades"), trade_rows);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM dead_letters"), "0");
  EXPECT_EQ(database_balances(pg, engine), engine_balances(*again, third));
  EXPECT_EQ(again->terminate(), 0);
}

}  // namespace
}  // namespace spot::test
