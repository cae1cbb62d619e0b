// Public market data over HTTP against a real spotd: every field of /api/v3/trades,
// aggTrades, ticker/price, ticker/24hr, depth's lastUpdateId, /api/v1/trades and
// /api/v1/ticker after known trades; their errors; and the same answers after SIGKILL
// and restart (journal replay) and after a clean restart (snapshot). Label `integration`.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "spotd_process.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> keys_of(const json& j) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class MarketDataHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/spotd-market-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    journal_ = std::string(dir) + "/journal";
    spotd_ = std::make_unique<SpotdProcess>(std::vector<std::string>{}, "", journal_);
    alice_ = spotd_->create_account("alice");
    bob_ = spotd_->create_account("bob");
  }
  void TearDown() override {
    spotd_.reset();
    std::filesystem::remove_all(std::filesystem::path(journal_).parent_path());
  }

  std::string order(const std::string& key, const std::string& side, const std::string& qty,
                    const std::string& price) {
    const auto r = HttpClient(spotd_->http_port())
                       .request(http::verb::post, "/api/v1/orders",
                                R"({"symbol":"BTC-USDT","side":")" + side +
                                    R"(","type":"LIMIT","quantity":")" + qty + R"(","price":")" +
                                    price + "\"}",
                                {{"X-API-Key", key}});
    EXPECT_EQ(r.status, 201u) << r.body;
    return json_field(r.body, "orderId");
  }
  HttpReply get(const std::string& target) {
    return HttpClient(spotd_->http_port()).request(http::verb::get, target);
  }
  json get_json(const std::string& target) {
    const HttpReply r = get(target);
    EXPECT_EQ(r.status, 200u) << target << ": " << r.body;
    return json::parse(r.body);
  }
  void expect_error(const std::string& target, unsigned status, int code) {
    const HttpReply r = get(target);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    EXPECT_EQ(json::parse(r.body).value("code", 0), code) << target << ": " << r.body;
  }

  // Four trades in two taker orders, then a resting bid and a resting ask:
  //   bob BUY 2.5 @101 takes 1.5 @100.25 (trade 1), 0.5 @101 (2), 0.5 @101 (3);
  //   bob SELL 0.25 @99 takes alice's bid: 0.25 @99 (4, the buyer was the maker).
  // Book after: bid 99 x 0.75, ask 101 x 0.5. Book changes: 6.
  void trade() {
    before_ms_ = now_ms();
    order(alice_, "SELL", "1.5", "100.25");
    order(alice_, "SELL", "0.5", "101");
    ask_ = order(alice_, "SELL", "1", "101");
    order(bob_, "BUY", "2.5", "101");
    order(alice_, "BUY", "1", "99");
    order(bob_, "SELL", "0.25", "99");
    after_ms_ = now_ms();
  }
  void expect_time(const json& t) {
    EXPECT_GE(t.get<std::int64_t>(), before_ms_);
    EXPECT_LE(t.get<std::int64_t>(), after_ms_);
  }

  std::string journal_;
  std::unique_ptr<SpotdProcess> spotd_;
  std::string alice_;
  std::string bob_;
  std::string ask_;
  std::int64_t before_ms_ = 0;
  std::int64_t after_ms_ = 0;
};

TEST_F(MarketDataHttp, BeforeAnyTrade) {
  EXPECT_EQ(get_json("/api/v3/trades?symbol=BTCUSDT"), json::array());
  EXPECT_EQ(get_json("/api/v3/aggTrades?symbol=BTCUSDT"), json::array());
  EXPECT_EQ(get_json("/api/v3/ticker/price?symbol=ETHUSDT"),
            (json{{"symbol", "ETHUSDT"}, {"price", "0.00"}}));
  const json t = get_json("/api/v3/ticker/24hr?symbol=ETHUSDT");
  EXPECT_EQ(t["count"], 0);
  EXPECT_EQ(t["firstId"], -1);
  EXPECT_EQ(t["lastId"], -1);
  EXPECT_EQ(t["lastPrice"], "0.00");
  EXPECT_EQ(t["volume"], "0.00");
  EXPECT_EQ(t["quoteVolume"], "0.0000");
  EXPECT_EQ(t["priceChangePercent"], "0.000");
  EXPECT_EQ(get_json("/api/v3/depth?symbol=BTCUSDT")["lastUpdateId"], 0);
}

