// Traders' own Binance clients, unmodified, against a real spotd with a private
// PostgreSQL (allOrders and myTrades read from it): ccxt's binance class and Binance's
// @binance/connector, installed from npm into a scratch directory by each test at the
// pinned versions (CCXT_VERSION, BINANCE_CONNECTOR_VERSION). An npm install that fails
// fails the test: nothing here skips.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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
  void SetUp() override {
    char dir[] = "/tmp/spotd-binance-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    const ExitResult npm =
        run_program({NPM_PATH, "install", "--no-audit", "--no-fund", "--prefix", dir_,
                     std::string("ccxt@") + CCXT_VERSION,
                     std::string("@binance/connector@") + BINANCE_CONNECTOR_VERSION});
    ASSERT_EQ(npm.status, 0) << "npm install failed:\n" << npm.output;
    // The server key sealing API secrets, as scripts/run makes it (mode 600).
    const std::string key_file = dir_ + "/secret.key";
    std::ofstream(key_file) << std::string(64, 'a') << "\n";
    std::filesystem::permissions(
        key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    pg_ = std::make_unique<PostgresServer>();
    spotd_ = std::make_unique<SpotdProcess>(std::vector<std::string>{
        "--set", "postgres.url=" + pg_->url(), "--set", "postgres.flush_ms=20", "--set",
        "postgres.drain_timeout_ms=3000", "--set", "auth.secret_key_file=" + key_file});
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
        "createOrder market", "fetchOpenOrders", "cancelOrder", "fetchMyTrades", "OrderNotFound",
        "AuthenticationError", "InvalidNonce", "BadSymbol"}) {
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

}  // namespace
}  // namespace spot::test
