// The Binance-compatible codec (proto/binance.h): parameters, signing with Binance's own
// documented examples, recvWindow edges, order decoding, and every field of every reply.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "proto/random_order.h"
#include "spot/core/decimal.h"
#include "spot/proto/binance.h"
#include "spot/proto/http_json.h"

namespace spot::proto::binance {
namespace {

using nlohmann::json;

SymbolTable symbols() {
  SymbolSpec btc;
  btc.name = "BTC-USDT";
  btc.tick_size = Decimal{1, 2};  // 0.01
  btc.lot_size = Decimal{1, 3};   // 0.001
  btc.min_price = 1;              // 0.01
  btc.max_price = 10'000'000;     // 100000.00
  btc.min_qty = 1;                // 0.001
  btc.max_qty = 1'000'000;        // 1000.000
  SymbolSpec eth = btc;
  eth.name = "ETH-USDT";
  eth.tick_size = Decimal{5, 2};  // 0.05
  eth.lot_size = Decimal{1, 2};   // 0.01
  return SymbolTable({btc, eth});
}

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

// ---- signing: the examples of Binance's "SIGNED endpoint examples for POST /api/v3/order" ----

constexpr const char* kSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
constexpr const char* kQuery =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
    "timestamp=1499827319559";

TEST(BinanceSigning, DocumentedExampleQueryString) {
  EXPECT_EQ(sign(kSecret, kQuery),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

TEST(BinanceSigning, SignatureInQueryOrBodyOrBothIsTakenOut) {
  const std::string sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
  std::string got;
  // All in the query string.
  EXPECT_EQ(signed_payload(std::string(kQuery) + "&signature=" + sig, "", &got), kQuery);
  EXPECT_EQ(got, sig);
  // All in the body.
  EXPECT_EQ(signed_payload("", std::string(kQuery) + "&signature=" + sig, &got), kQuery);
  EXPECT_EQ(got, sig);
  // Mixed: totalParams is query then body with nothing between (Binance's example 3).
  const std::string payload =
      signed_payload("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
                     "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559", &got);
  EXPECT_EQ(got, "");
  EXPECT_EQ(sign(kSecret, payload),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77");
  // Signature first: the rest is kept byte for byte.
  EXPECT_EQ(signed_payload("signature=ab&a=1&b=%20", "", &got), "a=1&b=%20");
  EXPECT_EQ(got, "ab");
}

TEST(BinanceSigning, ValidityIsCaseInsensitiveHexAndExact) {
  const std::string sig = sign(kSecret, kQuery);
  EXPECT_TRUE(signature_valid(kSecret, kQuery, sig));
  std::string upper = sig;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(signature_valid(kSecret, kQuery, upper));
  EXPECT_FALSE(signature_valid(kSecret, std::string(kQuery) + "0", sig));
  EXPECT_FALSE(signature_valid("other", kQuery, sig));
  EXPECT_FALSE(signature_valid(kSecret, kQuery, sig.substr(1)));
  EXPECT_FALSE(signature_valid(kSecret, kQuery, ""));
}

// ---- parameters ----

TEST(BinanceParams, QueryThenBodyPercentDecoded) {
  Params p;
  ASSERT_FALSE(
      parse_params("symbol=BTCUSDT&newClientOrderId=a%2Fb", "quantity=1.5&x=a+b&empty=", 64, &p));
  EXPECT_EQ(p.get("symbol"), "BTCUSDT");
  EXPECT_EQ(p.get("newClientOrderId"), "a/b");
  EXPECT_EQ(p.get("quantity"), "1.5");
  EXPECT_EQ(p.get("x"), "a b");
  EXPECT_FALSE(p.get("empty"));  // an empty value is not sent
  EXPECT_FALSE(p.get("missing"));
}

TEST(BinanceParams, BadEscapeDuplicatesAndTooManyAreRefused) {
  Params p;
  auto e = parse_params("a=%zz", "", 64, &p);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1100);
  Params q;
  e = parse_params("a=%2", "", 64, &q);
  ASSERT_TRUE(e);
  Params d;
  e = parse_params("a=1", "a=2", 64, &d);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1101);
  EXPECT_EQ(e->status, 400u);
  Params m;
  e = parse_params("a=1&b=2&c=3", "", 2, &m);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1101);
}

// ---- timestamp and recvWindow ----

Params with(std::vector<std::pair<std::string, std::string>> items) {
  Params p;
  p.items = std::move(items);
  return p;
}

TEST(BinanceTimestamp, RecvWindowEdges) {
  const Options o;  // 5000 default, 60000 max, 1000 ahead
  const std::int64_t now = 1'700'000'000'000;
  auto ts = [](std::int64_t t) { return std::to_string(t); };
  // Default window: exactly 5000 ms old passes, 5001 does not.
  EXPECT_FALSE(check_timestamp(with({{"timestamp", ts(now - 5000)}}), now, o));
  auto e = check_timestamp(with({{"timestamp", ts(now - 5001)}}), now, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1021);
  EXPECT_EQ(e->status, 400u);
  EXPECT_EQ(e->msg, "Timestamp for this request is outside of the recvWindow.");
  // Ahead: up to 999 ms passes, 1000 ms does not.
  EXPECT_FALSE(check_timestamp(with({{"timestamp", ts(now + 999)}}), now, o));
  e = check_timestamp(with({{"timestamp", ts(now + 1000)}}), now, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1021);
  // A wider recvWindow, up to the maximum.
  EXPECT_FALSE(
      check_timestamp(with({{"timestamp", ts(now - 60'000)}, {"recvWindow", "60000"}}), now, o));
  e = check_timestamp(with({{"timestamp", ts(now - 60'001)}, {"recvWindow", "60000"}}), now, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1021);
  e = check_timestamp(with({{"timestamp", ts(now)}, {"recvWindow", "60001"}}), now, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1131);
  // A narrower one.
  e = check_timestamp(with({{"timestamp", ts(now - 11)}, {"recvWindow", "10"}}), now, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1021);
  // Missing or malformed.
  e = check_timestamp(with({}), now, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, -1102);
  EXPECT_NE(e->msg.find("'timestamp'"), std::string::npos);
  for (const char* bad : {"abc", "-5", "0", "12.5"}) {
    e = check_timestamp(with({{"timestamp", bad}}), now, o);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->code, -1100) << bad;
  }
  for (const char* bad : {"0", "-1", "x"}) {
    e = check_timestamp(with({{"timestamp", ts(now)}, {"recvWindow", bad}}), now, o);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->code, -1100) << bad;
  }
}

// ---- symbols ----

TEST(BinanceSymbols, DashlessNamesAndAssets) {
  const SymbolTable t = symbols();
  EXPECT_EQ(binance_symbol("BTC-USDT"), "BTCUSDT");
  EXPECT_EQ(assets_of("BTC-USDT"), std::make_pair(std::string("BTC"), std::string("USDT")));
  EXPECT_EQ(assets_of("BTCUSDT"), std::make_pair(std::string("BTCUSDT"), std::string()));
  EXPECT_EQ(find_symbol(t, "BTCUSDT"), SymbolId{0});
  EXPECT_EQ(find_symbol(t, "ETHUSDT"), SymbolId{1});
  EXPECT_EQ(find_symbol(t, "BTC-USDT"), SymbolId{0});
  EXPECT_FALSE(find_symbol(t, "btcusdt"));
  EXPECT_FALSE(find_symbol(t, "XRPUSDT"));
  EXPECT_FALSE(find_symbol(t, ""));
}

// ---- orders ----

NewOrder parse(std::vector<std::pair<std::string, std::string>> items) {
  return parse_new_order(with(std::move(items)), symbols());
}

TEST(BinanceNewOrder, LimitAndMarketDecode) {
  NewOrder n = parse({{"symbol", "BTCUSDT"},
                      {"side", "SELL"},
                      {"type", "LIMIT"},
                      {"timeInForce", "FOK"},
                      {"quantity", "1.50000000"},
                      {"price", "100.25"},
                      {"newClientOrderId", "x-1"},
                      {"newOrderRespType", "RESULT"}});
  ASSERT_FALSE(n.error) << n.error->msg;
  EXPECT_EQ(n.order.symbol, 0);
  EXPECT_EQ(n.order.side, Side::Sell);
  EXPECT_EQ(n.order.type, OrderType::Limit);
  EXPECT_EQ(n.order.tif, TimeInForce::Fok);
  EXPECT_EQ(n.order.qty, 1500);
  EXPECT_EQ(n.order.price, 10025);
  EXPECT_EQ(n.order.client_order_id, "x-1");
  EXPECT_EQ(n.resp, RespType::Result);

  n = parse({{"symbol", "ETHUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "2"}});
  ASSERT_FALSE(n.error) << n.error->msg;
  EXPECT_EQ(n.order.symbol, 1);
  EXPECT_EQ(n.order.type, OrderType::Market);
  EXPECT_EQ(n.order.tif, TimeInForce::Ioc);
  EXPECT_EQ(n.order.qty, 200);
  EXPECT_EQ(n.resp, RespType::Full);  // Binance's default for MARKET and LIMIT
}

TEST(BinanceNewOrder, EveryBadRequestHasItsBinanceError) {
  struct Case {
    const char* name;
    std::vector<std::pair<std::string, std::string>> items;
    int code;
    RejectReason reason;
  };
  const std::vector<std::pair<std::string, std::string>> limit = {
      {"symbol", "BTCUSDT"},  {"side", "BUY"},   {"type", "LIMIT"},
      {"timeInForce", "GTC"}, {"quantity", "1"}, {"price", "100"}};
  auto but = [&limit](std::string key, std::string value) {
    auto out = limit;
    bool found = false;
    for (auto& [k, v] : out) {
      if (k == key) {
        v = value;
        found = true;
      }
    }
    if (!found) out.emplace_back(key, value);
    return out;
  };
  const std::vector<Case> cases = {
      {"no symbol", but("symbol", ""), -1102, RejectReason::BadRequest},
      {"unknown symbol", but("symbol", "XRPUSDT"), -1121, RejectReason::UnknownSymbol},
      {"bad side", but("side", "HOLD"), -1117, RejectReason::BadRequest},
      {"no side", but("side", ""), -1102, RejectReason::BadRequest},
      {"bad type", but("type", "STOP_LOSS"), -1116, RejectReason::BadOrderType},
      {"bad tif", but("timeInForce", "GTX"), -1115, RejectReason::BadRequest},
      {"no tif", but("timeInForce", ""), -1102, RejectReason::BadRequest},
      {"no quantity", but("quantity", ""), -1102, RejectReason::BadRequest},
      {"off the lot grid", but("quantity", "0.0001"), -1013, RejectReason::BadQuantity},
      {"no price", but("price", ""), -1102, RejectReason::BadRequest},
      {"off the tick grid", but("price", "100.001"), -1013, RejectReason::BadPrice},
      {"price too high", but("price", "100000.01"), -1013, RejectReason::BadPrice},
      {"bad client id", but("newClientOrderId", "a b"), -1100, RejectReason::BadRequest},
      {"client id too long", but("newClientOrderId", std::string(37, 'a')), -1100,
       RejectReason::BadRequest},
      {"bad resp type", but("newOrderRespType", "MAX"), -1100, RejectReason::BadRequest},
      {"quoteOrderQty with LIMIT", but("quoteOrderQty", "10"), -1106, RejectReason::BadRequest},
      {"MARKET with price",
       {{"symbol", "BTCUSDT"},
        {"side", "BUY"},
        {"type", "MARKET"},
        {"quantity", "1"},
        {"price", "1"}},
       -1106,
       RejectReason::BadRequest},
      {"MARKET with timeInForce",
       {{"symbol", "BTCUSDT"},
        {"side", "BUY"},
        {"type", "MARKET"},
        {"quantity", "1"},
        {"timeInForce", "GTC"}},
       -1106,
       RejectReason::BadRequest},
      {"MARKET without quantity",
       {{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}},
       -1102,
       RejectReason::BadRequest},
      {"MARKET with both",
       {{"symbol", "BTCUSDT"},
        {"side", "BUY"},
        {"type", "MARKET"},
        {"quantity", "1"},
        {"quoteOrderQty", "10"}},
       -1102,
       RejectReason::BadRequest},
      {"SELL by quoteOrderQty",
       {{"symbol", "BTCUSDT"}, {"side", "SELL"}, {"type", "MARKET"}, {"quoteOrderQty", "10"}},
       -1106,
       RejectReason::BadOrderType},
      {"LIMIT_MAKER with a timeInForce",
       {{"symbol", "BTCUSDT"},
        {"side", "BUY"},
        {"type", "LIMIT_MAKER"},
        {"timeInForce", "GTC"},
        {"quantity", "1"},
        {"price", "100"}},
       -1106,
       RejectReason::BadRequest},
  };
  // The two the engine's balances brought: a MARKET BUY by quote amount, post-only.
  const NewOrder by_quote =
      parse({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quoteOrderQty", "10"}});
  ASSERT_FALSE(by_quote.error) << by_quote.error->msg;
  EXPECT_EQ(by_quote.order.quote_qty, 10'00000000);  // USDT in its smallest units
  EXPECT_EQ(by_quote.order.qty, 0);
  const NewOrder maker = parse({{"symbol", "BTCUSDT"},
                                {"side", "BUY"},
                                {"type", "LIMIT_MAKER"},
                                {"quantity", "1"},
                                {"price", "100"}});
  ASSERT_FALSE(maker.error) << maker.error->msg;
  EXPECT_TRUE(maker.order.post_only);
  EXPECT_EQ(maker.order.tif, TimeInForce::Gtc);
  for (const Case& c : cases) {
    const NewOrder n = parse(c.items);
    ASSERT_TRUE(n.error) << c.name;
    EXPECT_EQ(n.error->code, c.code) << c.name << ": " << n.error->msg;
    EXPECT_EQ(n.error->status, 400u) << c.name;
    EXPECT_EQ(n.reason, c.reason) << c.name;
    EXPECT_FALSE(n.error->msg.empty()) << c.name;
  }
}

// ---- replies ----

OrderRecord record() {
  OrderRecord o;
  o.id = OrderId{42};
  o.client_order_id = "c-1";
  o.symbol = 0;
  o.side = Side::Buy;
  o.type = OrderType::Limit;
  o.tif = TimeInForce::Gtc;
  o.price = 10025;  // 100.25
  o.qty = 1500;     // 1.500
  o.executed = 500;
  o.status = OrderStatus::PartiallyFilled;
  return o;
}

TEST(BinanceReplies, NewOrderAckResultFull) {
  const SymbolTable t = symbols();
  // Fees in the asset received (BTC for this buy, 8 decimals): 0.00075 and none.
  const std::vector<Fill> fills = {{TradeId{7}, 10000, 300, 1200, 75'000},
                                   {TradeId{8}, 10025, 200, 1000, 0}};
  const json ack = json::parse(new_order_json(record(), fills, t.spec(0), RespType::Ack, 1234));
  EXPECT_EQ(ack, json::parse(R"({"symbol":"BTCUSDT","orderId":42,"orderListId":-1,
                                 "clientOrderId":"c-1","transactTime":1234})"));
  const json result =
      json::parse(new_order_json(record(), fills, t.spec(0), RespType::Result, 1234));
  EXPECT_EQ(result, json::parse(R"({"symbol":"BTCUSDT","orderId":42,"orderListId":-1,
      "clientOrderId":"c-1","transactTime":1234,"price":"100.25","origQty":"1.500",
      "executedQty":"0.500","origQuoteOrderQty":"0.00000000","cummulativeQuoteQty":"50.05000",
      "status":"PARTIALLY_FILLED","timeInForce":"GTC","type":"LIMIT","side":"BUY",
      "workingTime":1234,"selfTradePreventionMode":"NONE"})"));
  const json full = json::parse(new_order_json(record(), fills, t.spec(0), RespType::Full, 1234));
  json expected = result;
  expected["fills"] = json::parse(R"([
      {"price":"100.00","qty":"0.300","commission":"0.00075000","commissionAsset":"BTC",
       "tradeId":7},
      {"price":"100.25","qty":"0.200","commission":"0.00000000","commissionAsset":"BTC",
       "tradeId":8}])");
  EXPECT_EQ(full, expected);
  // orderId is a JSON integer; decimals are strings.
  EXPECT_TRUE(full["orderId"].is_number_integer());
  EXPECT_TRUE(full["price"].is_string());
  // A MARKET SELL: price 0, commission in the quote asset.
  OrderRecord sell = record();
  sell.type = OrderType::Market;
  sell.side = Side::Sell;
  sell.tif = TimeInForce::Ioc;
  const json m = json::parse(new_order_json(sell, fills, t.spec(0), RespType::Full, 1));
  EXPECT_EQ(m["price"], "0.00");
  EXPECT_EQ(m["type"], "MARKET");
  EXPECT_EQ(m["fills"][0]["commissionAsset"], "USDT");
}

TEST(BinanceReplies, QueriedOrderWithAndWithoutTimes) {
  const SymbolTable t = symbols();
  OrderView v{record()};
  json j = json::parse(order_json(v, t.spec(0)));
  // Executed but the quote amount of its fills unknown: cummulativeQuoteQty left out;
  // times unknown (from memory): left out.
  EXPECT_EQ(j, json::parse(R"({"symbol":"BTCUSDT","orderId":42,"orderListId":-1,
      "clientOrderId":"c-1","price":"100.25","origQty":"1.500","executedQty":"0.500",
      "status":"PARTIALLY_FILLED","timeInForce":"GTC","type":"LIMIT","side":"BUY",
      "stopPrice":"0.00","icebergQty":"0.000","isWorking":true,"origQuoteOrderQty":"0.00000000",
      "selfTradePreventionMode":"NONE"})"));
  v.order.executed = 0;
  v.order.status = OrderStatus::Canceled;
  v.time_ms = 1000;
  v.update_time_ms = 2000;
  j = json::parse(order_json(v, t.spec(0)));
  EXPECT_EQ(j["cummulativeQuoteQty"], "0.00000");
  EXPECT_EQ(j["time"], 1000);
  EXPECT_EQ(j["workingTime"], 1000);
  EXPECT_EQ(j["updateTime"], 2000);
  EXPECT_EQ(j["isWorking"], false);
  EXPECT_EQ(j["status"], "CANCELED");
  const json list = json::parse(orders_json({v, v}, t));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1], j);
}

TEST(BinanceReplies, Canceled) {
  const SymbolTable t = symbols();
  OrderRecord o = record();
  o.status = OrderStatus::Canceled;
  o.executed = 0;
  const json j = json::parse(canceled_json(o, t.spec(0), "cancel-9", 77));
  EXPECT_EQ(j, json::parse(R"({"symbol":"BTCUSDT","origClientOrderId":"c-1","orderId":42,
      "orderListId":-1,"clientOrderId":"cancel-9","transactTime":77,"price":"100.25",
      "origQty":"1.500","executedQty":"0.000","cummulativeQuoteQty":"0.00000",
      "status":"CANCELED","timeInForce":"GTC","type":"LIMIT","side":"BUY",
      "selfTradePreventionMode":"NONE"})"));
  const json list = json::parse(canceled_list_json({o}, t, 77));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["clientOrderId"], "c-1");
}

// The order routes' replies are written by hand. The reference: each built as a
// nlohmann::json document, as they were before. Equal as JSON values (a document's
// members come out in byte order, the hand-written ones in Binance's), for random
// orders, fills and client order ids (quotes, backslashes and control characters
// included, which the API refuses but the writer must still escape).
namespace reference {

json head(const OrderRecord& o, const SymbolSpec& spec) {
  return json{{"symbol", binance_symbol(spec.name)},
              {"orderId", o.id.value},
              {"orderListId", -1},
              {"clientOrderId", o.client_order_id}};
}

void put_state(json& j, const OrderRecord& o, const SymbolSpec& spec) {
  j["price"] = format_steps(o.type == OrderType::Market ? 0 : o.price, spec.tick_size);
  j["origQty"] = format_steps(o.qty, spec.lot_size);
  j["executedQty"] = format_steps(o.executed, spec.lot_size);
}

void put_kind(json& j, const OrderRecord& o) {
  j["status"] = to_string(o.status);
  j["timeInForce"] = to_string(o.tif);
  j["type"] = o.post_only ? std::string_view("LIMIT_MAKER") : to_string(o.type);
  j["side"] = to_string(o.side);
}

json order(const OrderView& view, const SymbolSpec& spec) {
  const OrderRecord& o = view.order;
  json j = head(o, spec);
  put_state(j, o, spec);
  if (o.executed == 0) j["cummulativeQuoteQty"] = quote_qty(0, 0, spec);
  put_kind(j, o);
  j["stopPrice"] = format_steps(0, spec.tick_size);
  j["icebergQty"] = format_steps(0, spec.lot_size);
  if (view.time_ms >= 0) {
    j["time"] = view.time_ms;
    j["workingTime"] = view.time_ms;
  }
  if (view.update_time_ms >= 0) j["updateTime"] = view.update_time_ms;
  j["isWorking"] = !is_terminal(o.status);
  j["origQuoteOrderQty"] = http::format_units(o.quote_qty, spec.quote_decimals);
  j["selfTradePreventionMode"] = "NONE";
  return j;
}

json new_order(const OrderRecord& o, const std::vector<Fill>& fills, const SymbolSpec& spec,
               RespType resp, std::int64_t transact_ms) {
  json j = head(o, spec);
  j["transactTime"] = transact_ms;
  if (resp == RespType::Ack) return j;
  put_state(j, o, spec);
  j["origQuoteOrderQty"] = http::format_units(o.quote_qty, spec.quote_decimals);
  Int128 sum = 0;
  for (const Fill& f : fills) sum += static_cast<Int128>(f.price) * f.qty;
  j["cummulativeQuoteQty"] = http::quote_text(sum, spec);
  put_kind(j, o);
  j["workingTime"] = transact_ms;
  j["selfTradePreventionMode"] = "NONE";
  if (resp == RespType::Full) {
    const bool buys = o.side == Side::Buy;
    const std::string fee_asset = buys ? base_asset_of(spec) : quote_asset_of(spec);
    const int fee_decimals = buys ? spec.base_decimals : spec.quote_decimals;
    json list = json::array();
    for (const Fill& f : fills) {
      list.push_back({{"price", format_steps(f.price, spec.tick_size)},
                      {"qty", format_steps(f.qty, spec.lot_size)},
                      {"commission", http::format_units(f.fee, fee_decimals)},
                      {"commissionAsset", fee_asset},
                      {"tradeId", f.trade_id.value}});
    }
    j["fills"] = std::move(list);
  }
  return j;
}

json canceled(const OrderRecord& o, const SymbolSpec& spec, std::string_view cancel_client_id,
              std::int64_t transact_ms) {
  json j{{"symbol", binance_symbol(spec.name)},
         {"origClientOrderId", o.client_order_id},
         {"orderId", o.id.value},
         {"orderListId", -1},
         {"clientOrderId", cancel_client_id},
         {"transactTime", transact_ms}};
  put_state(j, o, spec);
  if (o.executed == 0) j["cummulativeQuoteQty"] = quote_qty(0, 0, spec);
  put_kind(j, o);
  j["selfTradePreventionMode"] = "NONE";
  return j;
}

}  // namespace reference

TEST(BinanceReplies, HandWrittenOrderRepliesEqualANlohmannDocumentForRandomOrders) {
  const SymbolTable t = symbols();
  int compared = 0;
  RandomOrders random(20261207);
  for (int i = 0; i < 2'000; ++i) {
    const OrderRecord o = random.order(i);
    const std::vector<Fill> fills = random.fills();
    const SymbolSpec& spec = t.spec(o.symbol);
    const auto resp = static_cast<RespType>(random.pick(3));
    const auto ms = static_cast<std::int64_t>(random.next() >> (1 + random.pick(40)));
    OrderView view{o};
    if (random.pick(2) == 0) view.time_ms = ms;
    if (random.pick(2) == 0)
      view.update_time_ms = ms + static_cast<std::int64_t>(random.pick(1000));
    const std::string cancel_id = random.text();
    // nlohmann's dump refuses text that is not UTF-8 (a lone byte of "é"), and its
    // parser too, so there is a reference only for valid text; the writer passes such
    // bytes on as they are.
    std::string new_ref, order_ref, canceled_ref;
    try {
      new_ref = reference::new_order(o, fills, spec, resp, ms).dump();
      order_ref = reference::order(view, spec).dump();
      canceled_ref = reference::canceled(o, spec, cancel_id, ms).dump();
    } catch (const json::type_error&) {
      continue;
    }
    ASSERT_EQ(json::parse(new_order_json(o, fills, spec, resp, ms)).dump(), new_ref) << i;
    ASSERT_EQ(json::parse(order_json(view, spec)).dump(), order_ref) << i;
    ASSERT_EQ(json::parse(canceled_json(o, spec, cancel_id, ms)).dump(), canceled_ref) << i;
    ASSERT_EQ(json::parse(orders_json({view, view}, t)).dump(),
              "[" + order_ref + "," + order_ref + "]")
        << i;
    ASSERT_EQ(json::parse(canceled_list_json({o}, t, ms)).dump(),
              "[" + reference::canceled(o, spec, o.client_order_id, ms).dump() + "]")
        << i;
    ++compared;
  }
  EXPECT_GT(compared, 500);  // of 2,000: most client ids are valid text
}

// The members of each order reply, in the order Binance's documentation lists them.
std::vector<std::string> member_order(const std::string& text) {
  std::vector<std::string> out;
  const auto j = nlohmann::ordered_json::parse(text);
  for (const auto& [k, v] : j.items()) out.push_back(k);
  return out;
}

TEST(BinanceReplies, MembersInTheOrderBinanceDocuments) {
  const SymbolTable t = symbols();
  const std::vector<Fill> fills = {{TradeId{7}, 10000, 300, 1200, 75'000}};
  using Names = std::vector<std::string>;
  const Names ack = {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"};
  EXPECT_EQ(member_order(new_order_json(record(), fills, t.spec(0), RespType::Ack, 1)), ack);
  Names result = ack;
  for (const char* name :
       {"price", "origQty", "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty", "status",
        "timeInForce", "type", "side", "workingTime", "selfTradePreventionMode"}) {
    result.push_back(name);
  }
  EXPECT_EQ(member_order(new_order_json(record(), fills, t.spec(0), RespType::Result, 1)), result);
  Names full = result;
  full.push_back("fills");
  const std::string full_text = new_order_json(record(), fills, t.spec(0), RespType::Full, 1);
  EXPECT_EQ(member_order(full_text), full);
  EXPECT_EQ(member_order(nlohmann::ordered_json::parse(full_text)["fills"][0].dump()),
            (Names{"price", "qty", "commission", "commissionAsset", "tradeId"}));

  OrderView v{record()};
  v.order.executed = 0;
  v.time_ms = 1000;
  v.update_time_ms = 2000;
  EXPECT_EQ(member_order(order_json(v, t.spec(0))), (Names{"symbol",
                                                           "orderId",
                                                           "orderListId",
                                                           "clientOrderId",
                                                           "price",
                                                           "origQty",
                                                           "executedQty",
                                                           "cummulativeQuoteQty",
                                                           "status",
                                                           "timeInForce",
                                                           "type",
                                                           "side",
                                                           "stopPrice",
                                                           "icebergQty",
                                                           "time",
                                                           "updateTime",
                                                           "isWorking",
                                                           "workingTime",
                                                           "origQuoteOrderQty",
                                                           "selfTradePreventionMode"}));
  EXPECT_EQ(member_order(canceled_json(v.order, t.spec(0), "x", 1)),
            (Names{"symbol", "origClientOrderId", "orderId", "orderListId", "clientOrderId",
                   "transactTime", "price", "origQty", "executedQty", "cummulativeQuoteQty",
                   "status", "timeInForce", "type", "side", "selfTradePreventionMode"}));
}

TEST(BinanceReplies, ExchangeInfo) {
  const SymbolTable t = symbols();
  const json j = json::parse(exchange_info_json(t, 555, 50'000));
  EXPECT_EQ(keys(j), (std::set<std::string>{"timezone", "serverTime", "rateLimits",
                                            "exchangeFilters", "symbols"}));
  EXPECT_EQ(j["serverTime"], 555);
  EXPECT_EQ(j["rateLimits"], json::parse(R"([{"rateLimitType":"ORDERS","interval":"SECOND",
                                              "intervalNum":1,"limit":50000}])"));
  ASSERT_EQ(j["symbols"].size(), 2u);
  const json& s = j["symbols"][0];
  EXPECT_EQ(s, json::parse(R"({"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC",
      "baseAssetPrecision":3,"quoteAsset":"USDT","quotePrecision":5,"quoteAssetPrecision":5,
      "baseCommissionPrecision":3,"quoteCommissionPrecision":5,"orderTypes":["LIMIT","LIMIT_MAKER","MARKET"],
      "icebergAllowed":false,"ocoAllowed":false,"otoAllowed":false,
      "quoteOrderQtyMarketAllowed":true,"allowTrailingStop":false,"cancelReplaceAllowed":false,
      "isSpotTradingAllowed":true,"isMarginTradingAllowed":false,
      "filters":[
        {"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"100000.00","tickSize":"0.01"},
        {"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000.000","stepSize":"0.001"},
        {"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"1000.000","stepSize":"0.001"},
        {"filterType":"NOTIONAL","minNotional":"0.00001","applyMinToMarket":false,
         "maxNotional":"100000000.00000","applyMaxToMarket":false,"avgPriceMins":0}],
      "permissions":["SPOT"],"permissionSets":[["SPOT"]],
      "defaultSelfTradePreventionMode":"NONE","allowedSelfTradePreventionModes":["NONE"]})"));
  EXPECT_EQ(j["symbols"][1]["filters"][0]["tickSize"], "0.05");
  EXPECT_EQ(j["symbols"][1]["symbol"], "ETHUSDT");
}

TEST(BinanceReplies, DepthTickers) {
  const SymbolTable t = symbols();
  DepthReply d;
  d.bids = {{10000, 2000}, {9990, 1}};
  d.asks = {{10025, 1500}};
  EXPECT_EQ(json::parse(depth_json(d, t.spec(0))),
            json::parse(R"({"lastUpdateId":0,"bids":[["100.00","2.000"],["99.90","0.001"]],
                            "asks":[["100.25","1.500"]]})"));
  EXPECT_EQ(json::parse(book_ticker_json(d, t.spec(0))),
            json::parse(R"({"symbol":"BTCUSDT","bidPrice":"100.00","bidQty":"2.000",
                            "askPrice":"100.25","askQty":"1.500"})"));
  DepthReply empty;
  EXPECT_EQ(json::parse(book_ticker_json(empty, t.spec(0))),
            json::parse(R"({"symbol":"BTCUSDT","bidPrice":"0.00","bidQty":"0.000",
                            "askPrice":"0.00","askQty":"0.000"})"));
  d.update_id = 42;
  EXPECT_EQ(json::parse(depth_json(d, t.spec(0)))["lastUpdateId"], 42);
}

// A ticker with no trade in its window: zeros, ids -1, the live book.
TEST(BinanceReplies, TickerWithoutTrades) {
  const SymbolTable t = symbols();
  TickerReply r;
  SymbolTicker s;
  s.symbol = 0;
  s.bid = {10000, 2000, 1};
  s.ask = {10025, 1500, 1};
  s.day.open_time_ns = 13'600'000'000'000;
  s.day.close_time_ns = 100'000'000'000'000;
  r.tickers.push_back(s);
  const json h = json::parse(ticker_24hr_json(r, t, std::vector<SymbolId>{0}, true));
  EXPECT_EQ(h, json::parse(R"({"symbol":"BTCUSDT","priceChange":"0.00",
      "priceChangePercent":"0.000","weightedAvgPrice":"0.00","prevClosePrice":"0.00",
      "lastPrice":"0.00","lastQty":"0.000","bidPrice":"100.00","bidQty":"2.000",
      "askPrice":"100.25","askQty":"1.500","openPrice":"0.00","highPrice":"0.00",
      "lowPrice":"0.00","volume":"0.000","quoteVolume":"0.00000","openTime":13600000,
      "closeTime":100000000,"firstId":-1,"lastId":-1,"count":0})"));
}

TEST(BinanceReplies, TickersOfTrades) {
  const SymbolTable t = symbols();
  TickerReply r;
  SymbolTicker btc;
  btc.symbol = 0;
  btc.traded = true;
  DayStats& d = btc.day;
  d.open_time_ns = 1'000'000;
  d.close_time_ns = 86'401'000'000'000;
  d.open = 10000;  // 100.00
  d.high = 10500;
  d.low = 9900;
  d.last = 10250;
  d.last_qty = 250;
  d.prev_close = 9950;
  d.volume = 3000;                               // 3.000
  d.quote_volume = 10000 * 1000 + 10500 * 2000;  // 31,000,000 tick-lots = 310.00000
  d.count = 7;
  d.first_id = 11;
  d.last_id = 17;
  SymbolTicker eth;
  eth.symbol = 1;
  r.tickers = {btc, eth};
  const json one = json::parse(ticker_24hr_json(r, t, std::vector<SymbolId>{0}, true));
  EXPECT_EQ(one, json::parse(R"({"symbol":"BTCUSDT","priceChange":"2.50",
      "priceChangePercent":"2.500","weightedAvgPrice":"103.33","prevClosePrice":"99.50",
      "lastPrice":"102.50","lastQty":"0.250","bidPrice":"0.00","bidQty":"0.000",
      "askPrice":"0.00","askQty":"0.000","openPrice":"100.00","highPrice":"105.00",
      "lowPrice":"99.00","volume":"3.000","quoteVolume":"310.00000","openTime":1,
      "closeTime":86401000,"firstId":11,"lastId":17,"count":7})"));
  // All, and a list in its own order.
  const json all = json::parse(ticker_24hr_json(r, t, std::nullopt, false));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1]["symbol"], "ETHUSDT");
  const json listed = json::parse(ticker_price_json(r, t, std::vector<SymbolId>{1, 0}, false));
  EXPECT_EQ(listed, json::parse(R"([{"symbol":"ETHUSDT","price":"0.00"},
                                    {"symbol":"BTCUSDT","price":"102.50"}])"));
  EXPECT_EQ(json::parse(ticker_price_json(r, t, std::vector<SymbolId>{0}, true)),
            json::parse(R"({"symbol":"BTCUSDT","price":"102.50"})"));
}

TEST(BinanceReplies, TradesAndAggTrades) {
  const SymbolTable t = symbols();
  TradesReply r;
  r.trades = {PublicTrade{5, 5, 10025, 500, 1'700'000'123'456, false},
              PublicTrade{6, 8, 10000, 1, 1'800'000'000'000, true}};
  EXPECT_EQ(json::parse(trades_json(r, t.spec(0))), json::parse(R"([
      {"id":5,"price":"100.25","qty":"0.500","quoteQty":"50.12500","time":1700000,
       "isBuyerMaker":false,"isBestMatch":true},
      {"id":6,"price":"100.00","qty":"0.001","quoteQty":"0.10000","time":1800000,
       "isBuyerMaker":true,"isBestMatch":true}])"));
  EXPECT_EQ(json::parse(agg_trades_json(r, t.spec(0))), json::parse(R"([
      {"a":5,"p":"100.25","q":"0.500","f":5,"l":5,"T":1700000,"m":false,"M":true},
      {"a":6,"p":"100.00","q":"0.001","f":6,"l":8,"T":1800000,"m":true,"M":true}])"));
}

TEST(BinanceParams, TickerSymbols) {
  const SymbolTable t = symbols();
  auto parse = [&t](std::string_view query, std::optional<std::vector<SymbolId>>* out, bool* one) {
    Params p;
    EXPECT_FALSE(parse_params(query, "", 64, &p).has_value());
    return ticker_symbols(p, t, out, one);
  };
  std::optional<std::vector<SymbolId>> wanted;
  bool one = true;
  EXPECT_FALSE(parse("", &wanted, &one).has_value());
  EXPECT_FALSE(wanted.has_value());
  EXPECT_FALSE(one);
  EXPECT_FALSE(parse("symbol=ETHUSDT", &wanted, &one).has_value());
  EXPECT_TRUE(one);
  EXPECT_EQ(*wanted, (std::vector<SymbolId>{1}));
  EXPECT_FALSE(parse("symbols=%5B%22ETHUSDT%22,%22BTCUSDT%22%5D", &wanted, &one).has_value());
  EXPECT_FALSE(one);
  EXPECT_EQ(*wanted, (std::vector<SymbolId>{1, 0}));
  EXPECT_EQ(parse("symbol=NOPE", &wanted, &one)->code, -1121);
  EXPECT_EQ(parse("symbols=%5B%22NOPE%22%5D", &wanted, &one)->code, -1121);
  EXPECT_EQ(parse("symbols=%5B%5D", &wanted, &one)->code, -1100);
  EXPECT_EQ(parse("symbols=%5B1%5D", &wanted, &one)->code, -1100);
  EXPECT_EQ(parse("symbol=BTCUSDT&symbols=%5B%22BTCUSDT%22%5D", &wanted, &one)->code, -1101);
}

TEST(BinanceReplies, AccountAndMyTrades) {
  const SymbolTable t = symbols();
  const json a = json::parse(account_json(AccountId{5}, "[]", 99));
  EXPECT_EQ(a, json::parse(R"({"makerCommission":0,"takerCommission":0,"buyerCommission":0,
      "sellerCommission":0,"commissionRates":{"maker":"0.00000000","taker":"0.00000000",
      "buyer":"0.00000000","seller":"0.00000000"},"canTrade":true,"canWithdraw":false,
      "canDeposit":false,"brokered":false,"requireSelfTradePrevention":false,"preventSor":false,
      "updateTime":99,"accountType":"SPOT","balances":[],"permissions":["SPOT"],"uid":5})"));
  const json b = json::parse(
      account_json(AccountId{5}, R"([{"asset":"BTC","free":"1.000","locked":"0.000"}])", 99));
  EXPECT_EQ(b["balances"][0]["asset"], "BTC");
  const json trades =
      json::parse(my_trades_json({MyTrade{9, 42, 0, 10025, 500, true, false, 1700, 125'000},
                                  MyTrade{10, 43, 0, 10000, 1, false, true, 1800, 10'000}},
                                 t));
  EXPECT_EQ(trades, json::parse(R"([
      {"symbol":"BTCUSDT","id":9,"orderId":42,"orderListId":-1,"price":"100.25","qty":"0.500",
       "quoteQty":"50.12500","commission":"0.00125000","commissionAsset":"BTC","time":1700,
       "isBuyer":true,"isMaker":false,"isBestMatch":true},
      {"symbol":"BTCUSDT","id":10,"orderId":43,"orderListId":-1,"price":"100.00","qty":"0.001",
       "quoteQty":"0.10000","commission":"0.00010000","commissionAsset":"USDT","time":1800,
       "isBuyer":false,"isMaker":true,"isBestMatch":true}])"));
}

TEST(BinanceErrors, CodesAndStatusesAsBinanceDocuments) {
  EXPECT_EQ(unknown_order_cancel().code, -2011);
  EXPECT_EQ(unknown_order_cancel().status, 400u);
  EXPECT_EQ(unknown_order_cancel().msg, "Unknown order sent.");
  EXPECT_EQ(unknown_order_query().code, -2013);
  EXPECT_EQ(unknown_order_query().status, 400u);
  EXPECT_EQ(unknown_order_query().msg, "Order does not exist.");
  EXPECT_EQ(bad_api_key_format().code, -2014);
  EXPECT_EQ(bad_api_key_format().status, 401u);
  EXPECT_EQ(bad_api_key().code, -2015);
  EXPECT_EQ(bad_api_key().status, 401u);
  EXPECT_EQ(bad_signature().code, -1022);
  EXPECT_EQ(bad_signature().status, 400u);
  EXPECT_EQ(bad_signature().msg, "Signature for this request is not valid.");
  EXPECT_EQ(bad_symbol().code, -1121);
  EXPECT_EQ(bad_symbol().msg, "Invalid symbol.");
  EXPECT_EQ(error_for(RejectReason::RateLimited).status, 429u);
  EXPECT_EQ(error_for(RejectReason::RateLimited).code, -1003);
  EXPECT_EQ(error_for(RejectReason::BadPrice).code, -1013);
  EXPECT_EQ(error_for(RejectReason::BadPrice).msg, "Filter failure: PRICE_FILTER");
  EXPECT_EQ(error_for(RejectReason::BadQuantity).msg, "Filter failure: LOT_SIZE");
  EXPECT_EQ(error_for(RejectReason::UnknownOrder).code, -2013);
  EXPECT_EQ(error_for(RejectReason::DuplicateClientOrderId).code, -2010);
  EXPECT_EQ(error_for(RejectReason::NotReady).status, 503u);
  EXPECT_EQ(missing("symbol").msg,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
}

}  // namespace
}  // namespace spot::proto::binance