TEST_F(MarketDataHttp, EveryFieldOfEveryRoute) {
  trade();

  // /api/v3/trades: every kept trade, oldest first.
  json trades = get_json("/api/v3/trades?symbol=BTCUSDT");
  ASSERT_EQ(trades.size(), 4u) << trades;
  const std::vector<std::string> trade_keys =
      sorted({"id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"});
  const json expected[] = {{{"id", 1},
                            {"price", "100.25"},
                            {"qty", "1.500"},
                            {"quoteQty", "150.37500"},
                            {"isBuyerMaker", false},
                            {"isBestMatch", true}},
                           {{"id", 2},
                            {"price", "101.00"},
                            {"qty", "0.500"},
                            {"quoteQty", "50.50000"},
                            {"isBuyerMaker", false},
                            {"isBestMatch", true}},
                           {{"id", 3},
                            {"price", "101.00"},
                            {"qty", "0.500"},
                            {"quoteQty", "50.50000"},
                            {"isBuyerMaker", false},
                            {"isBestMatch", true}},
                           {{"id", 4},
                            {"price", "99.00"},
                            {"qty", "0.250"},
                            {"quoteQty", "24.75000"},
                            {"isBuyerMaker", true},
                            {"isBestMatch", true}}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(keys_of(trades[i]), trade_keys);
    expect_time(trades[i]["time"]);
    json t = trades[i];
    t.erase("time");
    EXPECT_EQ(t, expected[i]) << i;
  }
  trades = get_json("/api/v3/trades?symbol=BTCUSDT&limit=2");
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[0]["id"], 3);
  EXPECT_EQ(trades[1]["id"], 4);

  // aggTrades: trades 2 and 3 are one taker order at one price.
  json agg = get_json("/api/v3/aggTrades?symbol=BTCUSDT");
  ASSERT_EQ(agg.size(), 3u) << agg;
  const json expected_agg[] = {
      {{"a", 1}, {"p", "100.25"}, {"q", "1.500"}, {"f", 1}, {"l", 1}, {"m", false}, {"M", true}},
      {{"a", 2}, {"p", "101.00"}, {"q", "1.000"}, {"f", 2}, {"l", 3}, {"m", false}, {"M", true}},
      {{"a", 4}, {"p", "99.00"}, {"q", "0.250"}, {"f", 4}, {"l", 4}, {"m", true}, {"M", true}}};
  for (std::size_t i = 0; i < 3; ++i) {
    expect_time(agg[i]["T"]);
    json a = agg[i];
    a.erase("T");
    EXPECT_EQ(a, expected_agg[i]) << i;
  }
  agg = get_json("/api/v3/aggTrades?symbol=BTCUSDT&fromId=2");
  ASSERT_EQ(agg.size(), 2u);
  EXPECT_EQ(agg[0]["a"], 2);
  agg = get_json("/api/v3/aggTrades?symbol=BTCUSDT&limit=1");
  ASSERT_EQ(agg.size(), 1u);
  EXPECT_EQ(agg[0]["a"], 4);
  agg = get_json("/api/v3/aggTrades?symbol=BTCUSDT&fromId=1&limit=1");
  ASSERT_EQ(agg.size(), 1u);
  EXPECT_EQ(agg[0]["a"], 1);
  const std::string start = std::to_string(before_ms_);
  EXPECT_EQ(get_json("/api/v3/aggTrades?symbol=BTCUSDT&startTime=" + start +
                     "&endTime=" + std::to_string(before_ms_ + 3'600'000))
                .size(),
            3u);
  EXPECT_TRUE(
      get_json("/api/v3/aggTrades?symbol=BTCUSDT&startTime=" + std::to_string(after_ms_ + 1))
          .empty());
  EXPECT_TRUE(get_json("/api/v3/aggTrades?symbol=BTCUSDT&endTime=" + std::to_string(before_ms_ - 1))
                  .empty());

  // ticker/24hr: Binance's FULL field list and types.
  const json day = get_json("/api/v3/ticker/24hr?symbol=BTCUSDT");
  EXPECT_EQ(keys_of(day), sorted({"symbol",           "priceChange",    "priceChangePercent",
                                  "weightedAvgPrice", "prevClosePrice", "lastPrice",
                                  "lastQty",          "bidPrice",       "bidQty",
                                  "askPrice",         "askQty",         "openPrice",
                                  "highPrice",        "lowPrice",       "volume",
                                  "quoteVolume",      "openTime",       "closeTime",
                                  "firstId",          "lastId",         "count"}));
  EXPECT_GE(day["closeTime"].get<std::int64_t>(), after_ms_);
  EXPECT_EQ(day["openTime"].get<std::int64_t>(), day["closeTime"].get<std::int64_t>() - 86'400'000);
  json fixed = day;
  fixed.erase("openTime");
  fixed.erase("closeTime");
  EXPECT_EQ(fixed, (json{{"symbol", "BTCUSDT"},
                         {"priceChange", "-1.25"},
                         {"priceChangePercent", "-1.246"},
                         {"weightedAvgPrice", "100.41"},  // 276.125 / 2.75 = 100.409...
                         {"prevClosePrice", "0.00"},
                         {"lastPrice", "99.00"},
                         {"lastQty", "0.250"},
                         {"bidPrice", "99.00"},
                         {"bidQty", "0.750"},
                         {"askPrice", "101.00"},
                         {"askQty", "0.500"},
                         {"openPrice", "100.25"},
                         {"highPrice", "101.00"},
                         {"lowPrice", "99.00"},
                         {"volume", "2.750"},
                         {"quoteVolume", "276.12500"},
                         {"firstId", 1},
                         {"lastId", 4},
                         {"count", 4}}));
  // Every symbol, and a list in the order asked.
  json all = get_json("/api/v3/ticker/24hr");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["symbol"], "BTCUSDT");
  EXPECT_EQ(all[0]["count"], 4);
  EXPECT_EQ(all[1]["symbol"], "ETHUSDT");
  all = get_json("/api/v3/ticker/24hr?symbols=%5B%22ETHUSDT%22,%22BTCUSDT%22%5D");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["symbol"], "ETHUSDT");
  EXPECT_EQ(all[1]["lastPrice"], "99.00");

  // ticker/price: the last trade's price.
  EXPECT_EQ(get_json("/api/v3/ticker/price?symbol=BTCUSDT"),
            (json{{"symbol", "BTCUSDT"}, {"price", "99.00"}}));
  EXPECT_EQ(get_json("/api/v3/ticker/price"),
            (json::array({json{{"symbol", "BTCUSDT"}, {"price", "99.00"}},
                          json{{"symbol", "ETHUSDT"}, {"price", "0.00"}}})));
  EXPECT_EQ(get_json("/api/v3/ticker/price?symbols=%5B%22BTCUSDT%22%5D"),
            (json::array({json{{"symbol", "BTCUSDT"}, {"price", "99.00"}}})));

  // depth: the book changed six times.
  EXPECT_EQ(get("/api/v3/depth?symbol=BTCUSDT").body,
            R"({"asks":[["101.00","0.500"]],"bids":[["99.00","0.750"]],"lastUpdateId":6})");

  // /api/v1.
  json v1 = get_json("/api/v1/trades?symbol=BTC-USDT&limit=3");
  ASSERT_EQ(v1.size(), 3u);
  EXPECT_EQ(keys_of(v1[2]), sorted({"id", "price", "qty", "quoteQty", "time", "isBuyerMaker"}));
  expect_time(v1[2]["time"]);
  v1[2].erase("time");
  EXPECT_EQ(v1[2], (json{{"id", 4},
                         {"price", "99.00"},
                         {"qty", "0.250"},
                         {"quoteQty", "24.75000"},
                         {"isBuyerMaker", true}}));
  EXPECT_EQ(v1[0]["id"], 2);
  EXPECT_EQ(get_json("/api/v1/trades?symbol=BTC-USDT").size(), 4u);
  json ticker = get_json("/api/v1/ticker?symbol=BTC-USDT");
  EXPECT_EQ(ticker["closeTime"].get<std::int64_t>() - ticker["openTime"].get<std::int64_t>(),
            86'400'000);
  ticker.erase("openTime");
  ticker.erase("closeTime");
  EXPECT_EQ(ticker, (json{{"symbol", "BTC-USDT"},
                          {"lastPrice", "99.00"},
                          {"lastQty", "0.250"},
                          {"bidPrice", "99.00"},
                          {"bidQty", "0.750"},
                          {"askPrice", "101.00"},
                          {"askQty", "0.500"},
                          {"openPrice", "100.25"},
                          {"highPrice", "101.00"},
                          {"lowPrice", "99.00"},
                          {"prevClosePrice", "0.00"},
                          {"priceChange", "-1.25"},
                          {"priceChangePercent", "-1.246"},
                          {"weightedAvgPrice", "100.41"},
                          {"volume", "2.750"},
                          {"quoteVolume", "276.12500"},
                          {"count", 4},
                          {"firstId", 1},
                          {"lastId", 4},
                          {"updateId", 6}}));
  const json tickers = get_json("/api/v1/ticker");
  ASSERT_EQ(tickers.size(), 2u);
  EXPECT_EQ(tickers[1]["symbol"], "ETH-USDT");
  EXPECT_EQ(tickers[1]["firstId"], -1);

  // A cancel changes the book once more.
  EXPECT_EQ(HttpClient(spotd_->http_port())
                .request(http::verb::delete_, "/api/v1/orders/" + ask_, "", {{"X-API-Key", alice_}})
                .status,
            200u);
  EXPECT_EQ(get_json("/api/v3/depth?symbol=BTCUSDT")["lastUpdateId"], 7);
  EXPECT_EQ(get_json("/api/v1/ticker?symbol=BTC-USDT")["updateId"], 7);
  EXPECT_EQ(get_json("/api/v3/ticker/24hr?symbol=BTCUSDT")["askPrice"], "0.00");
}

