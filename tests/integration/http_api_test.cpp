// The trader HTTP API of a real spotd, over real sockets: every endpoint, ownership,
// idempotency, and every error path, each leaving other connections undisturbed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "spotd_process.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;

std::string order_body(const std::string& side, const std::string& qty, const std::string& price,
                       const std::string& extra = "") {
  return R"({"symbol":"BTC-USDT","side":")" + side +
         R"(","type":"LIMIT","timeInForce":"GTC","quantity":")" + qty + R"(","price":")" + price +
         "\"" + extra + "}";
}

class HttpApi : public ::testing::Test {
 protected:
  void SetUp() override {
    spotd_ = std::make_unique<SpotdProcess>();
    alice_ = spotd_->create_account("alice");
    bob_ = spotd_->create_account("bob");
  }
  HttpReply post(const std::string& key, const std::string& body, const std::string& rid = "") {
    std::map<std::string, std::string> h = {{"X-API-Key", key}};
    if (!rid.empty()) h["X-Request-ID"] = rid;
    return HttpClient(spotd_->http_port()).request(http::verb::post, "/api/v1/orders", body, h);
  }
  HttpReply call(http::verb verb, const std::string& target, const std::string& key = "") {
    std::map<std::string, std::string> h;
    if (!key.empty()) h["X-API-Key"] = key;
    return HttpClient(spotd_->http_port()).request(verb, target, "", h);
  }
  std::unique_ptr<SpotdProcess> spotd_;
  std::string alice_;
  std::string bob_;
};

TEST_F(HttpApi, PlaceQueryMatchAndCancel) {
  const auto placed =
      post(alice_, order_body("SELL", "1.5", "100.25", R"(,"clientOrderId":"a-1")"));
  ASSERT_EQ(placed.status, 201u) << placed.body;
  EXPECT_EQ(json_field(placed.body, "status"), "NEW");
  EXPECT_EQ(json_field(placed.body, "price"), "100.25");
  EXPECT_EQ(json_field(placed.body, "origQty"), "1.500");
  EXPECT_EQ(json_field(placed.body, "clientOrderId"), "a-1");
  const std::string id = json_field(placed.body, "orderId");

  const auto taker = post(bob_, order_body("BUY", "0.5", "101"));
  ASSERT_EQ(taker.status, 201u) << taker.body;
  EXPECT_EQ(json_field(taker.body, "status"), "FILLED");
  EXPECT_NE(
      taker.body.find(
          R"("fills":[{"commission":"0.00000000","commissionAsset":"BTC","price":"100.25","qty":"0.500","tradeId":1}])"),
      std::string::npos)
      << taker.body;

  const auto got = call(http::verb::get, "/api/v1/orders/" + id, alice_);
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(json_field(got.body, "status"), "PARTIALLY_FILLED");
  EXPECT_EQ(json_field(got.body, "executedQty"), "0.500");

  const auto open = call(http::verb::get, "/api/v1/openOrders?symbol=BTC-USDT", alice_);
  ASSERT_EQ(open.status, 200u);
  EXPECT_NE(open.body.find("\"orderId\":" + id), std::string::npos);
  EXPECT_EQ(call(http::verb::get, "/api/v1/openOrders", bob_).body, "[]");

  const auto depth = call(http::verb::get, "/api/v1/depth?symbol=BTC-USDT&limit=5");
  ASSERT_EQ(depth.status, 200u);
  EXPECT_EQ(depth.body, R"({"asks":[["100.25","1.000"]],"bids":[],"symbol":"BTC-USDT"})");

  const auto canceled = call(http::verb::delete_, "/api/v1/orders/" + id, alice_);
  ASSERT_EQ(canceled.status, 200u) << canceled.body;
  EXPECT_EQ(json_field(canceled.body, "status"), "CANCELED");
  const auto again = call(http::verb::delete_, "/api/v1/orders/" + id, alice_);
  EXPECT_EQ(again.status, 404u);
  EXPECT_EQ(json_field(again.body, "code"), "-2011");
  EXPECT_EQ(call(http::verb::get, "/api/v1/depth?symbol=BTC-USDT").body,
            R"({"asks":[],"bids":[],"symbol":"BTC-USDT"})");
}

