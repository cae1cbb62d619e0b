// Traders' own Binance clients, unmodified, against a real spotd with a private
// PostgreSQL (allOrders and myTrades read from it): ccxt's binance class and Binance's
// @binance/connector, installed from npm into a scratch directory by each test at the
// pinned versions (CCXT_VERSION, BINANCE_CONNECTOR_VERSION). An npm install that fails
// fails the test: nothing here skips.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "spot/proto/binance.h"
#include "spotd_process.h"
#include "support/postgres_server.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;

struct Account {
  std::string key;
  std::string secret;
};

class BinanceClients : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  // Installs the clients (unless `install` is false), starts PostgreSQL and spotd (with
  // `extra` --set pairs), makes two accounts.
  void start(const std::vector<std::string>& extra, bool install = true) {
    char dir[] = "/tmp/spotd-binance-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    if (install) {
      const ExitResult npm =
          run_program({NPM_PATH, "install", "--no-audit", "--no-fund", "--prefix", dir_,
                       std::string("ccxt@") + CCXT_VERSION,
                       std::string("@binance/connector@") + BINANCE_CONNECTOR_VERSION});
      ASSERT_EQ(npm.status, 0) << "npm install failed:\n" << npm.output;
    }
    // The server key sealing API secrets, as scripts/run makes it (mode 600).
    const std::string key_file = dir_ + "/secret.key";
    std::ofstream(key_file) << std::string(64, 'a') << "\n";
    std::filesystem::permissions(
        key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    pg_ = std::make_unique<PostgresServer>();
    std::vector<std::string> args = {
        "--set", "postgres.url=" + pg_->url(),     "--set", "postgres.flush_ms=20",
        "--set", "postgres.drain_timeout_ms=3000", "--set", "auth.secret_key_file=" + key_file};
    for (const std::string& pair : extra) {
      args.push_back("--set");
      args.push_back(pair);
    }
    spotd_ = std::make_unique<SpotdProcess>(args);
    maker_ = account("maker");
    taker_ = account("taker");
  }
  void TearDown() override {
    spotd_.reset();
    pg_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  Account account(const std::string& name) {
    HttpClient admin(spotd_->admin_port());
    const auto reply =
        admin.request(http::verb::post, "/admin/v1/accounts", "{\"name\":\"" + name + "\"}",
                      {{"Authorization", "Bearer " + spotd_->admin_token()}});
    EXPECT_EQ(reply.status, 201u) << reply.body;
    spotd_->fund(std::stoull(json_field(reply.body, "accountId")));
    return Account{json_field(reply.body, "apiKey"), json_field(reply.body, "apiSecret")};
  }

  // Runs tests/integration/binance/<script> with node; its output, and whether it
  // passed.
  ExitResult run(const std::string& script) {
    return run_program({"/usr/bin/env", "NODE_PATH=" + dir_ + "/node_modules",
                        "SPOT_URL=http://127.0.0.1:" + std::to_string(spotd_->http_port()),
                        "SPOT_KEY=" + maker_.key, "SPOT_SECRET=" + maker_.secret,
                        "SPOT_KEY2=" + taker_.key, "SPOT_SECRET2=" + taker_.secret, SPOT_NODE_BIN,
                        std::string(BINANCE_SCRIPTS_DIR) + "/" + script});
  }

  std::string dir_;
  std::unique_ptr<PostgresServer> pg_;
  std::unique_ptr<SpotdProcess> spotd_;
  Account maker_;
  Account taker_;
};

TEST_F(BinanceClients, CcxtTradesAndMapsErrors) {
  ASSERT_FALSE(maker_.secret.empty());
  const ExitResult r = run("ccxt_client.js");
  EXPECT_EQ(r.status, 0) << r.output << "\n--- spotd log\n" << spotd_->log();
  for (const char* check :
       {"loadMarkets", "createOrder limit", "fetchOrderBook", "fetchTicker", "fetchOrder",
        "createOrder market", "fetchOpenOrders", "cancelOrder", "fetchMyTrades", "fetchTrades",
        "fetchTicker after trades", "fetchTickers", "OrderNotFound", "AuthenticationError",
        "InvalidNonce", "BadSymbol"}) {
    EXPECT_NE(r.output.find(std::string("ok ") + check + "\n"), std::string::npos) << check;
  }
}