TEST_F(MarketDataHttp, BadSymbolAndLimitAsTheOtherRoutes) {
  for (const std::string route : {"/api/v3/trades", "/api/v3/aggTrades"}) {
    expect_error(route, 400, -1102);
    expect_error(route + "?symbol=NOPE", 400, -1121);
    expect_error(route + "?symbol=BTCUSDT&limit=0", 400, -1100);
    expect_error(route + "?symbol=BTCUSDT&limit=1001", 400, -1100);
    expect_error(route + "?symbol=BTCUSDT&limit=x", 400, -1100);
    EXPECT_EQ(get(route + "?symbol=BTCUSDT&limit=1000").status, 200u);
  }
  expect_error("/api/v3/aggTrades?symbol=BTCUSDT&fromId=-1", 400, -1100);
  expect_error("/api/v3/aggTrades?symbol=BTCUSDT&startTime=1000&endTime=3601001", 400, -1127);
  expect_error("/api/v3/aggTrades?symbol=BTCUSDT&startTime=2000&endTime=1000", 400, -1127);
  for (const std::string route : {"/api/v3/ticker/price", "/api/v3/ticker/24hr"}) {
    expect_error(route + "?symbol=NOPE", 400, -1121);
    expect_error(route + "?symbols=%5B%22NOPE%22%5D", 400, -1121);
    expect_error(route + "?symbols=BTCUSDT", 400, -1100);
    expect_error(route + "?symbol=BTCUSDT&symbols=%5B%22BTCUSDT%22%5D", 400, -1101);
  }
  expect_error("/api/v1/trades?symbol=NOPE", 400, -1121);
  expect_error("/api/v1/trades", 400, -1121);
  expect_error("/api/v1/trades?symbol=BTC-USDT&limit=0", 400, -1100);
  expect_error("/api/v1/trades?symbol=BTC-USDT&limit=1001", 400, -1100);
  expect_error("/api/v1/ticker?symbol=NOPE", 400, -1121);
  // The same codes as depth gives.
  expect_error("/api/v1/depth?symbol=NOPE", 400, -1121);
  expect_error("/api/v3/depth?symbol=NOPE", 400, -1121);
}