TEST_F(HttpApi, MarketIocAndFokOrders) {
  ASSERT_EQ(post(alice_, order_body("SELL", "1", "100")).status, 201u);
  const auto market =
      post(bob_, R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","quantity":"2"})");
  ASSERT_EQ(market.status, 201u) << market.body;
  EXPECT_EQ(json_field(market.body, "status"), "EXPIRED");
  EXPECT_EQ(json_field(market.body, "executedQty"), "1.000");
  EXPECT_EQ(json_field(market.body, "timeInForce"), "IOC");
  ASSERT_EQ(post(alice_, order_body("SELL", "1", "100")).status, 201u);
  const auto fok = post(
      bob_,
      R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"FOK","quantity":"2","price":"100"})");
  EXPECT_EQ(json_field(fok.body, "status"), "EXPIRED");
  EXPECT_EQ(json_field(fok.body, "executedQty"), "0.000");
}

TEST_F(HttpApi, AccountsSeeOnlyTheirOwnOrders) {
  const auto placed = post(alice_, order_body("BUY", "1", "99"));
  const std::string id = json_field(placed.body, "orderId");
  const auto peek = call(http::verb::get, "/api/v1/orders/" + id, bob_);
  EXPECT_EQ(peek.status, 404u);  // 404, not 403: no hint that the id exists
  EXPECT_EQ(json_field(peek.body, "code"), "-2013");
  EXPECT_EQ(call(http::verb::delete_, "/api/v1/orders/" + id, bob_).status, 404u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/orders/" + id, alice_).status, 200u);
  EXPECT_EQ(json_field(call(http::verb::get, "/api/v1/orders/" + id, alice_).body, "status"),
            "NEW");
}

TEST_F(HttpApi, ClientOrderIdIsIdempotentPerAccount) {
  const std::string body = order_body("BUY", "1", "99", R"(,"clientOrderId":"same")");
  const auto first = post(alice_, body);
  const auto second = post(alice_, body);
  ASSERT_EQ(first.status, 201u);
  EXPECT_EQ(second.status, 200u);
  EXPECT_EQ(json_field(first.body, "orderId"), json_field(second.body, "orderId"));
  const auto other = post(bob_, body);
  EXPECT_EQ(other.status, 201u);
  EXPECT_NE(json_field(other.body, "orderId"), json_field(first.body, "orderId"));
  const auto open = call(http::verb::get, "/api/v1/openOrders", alice_);
  EXPECT_EQ(std::count(open.body.begin(), open.body.end(), '{'), 1) << open.body;
}

struct BadOrder {
  const char* name;
  std::string body;
  unsigned status;
  int code;
};

TEST_F(HttpApi, BadOrdersGetClearErrors) {
  const std::vector<BadOrder> cases = {
      {"not json", "{oops", 400, -1100},
      {"array", "[1,2]", 400, -1100},
      {"missing symbol", R"({"side":"BUY","type":"LIMIT","quantity":"1","price":"1"})", 400, -1102},
      {"unknown symbol",
       R"({"symbol":"NOPE","side":"BUY","type":"LIMIT","quantity":"1","price":"1"})", 400, -1121},
      {"bad side", R"({"symbol":"BTC-USDT","side":"UP","type":"LIMIT","quantity":"1","price":"1"})",
       400, -1117},
      {"bad type", R"({"symbol":"BTC-USDT","side":"BUY","type":"STOP","quantity":"1","price":"1"})",
       400, -1116},
      {"bad tif",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"DAY","quantity":"1","price":"1"})",
       400, -1115},
      {"price off grid", order_body("BUY", "1", "100.001"), 400, -1013},
      {"price too high", order_body("BUY", "1", "1000000.01"), 400, -1013},
      {"qty off grid", order_body("BUY", "1.0001", "100"), 400, -1013},
      {"qty zero", order_body("BUY", "0", "100"), 400, -1013},
      {"qty too large", order_body("BUY", "1000.001", "100"), 400, -1013},
      {"qty as number",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","quantity":1,"price":"1"})", 400, -1102},
      {"negative price", order_body("BUY", "1", "-5"), 400, -1013},
      {"market gtc",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","timeInForce":"GTC","quantity":"1"})",
       400, -1116},
      {"bad client id", order_body("BUY", "1", "100", R"(,"clientOrderId":"has space")"), 400,
       -1100},
  };
  for (const BadOrder& c : cases) {
    const auto r = post(alice_, c.body);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(json_field(r.body, "code"), std::to_string(c.code)) << c.name << ": " << r.body;
    EXPECT_FALSE(json_field(r.body, "msg").empty()) << c.name;
  }
  // Nothing reached a book.
  EXPECT_EQ(call(http::verb::get, "/api/v1/depth?symbol=BTC-USDT").body,
            R"({"asks":[],"bids":[],"symbol":"BTC-USDT"})");
}