TEST_F(BinanceClients, BinanceConnectorTrades) {
  ASSERT_FALSE(maker_.secret.empty());
  const ExitResult r = run("connector_client.js");
  EXPECT_EQ(r.status, 0) << r.output << "\n--- spotd log\n" << spotd_->log();
  for (const char* check :
       {"ping time", "exchangeInfo", "newOrder LIMIT FULL", "newOrder ACK",
        "newOrder MARKET RESULT", "getOrder by origClientOrderId", "bookTicker depth",
        "openOrders account", "cancelOrder cancelOpenOrders", "myTrades allOrders", "errors"}) {
    EXPECT_NE(r.output.find(std::string("ok ") + check + "\n"), std::string::npos) << check;
  }
}

// The signed-request checks over raw HTTP, in Binance's order and with its statuses.
class BinanceSigned : public BinanceClients {
 protected:
  void SetUp() override { start({}, false); }
  HttpReply call(http::verb verb, const std::string& path, const std::string& query,
                 const std::string& body, const std::string& key) {
    std::map<std::string, std::string> h;
    if (!key.empty()) h["X-MBX-APIKEY"] = key;
    if (!body.empty()) h["Content-Type"] = "application/x-www-form-urlencoded";
    return HttpClient(spotd_->http_port())
        .request(verb, path + (query.empty() ? "" : "?" + query), body, h);
  }
  static std::string now_ms() {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  }
  static std::string signed_query(const std::string& params, const std::string& secret) {
    return params + "&signature=" + proto::binance::sign(secret, params);
  }
};

void expect_error(const HttpReply& r, unsigned status, int code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(json_field(r.body, "code"), std::to_string(code)) << r.body;
  EXPECT_FALSE(json_field(r.body, "msg").empty()) << r.body;
}

TEST_F(BinanceSigned, ChecksInOrderWithBinanceStatuses) {
  const std::string q = "timestamp=" + now_ms();
  const std::string path = "/api/v3/account";
  expect_error(call(http::verb::get, path, signed_query(q, maker_.secret), "", ""), 401, -2014);
  expect_error(call(http::verb::get, path, signed_query(q, maker_.secret), "", "no-such-key"), 401,
               -2015);
  expect_error(call(http::verb::get, path, q, "", maker_.key), 400, -1102);
  expect_error(call(http::verb::get, path, signed_query(q, taker_.secret), "", maker_.key), 400,
               -1022);
  expect_error(
      call(http::verb::get, path, signed_query("timestamp=1000", maker_.secret), "", maker_.key),
      400, -1021);
  expect_error(call(http::verb::get, path, signed_query(q + "&recvWindow=60001", maker_.secret), "",
                    maker_.key),
               400, -1131);
  expect_error(call(http::verb::get, path, "timestamp=1&timestamp=2", "", maker_.key), 400, -1101);
  const HttpReply ok = call(http::verb::get, path,
                            signed_query(q + "&recvWindow=60000", maker_.secret), "", maker_.key);
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(json_field(ok.body, "code"), "");
  EXPECT_EQ(json_field(ok.body, "msg"), "");
  // The fixture's deposits (SpotdProcess::fund), in Binance's shape.
  EXPECT_EQ(json_field(ok.body, "balances"),
            R"([{"asset":"BTC","free":"100000.00000000","locked":"0.00000000"},)"
            R"({"asset":"USDT","free":"100000000.00000000","locked":"0.00000000"},)"
            R"({"asset":"ETH","free":"100000.00000000","locked":"0.00000000"}])");
}