// What a replay must rebuild: everything but the reader's clock.
json replayable(SpotdProcess& spotd) {
  auto fetch = [&spotd](const std::string& target) {
    return json::parse(HttpClient(spotd.http_port()).request(http::verb::get, target).body);
  };
  json day = fetch("/api/v3/ticker/24hr");
  for (json& d : day) {
    d.erase("openTime");
    d.erase("closeTime");
  }
  return json{{"trades", fetch("/api/v3/trades?symbol=BTCUSDT")},
              {"agg", fetch("/api/v3/aggTrades?symbol=BTCUSDT")},
              {"price", fetch("/api/v3/ticker/price")},
              {"day", day},
              {"depth", fetch("/api/v3/depth?symbol=BTCUSDT")},
              {"v1", fetch("/api/v1/trades?symbol=BTC-USDT")}};
}

TEST_F(MarketDataHttp, SurvivesSigkillAndCleanRestart) {
  trade();
  const json before = replayable(*spotd_);
  ASSERT_EQ(before["trades"].size(), 4u);
  kill(spotd_->pid(), SIGKILL);
  EXPECT_EQ(spotd_->wait_exit(std::chrono::seconds(10)), -SIGKILL);
  spotd_ = std::make_unique<SpotdProcess>(std::vector<std::string>{}, "", journal_);
  EXPECT_EQ(replayable(*spotd_), before);  // rebuilt by the journal alone
  // A clean stop writes a snapshot (format 4, with the market data); the next start
  // replays nothing after it.
  EXPECT_EQ(spotd_->terminate(), 0);
  spotd_ = std::make_unique<SpotdProcess>(std::vector<std::string>{}, "", journal_);
  EXPECT_EQ(replayable(*spotd_), before);
  // And it goes on from there: the next trade is id 5, the book's next change 7.
  order(bob_, "BUY", "0.1", "101");
  const json trades = get_json("/api/v3/trades?symbol=BTCUSDT");
  EXPECT_EQ(trades.back()["id"], 5);
  EXPECT_EQ(get_json("/api/v3/depth?symbol=BTCUSDT")["lastUpdateId"], 7);
}

}  // namespace
}  // namespace spot::test