TEST_F(HttpApi, AuthenticationAndRouting) {
  EXPECT_EQ(post("", order_body("BUY", "1", "1")).status, 401u);
  EXPECT_EQ(post("not-a-key", order_body("BUY", "1", "1")).status, 401u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/openOrders").status, 401u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/orders/1").status, 401u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/orders/abc", alice_).status, 400u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/orders/999", alice_).status, 404u);
  EXPECT_EQ(call(http::verb::get, "/nope").status, 404u);
  EXPECT_EQ(call(http::verb::put, "/api/v1/orders").status, 405u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/depth?symbol=NOPE").status, 400u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/depth?symbol=BTC-USDT&limit=0").status, 400u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/openOrders?symbol=NOPE", alice_).status, 400u);
  const auto info = call(http::verb::get, "/api/v1/exchangeInfo");
  ASSERT_EQ(info.status, 200u);
  EXPECT_NE(info.body.find(R"("symbol":"ETH-USDT")"), std::string::npos);
  EXPECT_NE(info.body.find(R"("tickSize":"0.05")"), std::string::npos);
}

TEST_F(HttpApi, CorrelationIdsAreEchoedAndLogged) {
  auto mine = post(alice_, order_body("BUY", "1", "100.001"), "trace-42");
  EXPECT_EQ(mine.headers["X-Request-ID"], "trace-42");
  auto insane = post(alice_, order_body("BUY", "1", "1"), "bad id with spaces");
  EXPECT_NE(insane.headers["X-Request-ID"], "bad id with spaces");
  EXPECT_EQ(insane.headers["X-Request-ID"].size(), 24u);
  auto none = call(http::verb::get, "/api/v1/exchangeInfo");
  EXPECT_EQ(none.headers["X-Request-ID"].size(), 24u);
  // The rejected order's log line carries the id, as JSON.
  const std::string log = spotd_->log();
  const auto at = log.find(R"("correlation_id":"trace-42")");
  ASSERT_NE(at, std::string::npos) << log;
  const auto line_start = log.rfind('\n', at) + 1;
  EXPECT_EQ(log.substr(line_start, 7), R"({"ts":")");
}

// Replies that are ready together go out in one write; one that closes the connection
// is the last thing written, and requests pipelined after it are not answered.
TEST_F(HttpApi, PipelinedRequestAskingToCloseIsTheLastOneAnswered) {
  HttpClient client(spotd_->http_port());
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    const std::string body = order_body("BUY", "1", "90");
    bytes +=
        "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nX-API-Key: " + alice_ + "\r\nX-Request-ID: c" +
        std::to_string(i) + (i == 2 ? "\r\nConnection: close" : "") +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
  }
  auto replies = client.pipeline(bytes, 3);
  ASSERT_EQ(replies.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(replies[static_cast<std::size_t>(i)].headers["X-Request-ID"],
              "c" + std::to_string(i));
    EXPECT_EQ(replies[static_cast<std::size_t>(i)].status, 201u);
  }
  EXPECT_TRUE(client.closed_by_server(std::chrono::seconds(2)));
}

TEST_F(HttpApi, PipelinedRequestsAnswerInOrder) {
  HttpClient client(spotd_->http_port());
  std::string bytes;
  for (int i = 0; i < 20; ++i) {
    const std::string body = order_body(i % 2 ? "BUY" : "SELL", "1", i % 2 ? "99" : "101");
    bytes +=
        "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nX-API-Key: " + alice_ + "\r\nX-Request-ID: p" +
        std::to_string(i) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    if (i == 10) bytes += "GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-ID: p-err\r\n\r\n";
  }
  auto replies = client.pipeline(bytes, 21);
  std::size_t k = 0;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(replies[k].headers["X-Request-ID"], "p" + std::to_string(i));
    EXPECT_EQ(replies[k].status, 201u);
    ++k;
    if (i == 10) {
      EXPECT_EQ(replies[k].headers["X-Request-ID"], "p-err");
      EXPECT_EQ(replies[k].status, 404u);
      ++k;
    }
  }
}