TEST_F(BinanceSigned, OrdersBySignedFormBodyQueryOrBoth) {
  const std::string order =
      "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=100";
  // All in the body, signature last.
  std::string body = order + "&newClientOrderId=f-1&timestamp=" + now_ms();
  HttpReply r =
      call(http::verb::post, "/api/v3/order", "", signed_query(body, maker_.secret), maker_.key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json_field(r.body, "clientOrderId"), "f-1");
  EXPECT_EQ(json_field(r.body, "status"), "NEW");
  // Query and body: totalParams is the two joined with nothing between; a signature over
  // them joined with '&' is refused.
  const std::string query = "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC";
  body = "quantity=2&price=101&timestamp=" + now_ms();
  r = call(http::verb::post, "/api/v3/order",
           query + "&signature=" + proto::binance::sign(maker_.secret, query + "&" + body), body,
           maker_.key);
  expect_error(r, 400, -1022);
  r = call(http::verb::post, "/api/v3/order",
           query + "&signature=" + proto::binance::sign(maker_.secret, query + body), body,
           maker_.key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json_field(r.body, "origQty"), "2.000");
  // order/test: checked, not placed.
  r = call(http::verb::post, "/api/v3/order/test", "",
           signed_query(order + "&timestamp=" + now_ms(), maker_.secret), maker_.key);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, "{}");
  r = call(http::verb::get, "/api/v3/openOrders",
           signed_query("symbol=BTCUSDT&timestamp=" + now_ms(), maker_.secret), "", maker_.key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body).size(), 2u);
  // Bad input is a Binance error and disturbs nothing.
  const std::string off_grid =
      "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=1.001&timestamp=";
  expect_error(call(http::verb::post, "/api/v3/order", "",
                    signed_query(off_grid + now_ms(), maker_.secret), maker_.key),
               400, -1013);
  // A MARKET BUY by quote amount: 10 USDT buys 0.100 at 100.00 (the taker's own ask).
  const std::string by_quote = "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=10&timestamp=";
  r = call(http::verb::post, "/api/v3/order", "", signed_query(by_quote + now_ms(), taker_.secret),
           taker_.key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json_field(r.body, "executedQty"), "0.100");
  EXPECT_EQ(json_field(r.body, "status"), "FILLED");
  EXPECT_EQ(json_field(r.body, "origQuoteOrderQty"), "10.00000000");
  // Post-only over the ask is refused as Binance refuses a crossing LIMIT_MAKER.
  const std::string crossing =
      "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=1&price=100&timestamp=";
  expect_error(call(http::verb::post, "/api/v3/order", "",
                    signed_query(crossing + now_ms(), taker_.secret), taker_.key),
               400, -2010);
  expect_error(call(http::verb::get, "/api/v3/depth", "symbol=NOPE", "", ""), 400, -1121);
  expect_error(call(http::verb::get, "/api/v3/depth", "", "", ""), 400, -1102);
  expect_error(call(http::verb::get, "/api/v3/nothing", "", "", ""), 404, -1100);
  expect_error(call(http::verb::put, "/api/v3/order", "", "", ""), 405, -1100);
  // Three book changes: two asks came to rest, the quoteOrderQty buy traded.
  r = call(http::verb::get, "/api/v3/depth", "symbol=BTCUSDT&limit=5", "", "");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body,
            R"({"asks":[["100.00","0.900"],["101.00","2.000"]],"bids":[],"lastUpdateId":3})");
  // /api/v1 beside it is untouched.
  EXPECT_EQ(HttpClient(spotd_->http_port())
                .request(http::verb::get, "/api/v1/depth?symbol=BTC-USDT")
                .status,
            200u);
}

class BinanceClientsRateLimited : public BinanceClients {
 protected:
  void SetUp() override {
    start({"limits.burst_per_account=2", "limits.orders_per_second_per_account=0.001"});
  }
};

TEST_F(BinanceClientsRateLimited, CcxtRaisesRateLimitExceededOn429) {
  const ExitResult r = run("ccxt_rate_limit.js");
  EXPECT_EQ(r.status, 0) << r.output << "\n--- spotd log\n" << spotd_->log();
  EXPECT_NE(r.output.find("ok RateLimitExceeded"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace spot::test