TEST_F(HttpApi, MalformedAndOversizedRequestsAreRefusedAlone) {
  HttpClient healthy(spotd_->http_port());
  {
    HttpClient c(spotd_->http_port());
    const auto r = c.raw("GARBAGE\r\n\r\n");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(c.closed_by_server(std::chrono::seconds(2)));
  }
  {
    HttpClient c(spotd_->http_port());
    const std::string big(20 * 1024, 'x');
    const auto r = c.raw("POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                         std::to_string(big.size()) + "\r\n\r\n" + big);
    EXPECT_EQ(r.status, 413u);
    EXPECT_EQ(json_field(r.body, "code"), "-1100");
  }
  {
    HttpClient c(spotd_->http_port());
    const auto r =
        c.raw("GET / HTTP/1.1\r\nHost: x\r\nX-Junk: " + std::string(10 * 1024, 'y') + "\r\n\r\n");
    EXPECT_EQ(r.status, 431u);
  }
  // The connection opened before all that still works.
  EXPECT_EQ(healthy.request(http::verb::get, "/api/v1/exchangeInfo").status, 200u);
}

TEST(HttpLimits, SlowClientIsCutWhileOthersAreServed) {
  SpotdProcess spotd({"--set", "http.read_timeout_ms=300"});
  HttpClient slow(spotd.http_port());
  boost::asio::write(slow.socket(),
                     boost::asio::buffer(std::string("GET /api/v1/exchangeInfo HTTP/1.1\r\nHo")));
  HttpClient fast(spotd.http_port());
  EXPECT_EQ(fast.request(http::verb::get, "/api/v1/exchangeInfo").status, 200u);
  EXPECT_TRUE(slow.closed_by_server(std::chrono::seconds(3)));
}

// At the limit, a new connection makes room by closing the one idle longest: b, as a
// has been used since. (With none idle, the new one gets 503 and is closed: see
// Listener.AtTheLimitTheConnectionIdleLongestMakesRoom; floods: HostileClient.*.)
TEST(HttpLimits, AtTheLimitTheConnectionIdleLongestMakesRoom) {
  SpotdProcess spotd({"--set", "http.max_connections=2"});
  HttpClient a(spotd.http_port());
  HttpClient b(spotd.http_port());
  EXPECT_EQ(b.request(http::verb::get, "/api/v1/exchangeInfo").status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(a.request(http::verb::get, "/api/v1/exchangeInfo").status, 200u);
  HttpClient c(spotd.http_port());
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/exchangeInfo").status, 200u);
  EXPECT_TRUE(b.closed_by_server(std::chrono::seconds(2)));
  EXPECT_EQ(a.request(http::verb::get, "/api/v1/exchangeInfo").status, 200u);
}

TEST(HttpLimits, PerAccountRateLimitAnswers429WithRetryAfter) {
  SpotdProcess spotd(
      {"--set", "limits.orders_per_second_per_account=2", "--set", "limits.burst_per_account=3"});
  const std::string key = spotd.create_account();
  const std::string other = spotd.create_account();
  HttpClient c(spotd.http_port());
  std::vector<unsigned> statuses;
  HttpReply limited;
  for (int i = 0; i < 5; ++i) {
    const auto r = c.request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", "10"),
                             {{"X-API-Key", key}});
    statuses.push_back(r.status);
    if (r.status == 429) limited = r;
  }
  EXPECT_EQ(statuses[0], 201u);
  EXPECT_EQ(statuses[2], 201u);
  EXPECT_EQ(statuses[4], 429u);
  EXPECT_EQ(json_field(limited.body, "code"), "-1003");
  EXPECT_FALSE(limited.headers["Retry-After"].empty());
  // Another account is not affected.
  EXPECT_EQ(c.request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", "10"),
                      {{"X-API-Key", other}})
                .status,
            201u);
}

TEST(Admin, TokenHealthAndMetrics) {
  SpotdProcess spotd;
  HttpClient admin(spotd.admin_port());
  EXPECT_EQ(admin.request(http::verb::get, "/livez").status, 200u);
  const auto ready = admin.request(http::verb::get, "/readyz");
  EXPECT_EQ(ready.status, 200u);
  // No database configured: spotd says it runs embedded.
  EXPECT_EQ(ready.body, R"({"cache":"none","mode":"embedded","status":"ready"})");
  EXPECT_EQ(admin.request(http::verb::post, "/admin/v1/accounts").status, 401u);
  EXPECT_EQ(
      admin.request(http::verb::post, "/admin/v1/accounts", "", {{"Authorization", "Bearer wrong"}})
          .status,
      401u);
  EXPECT_EQ(admin
                .request(http::verb::post, "/admin/v1/accounts", "{bad",
                         {{"Authorization", "Bearer test-admin-token"}})
                .status,
            400u);
  const std::string key = spotd.create_account("m");
  EXPECT_EQ(key.size(), 64u);
  HttpClient api(spotd.http_port());
  api.request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", "10"),
              {{"X-API-Key", key}});
  api.request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", "10.001"),
              {{"X-API-Key", key}});
  const auto metrics = admin.request(http::verb::get, "/metrics");
  ASSERT_EQ(metrics.status, 200u);
  for (const char* series :
       {"spot_orders_accepted_total 1", "spot_orders_rejected_total{reason=\"BAD_PRICE\"} 1",
        "spot_order_latency_seconds_bucket", "spot_queue_depth",
        "spot_connections{protocol=\"http\"}",
        "spot_http_requests_total{route=\"/api/v1/orders\",status=\"201\"} 1", "spot_build_info",
        "process_open_fds", "spot_ready 1"}) {
    EXPECT_NE(metrics.body.find(series), std::string::npos) << series;
  }
}

TEST(Admin, MetricsPassPromtoolCheck) {
  SpotdProcess spotd;
  const std::string key = spotd.create_account();
  HttpClient api(spotd.http_port());
  api.request(http::verb::post, "/api/v1/orders", order_body("SELL", "1", "10"),
              {{"X-API-Key", key}});
  api.request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", "10"),
              {{"X-API-Key", key}});
  const auto metrics = HttpClient(spotd.admin_port()).request(http::verb::get, "/metrics");
  ASSERT_EQ(metrics.status, 200u);
  const std::string path = ::testing::TempDir() + "/metrics.txt";
  { std::ofstream(path) << metrics.body; }
  const std::string command = std::string(PROMTOOL_PATH) + " check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "") << output;
}

TEST(Admin, DisabledWithoutToken) {
  SpotdProcess spotd({"--set", "admin.token="});
  HttpClient admin(spotd.admin_port());
  EXPECT_EQ(
      admin.request(http::verb::post, "/admin/v1/accounts", "", {{"Authorization", "Bearer "}})
          .status,
      403u);
}

// Balances end to end: an unfunded account, deposits and withdrawals through the admin
// API (idempotent on their reference), the locks an order takes, the Binance-style
// rejects, and GET /api/v1/account.
TEST_F(HttpApi, BalancesGateOrdersAndMoveWithDepositsWithdrawalsAndFills) {
  HttpClient admin(spotd_->admin_port());
  const std::map<std::string, std::string> bearer = {
      {"Authorization", "Bearer " + spotd_->admin_token()}};
  const auto created =
      admin.request(http::verb::post, "/admin/v1/accounts", R"({"name":"carol"})", bearer);
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string carol = json_field(created.body, "apiKey");
  const std::string id = json_field(created.body, "accountId");
  const std::string base = "/admin/v1/accounts/" + id;
  auto transfer = [&](const std::string& what, const std::string& body) {
    return admin.request(http::verb::post, base + what, body, bearer);
  };
  auto usdt = [&](const std::string& key) {
    const auto r = call(http::verb::get, "/api/v1/account", key);
    EXPECT_EQ(r.status, 200u) << r.body;
    const std::size_t at = r.body.find(R"({"asset":"USDT")");
    return at == std::string::npos ? r.body : r.body.substr(at, r.body.find('}', at) - at + 1);
  };
  EXPECT_EQ(usdt(carol), R"({"asset":"USDT","free":"0.00000000","locked":"0.00000000"})");
  // No money: the order is refused with Binance's code and message.
  auto r = post(carol, order_body("BUY", "1", "100"));
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(json_field(r.body, "code"), "-2010");
  EXPECT_EQ(json_field(r.body, "msg"), "Account has insufficient balance for requested action.");

  r = transfer("/deposits", R"({"asset":"USDT","amount":"100.5","reference":"wire-1"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(json_field(r.body, "free"), "100.50000000");
  EXPECT_EQ(json_field(r.body, "type"), "DEPOSIT");
  r = transfer("/deposits", R"({"asset":"USDT","amount":"100.5","reference":"wire-1"})");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json_field(r.body, "replayed"), "true");
  r = transfer("/withdrawals", R"({"asset":"USDT","amount":"200","reference":"out-1"})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(json_field(r.body, "msg"), "Account has insufficient balance for requested action.");
  r = transfer("/withdrawals", R"({"asset":"USDT","amount":"0.5","reference":"out-1"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(json_field(r.body, "free"), "100.00000000");
  EXPECT_EQ(transfer("/deposits", R"({"asset":"DOGE","amount":"1","reference":"x"})").status, 400u);
  EXPECT_EQ(
      transfer("/deposits", R"({"asset":"USDT","amount":"0.000000001","reference":"x"})").status,
      400u);
  EXPECT_EQ(transfer("/deposits", R"({"asset":"USDT","amount":"1"})").status, 400u);
  EXPECT_EQ(admin
                .request(http::verb::post, "/admin/v1/accounts/999/deposits",
                         R"({"asset":"USDT","amount":"1","reference":"x"})", bearer)
                .status,
            404u);
  EXPECT_EQ(admin
                .request(http::verb::post, base + "/deposits",
                         R"({"asset":"USDT","amount":"1","reference":"x"})")
                .status,
            401u);

  // Bob sells 1 at 99; carol's post-only buy at 99 would take it.
  ASSERT_EQ(post(bob_, order_body("SELL", "1", "99")).status, 201u);
  r = post(
      carol,
      R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT_MAKER","quantity":"1","price":"99"})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(json_field(r.body, "code"), "-2010");
  EXPECT_EQ(json_field(r.body, "msg"), "Order would immediately match and take.");
  // A buy of 1 at 100 locks 100 USDT, fills at 99 and gives 1 back at once.
  r = post(carol, order_body("BUY", "1", "100"));
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(json_field(r.body, "status"), "FILLED");
  EXPECT_EQ(usdt(carol), R"({"asset":"USDT","free":"1.00000000","locked":"0.00000000"})");
  // A resting post-only buy keeps its lock until cancelled.
  r = post(
      carol,
      R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT_MAKER","quantity":"0.01","price":"50"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(json_field(r.body, "type"), "LIMIT_MAKER");
  EXPECT_EQ(usdt(carol), R"({"asset":"USDT","free":"0.50000000","locked":"0.50000000"})");
  ASSERT_EQ(
      call(http::verb::delete_, "/api/v1/orders/" + json_field(r.body, "orderId"), carol).status,
      200u);
  EXPECT_EQ(usdt(carol), R"({"asset":"USDT","free":"1.00000000","locked":"0.00000000"})");
  const auto btc = call(http::verb::get, "/api/v1/account", carol).body;
  EXPECT_NE(btc.find(R"({"asset":"BTC","free":"1.00000000","locked":"0.00000000"})"),
            std::string::npos)
      << btc;
  // The operator's view, and the fee account (no fees configured here).
  r = admin.request(http::verb::get, base + "/balances", "", bearer);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find(R"("accountId":)" + id), std::string::npos) << r.body;
  EXPECT_EQ(admin.request(http::verb::get, "/admin/v1/accounts/0/balances", "", bearer).status,
            200u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/account").status, 401u);
}

// spotctl account deposit|withdraw|balances against a real spotd.
TEST_F(HttpApi, SpotctlDepositsWithdrawsAndShowsBalances) {
  auto spotctl = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {
        SPOTCTL_PATH,          "--port", std::to_string(spotd_->admin_port()), "--token",
        spotd_->admin_token(), "account"};
    all.insert(all.end(), args.begin(), args.end());
    return run_program(all);
  };
  // alice is account 1 (funded with 100,000,000 USDT by the test support).
  ExitResult r = spotctl({"deposit", "1", "USDT", "0.5", "--reference", "ctl-1"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("deposit of 0.50000000 USDT to account 1: free 100000000.50000000"),
            std::string::npos)
      << r.output;
  r = spotctl({"deposit", "1", "USDT", "0.5", "--reference", "ctl-1"});
  EXPECT_NE(r.output.find("(already applied)"), std::string::npos) << r.output;
  r = spotctl({"withdraw", "1", "USDT", "1000000000", "--reference", "ctl-2"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("Account has insufficient balance for requested action."),
            std::string::npos)
      << r.output;
  r = spotctl({"withdraw", "1", "USDT", "0.5", "--reference", "ctl-2"});
  EXPECT_EQ(r.status, 0) << r.output;
  r = spotctl({"balances", "1"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("USDT   100000000.00000000"), std::string::npos) << r.output;
  EXPECT_EQ(spotctl({"balances", "0"}).status, 0);  // the fee account
}

}  // namespace
}  // namespace spot::test
