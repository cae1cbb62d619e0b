// The trader HTTP API's codec (proto/http_json): order parsing, JSON output, error mapping.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "proto/order_fields_reference.h"
#include "proto/random_order.h"
#include "spot/proto/http_json.h"

namespace spot::proto::http {
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

struct ValidCase {
  const char* name;
  const char* body;
  SymbolId symbol;
  Side side;
  OrderType type;
  TimeInForce tif;
  Ticks price;
  Lots qty;
  const char* client_order_id;
};

TEST(ParseOrder, ValidOrders) {
  const SymbolTable m = symbols();
  const std::vector<ValidCase> cases = {
      {"limit with everything",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"GTC",
           "quantity":"1.5","price":"100.25","clientOrderId":"my-order_1:a.b"})",
       0, Side::Buy, OrderType::Limit, TimeInForce::Gtc, 10'025, 1'500, "my-order_1:a.b"},
      {"limit defaults to GTC",
       R"({"symbol":"BTC-USDT","side":"SELL","type":"LIMIT","quantity":"0.001","price":"0.01"})", 0,
       Side::Sell, OrderType::Limit, TimeInForce::Gtc, 1, 1, ""},
      {"limit IOC", R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"IOC",
           "quantity":"2","price":"100000"})",
       0, Side::Buy, OrderType::Limit, TimeInForce::Ioc, 10'000'000, 2'000, ""},
      {"limit FOK on the second symbol",
       R"({"symbol":"ETH-USDT","side":"SELL","type":"LIMIT","timeInForce":"FOK",
           "quantity":"3.25","price":"2000.05"})",
       1, Side::Sell, OrderType::Limit, TimeInForce::Fok, 40'001, 325, ""},
      {"market defaults to IOC",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","quantity":"0.5"})", 0, Side::Buy,
       OrderType::Market, TimeInForce::Ioc, 0, 500, ""},
      {"market FOK",
       R"({"symbol":"BTC-USDT","side":"SELL","type":"MARKET","timeInForce":"FOK","quantity":"1000"})",
       0, Side::Sell, OrderType::Market, TimeInForce::Fok, 0, 1'000'000, ""},
      {"trailing zeros on the grid",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","quantity":"1.500000","price":"99.9000"})",
       0, Side::Buy, OrderType::Limit, TimeInForce::Gtc, 9'990, 1'500, ""},
      {"unknown fields are ignored",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","quantity":"1","price":"1","extra":[1]})",
       0, Side::Buy, OrderType::Limit, TimeInForce::Gtc, 100, 1'000, ""},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.name);
    const ParsedOrder p = parse_order(c.body, m);
    ASSERT_FALSE(p.error) << p.error->status << " " << p.error->code << " " << p.error->msg;
    EXPECT_EQ(p.order.symbol, c.symbol);
    EXPECT_EQ(p.order.side, c.side);
    EXPECT_EQ(p.order.type, c.type);
    EXPECT_EQ(p.order.tif, c.tif);
    if (c.type == OrderType::Limit) {
      EXPECT_EQ(p.order.price, c.price);
    }
    EXPECT_EQ(p.order.qty, c.qty);
    EXPECT_EQ(p.order.client_order_id, c.client_order_id);
    EXPECT_EQ(p.order.client_token, 0u);
  }
}

struct ErrorCase {
  const char* name;
  std::string body;
  unsigned status;
  int code;
};

std::string order_with(const std::string& fields) {
  return R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT",)" + fields + "}";
}

// read_order_fields reads the body in one SAX pass. The reference: a nlohmann document
// of the body, as parse_order read it before (proto/order_fields_reference.h). They must agree on
// every body: the well-formed, the broken, the nested, members named twice, members of other types.
TEST(ReadOrderFields, AgreesWithANlohmannDocumentOnEveryBody) {
  const std::vector<std::string> fixed = {
      R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","price":"1.00","quantity":"2"})",
      R"({"symbol":"BTC-USDT","symbol":"ETH-USDT"})",
      R"({"symbol":"BTC-USDT","symbol":5})",
      R"({"symbol":5,"symbol":"ETH-USDT"})",
      R"({"price":{"symbol":"X","price":"1"},"side":["BUY"],"type":null})",
      R"({"quantity":1.5e3,"timeInForce":true,"clientOrderId":"a\"b\\c\u00e9"})",
      R"({"x":{"y":{"z":[1,{"symbol":"in"}]}},"symbol":"out"})",
      R"([{"symbol":"BTC-USDT"}])",
      R"("symbol")",
      "5",
      "null",
      "",
      "{",
      "{}",
      "{} {}",
      "{}x",
      R"({"symbol":"BTC-USDT",})",
      R"({"symbol" "BTC-USDT"})",
      "\xef\xbb\xbf{}",
      R"({"symbol":"\ud800"})",
      "{\"symbol\":\"\xc3\"}",
      " \n{ \"side\" : \"SELL\" } \t",
  };
  for (const std::string& body : fixed) {
    EXPECT_EQ(read_order_fields(body), reference_order_fields(body)) << body;
  }
  // Random bodies from fragments: members, nesting, and the odd broken byte.
  const std::vector<std::string> parts = {"{",
                                          "}",
                                          "[",
                                          "]",
                                          ",",
                                          ":",
                                          "\"symbol\"",
                                          "\"side\"",
                                          "\"type\"",
                                          "\"price\"",
                                          "\"quantity\"",
                                          "\"quoteOrderQty\"",
                                          "\"timeInForce\"",
                                          "\"clientOrderId\"",
                                          "\"other\"",
                                          "\"BTC-USDT\"",
                                          "\"BUY\"",
                                          "\"1.25\"",
                                          "12",
                                          "-0.5e2",
                                          "true",
                                          "null",
                                          " ",
                                          "\"\\u0041\"",
                                          "\"a\\\"b\""};
  std::mt19937_64 rng(7);
  int objects = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string body;
    if (rng() % 2 == 0) {
      // Mostly well-formed: an object of random members, some nested.
      body = "{";
      for (std::uint64_t m = rng() % 6; m > 0; --m) {
        body += parts[6 + rng() % 9] + ":";
        switch (rng() % 4) {
          case 0:
            body += "{" + parts[6 + rng() % 9] + ":" + parts[15 + rng() % 10] + "}";
            break;
          case 1:
            body += "[" + parts[15 + rng() % 10] + "]";
            break;
          default:
            body += parts[15 + rng() % 10];
        }
        if (m > 1) body += ",";
      }
      body += "}";
      if (rng() % 10 == 0) body.insert(rng() % body.size(), 1, static_cast<char>(rng() % 256));
    } else {
      for (std::uint64_t k = rng() % 12; k > 0; --k) body += parts[rng() % parts.size()];
    }
    const OrderFields want = reference_order_fields(body);
    objects += want.object ? 1 : 0;
    ASSERT_EQ(read_order_fields(body), want) << body;
  }
  EXPECT_GT(objects, 5'000);
}

TEST(ParseOrder, ErrorsCarryStatusAndCode) {
  const SymbolTable m = symbols();
  const std::string qp = R"("quantity":"1","price":"100")";
  const std::vector<ErrorCase> cases = {
      {"not JSON", "{symbol: BTC", 400, -1100},
      {"empty body", "", 400, -1100},
      {"array", R"([{"symbol":"BTC-USDT"}])", 400, -1100},
      {"string", R"("BTC-USDT")", 400, -1100},
      {"missing symbol", R"({"side":"BUY","type":"LIMIT","quantity":"1","price":"1"})", 400, -1102},
      {"symbol not a string",
       R"({"symbol":7,"side":"BUY","type":"LIMIT","quantity":"1","price":"1"})", 400, -1102},
      {"unknown symbol",
       R"({"symbol":"DOGE-EUR","side":"BUY","type":"LIMIT","quantity":"1","price":"1"})", 400,
       -1121},
      {"symbol case matters",
       R"({"symbol":"btc-usdt","side":"BUY","type":"LIMIT","quantity":"1","price":"1"})", 400,
       -1121},
      {"bad side",
       R"({"symbol":"BTC-USDT","side":"buy","type":"LIMIT","quantity":"1","price":"1"})", 400,
       -1117},
      {"missing side", R"({"symbol":"BTC-USDT","type":"LIMIT","quantity":"1","price":"1"})", 400,
       -1117},
      {"bad type", R"({"symbol":"BTC-USDT","side":"BUY","type":"STOP","quantity":"1","price":"1"})",
       400, -1116},
      {"missing type", R"({"symbol":"BTC-USDT","side":"BUY","quantity":"1","price":"1"})", 400,
       -1116},
      {"bad timeInForce", order_with(R"("timeInForce":"DAY",)" + qp), 400, -1115},
      {"timeInForce not a string", order_with(R"("timeInForce":1,)" + qp), 400, -1115},
      {"timeInForce null", order_with(R"("timeInForce":null,)" + qp), 400, -1115},
      {"MARKET with GTC",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","timeInForce":"GTC","quantity":"1"})",
       400, -1116},
      {"quantity missing", order_with(R"("price":"100")"), 400, -1102},
      {"quantity as a number", order_with(R"("quantity":1.5,"price":"100")"), 400, -1102},
      {"quantity off the lot grid", order_with(R"("quantity":"0.0005","price":"100")"), 400, -1013},
      {"quantity zero", order_with(R"("quantity":"0","price":"100")"), 400, -1013},
      {"quantity negative", order_with(R"("quantity":"-1","price":"100")"), 400, -1013},
      {"quantity above max", order_with(R"("quantity":"1000.001","price":"100")"), 400, -1013},
      {"quantity not a decimal", order_with(R"("quantity":"1e3","price":"100")"), 400, -1013},
      {"quantity empty", order_with(R"("quantity":"","price":"100")"), 400, -1013},
      {"price missing for LIMIT", order_with(R"("quantity":"1")"), 400, -1102},
      {"price as a number", order_with(R"("quantity":"1","price":100)"), 400, -1102},
      {"price off the tick grid", order_with(R"("quantity":"1","price":"100.001")"), 400, -1013},
      {"price zero", order_with(R"("quantity":"1","price":"0")"), 400, -1013},
      {"price above max", order_with(R"("quantity":"1","price":"100000.01")"), 400, -1013},
      {"price off the second symbol's grid",
       R"({"symbol":"ETH-USDT","side":"BUY","type":"LIMIT","quantity":"1","price":"10.01"})", 400,
       -1013},
      {"price with MARKET",
       R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","quantity":"1","price":"100"})", 400,
       -1106},
      {"clientOrderId empty", order_with(qp + R"(,"clientOrderId":"")"), 400, -1100},
      {"clientOrderId with a space", order_with(qp + R"(,"clientOrderId":"a b")"), 400, -1100},
      {"clientOrderId with a slash", order_with(qp + R"(,"clientOrderId":"a/b")"), 400, -1100},
      {"clientOrderId too long",
       order_with(qp + R"(,"clientOrderId":")" + std::string(65, 'c') + "\""), 400, -1100},
      {"clientOrderId a number", order_with(qp + R"(,"clientOrderId":42)"), 400, -1100},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    const ParsedOrder p = parse_order(c.body, m);
    ASSERT_TRUE(p.error) << c.body;
    EXPECT_EQ(p.error->status, c.status);
    EXPECT_EQ(p.error->code, c.code);
    EXPECT_FALSE(p.error->msg.empty());
  }
}

TEST(ParseOrder, LimitMakerIsAPostOnlyLimitAndQuoteOrderQtyAMarketBuyByAmount) {
  const SymbolTable m = symbols();
  ParsedOrder p = parse_order(
      R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT_MAKER","quantity":"1","price":"100"})", m);
  ASSERT_FALSE(p.error) << p.error->msg;
  EXPECT_TRUE(p.order.post_only);
  EXPECT_EQ(p.order.type, OrderType::Limit);
  EXPECT_EQ(p.order.tif, TimeInForce::Gtc);
  p = parse_order(R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT_MAKER","timeInForce":"IOC",
                      "quantity":"1","price":"100"})",
                  m);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->code, -1116);
  p = parse_order(R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","quoteOrderQty":"250.5"})",
                  m);
  ASSERT_FALSE(p.error) << p.error->msg;
  EXPECT_EQ(p.order.quote_qty, 25'050'000'000);  // USDT has 8 decimals
  EXPECT_EQ(p.order.qty, 0);
  for (const char* body :
       {R"({"symbol":"BTC-USDT","side":"SELL","type":"MARKET","quoteOrderQty":"1"})",
        R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","quoteOrderQty":"1","quantity":"1"})",
        R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","quoteOrderQty":"0"})",
        R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","quoteOrderQty":"0.000000001"})"}) {
    EXPECT_TRUE(parse_order(body, m).error) << body;
  }
  OrderRecord r;
  r.post_only = true;
  EXPECT_NE(order_json(r, m.spec(0), nullptr).find(R"("type":"LIMIT_MAKER")"), std::string::npos);
}

TEST(Balances, RendersDecimalStringsOfEachAssetsDecimals) {
  BalancesReply reply;
  reply.account = AccountId{7};
  reply.balances = {{"BTC", 8, {150'000'000, 5}}, {"USDT", 2, {100'050, 0}}};
  EXPECT_EQ(
      balances_json(reply),
      R"({"accountId":7,"balances":[{"asset":"BTC","free":"1.50000000","locked":"0.00000005"},)"
      R"({"asset":"USDT","free":"1000.50","locked":"0.00"}]})");
  EXPECT_EQ(parse_units("1000.5", 2), 100'050);
  EXPECT_FALSE(parse_units("1000.505", 2));
  EXPECT_FALSE(parse_units("-1", 2));
}

TEST(ParseOrder, ClientOrderIdOfSixtyFourCharactersIsAccepted) {
  const SymbolTable m = symbols();
  const std::string id(64, 'c');
  const ParsedOrder p =
      parse_order(order_with(R"("quantity":"1","price":"100","clientOrderId":")" + id + "\""), m);
  ASSERT_FALSE(p.error) << p.error->msg;
  EXPECT_EQ(p.order.client_order_id, id);
}

TEST(ParseOrder, ErrorMessagesNameTheBadField) {
  const SymbolTable m = symbols();
  const ParsedOrder qty = parse_order(order_with(R"("quantity":"0.0005","price":"100")"), m);
  ASSERT_TRUE(qty.error);
  EXPECT_NE(qty.error->msg.find("quantity"), std::string::npos) << qty.error->msg;
  const ParsedOrder price = parse_order(order_with(R"("quantity":"1","price":"1.001")"), m);
  ASSERT_TRUE(price.error);
  EXPECT_NE(price.error->msg.find("price"), std::string::npos) << price.error->msg;
  const ParsedOrder symbol = parse_order(R"({"symbol":"NOPE"})", m);
  ASSERT_TRUE(symbol.error);
  EXPECT_NE(symbol.error->msg.find("NOPE"), std::string::npos) << symbol.error->msg;
}

TEST(AllOrdersJson, AddsTimesInMillisecondsToEachOrder) {
  const SymbolTable m = symbols();
  OrderAt at;
  at.order.id = OrderId{5};
  at.order.symbol = 1;
  at.order.price = 40;  // 2.00 in ticks of 0.05
  at.order.qty = 150;
  at.order.status = OrderStatus::Canceled;
  at.created_us = 1'700'000'000'123'456;
  at.updated_us = 1'700'000'001'000'999;
  const json j = json::parse(all_orders_json({at}, m));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].at("orderId"), 5);
  EXPECT_EQ(j[0].at("symbol"), "ETH-USDT");
  EXPECT_EQ(j[0].at("price"), "2.00");
  EXPECT_EQ(j[0].at("origQty"), "1.50");
  EXPECT_EQ(j[0].at("status"), "CANCELED");
  EXPECT_EQ(j[0].at("time"), 1'700'000'000'123);
  EXPECT_EQ(j[0].at("updateTime"), 1'700'000'001'000);
  EXPECT_EQ(all_orders_json({}, m), "[]");
}

TEST(MyTradesJson, QuoteQuantityIsExactAtEveryScale) {
  const SymbolTable m = symbols();
  // 100.25 x 1.500 = 150.37500; 0.01 x 0.001 = 0.00001; a product past int64.
  const std::vector<AccountTrade> trades = {
      {7, 42, 0, 10'025, 1'500, true, false, 1'700'000'000'000'000, 3'750'000},
      {8, 43, 0, 1, 1, false, true, 0, 1},
      {9, 44, 0, 9'000'000'000'000, 9'000'000'000, false, false, 0}};
  const json j = json::parse(my_trades_json(trades, m));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0].at("id"), 7);
  EXPECT_EQ(j[0].at("orderId"), 42);
  EXPECT_EQ(j[0].at("price"), "100.25");
  EXPECT_EQ(j[0].at("qty"), "1.500");
  EXPECT_EQ(j[0].at("quoteQty"), "150.37500");
  EXPECT_EQ(j[0].at("isBuyer"), true);
  EXPECT_EQ(j[0].at("isMaker"), false);
  EXPECT_EQ(j[0].at("time"), 1'700'000'000'000);
  EXPECT_EQ(j[1].at("quoteQty"), "0.00001");
  // Each fee in the asset the account received: BTC bought, USDT for a sale.
  EXPECT_EQ(j[0].at("commission"), "0.03750000");
  EXPECT_EQ(j[0].at("commissionAsset"), "BTC");
  EXPECT_EQ(j[1].at("commission"), "0.00000001");
  EXPECT_EQ(j[1].at("commissionAsset"), "USDT");
  EXPECT_EQ(j[2].at("quoteQty"), "810000000000000000.00000");
}

TEST(OrderJson, FormatsDecimalsOnTheSymbolsGrid) {
  const SymbolTable m = symbols();
  OrderRecord o;
  o.id = OrderId{42};
  o.account = AccountId{3};
  o.symbol = 0;
  o.side = Side::Buy;
  o.type = OrderType::Limit;
  o.tif = TimeInForce::Ioc;
  o.price = 10'025;
  o.qty = 1'500;
  o.executed = 500;
  o.status = OrderStatus::PartiallyFilled;
  o.client_order_id = "cid-9";
  const std::vector<Fill> fills = {Fill{TradeId{7}, 10'020, 200, 1'300, 50'000},
                                   Fill{TradeId{8}, 10'025, 300, 1'000, 0}};

  const json j = json::parse(order_json(o, m.spec(0), &fills));
  EXPECT_EQ(j.at("orderId"), 42);
  EXPECT_EQ(j.at("clientOrderId"), "cid-9");
  EXPECT_EQ(j.at("symbol"), "BTC-USDT");
  EXPECT_EQ(j.at("side"), "BUY");
  EXPECT_EQ(j.at("type"), "LIMIT");
  EXPECT_EQ(j.at("timeInForce"), "IOC");
  EXPECT_EQ(j.at("price"), "100.25");
  EXPECT_EQ(j.at("origQty"), "1.500");
  EXPECT_EQ(j.at("executedQty"), "0.500");
  EXPECT_EQ(j.at("status"), "PARTIALLY_FILLED");
  ASSERT_TRUE(j.at("fills").is_array());
  ASSERT_EQ(j.at("fills").size(), 2u);
  EXPECT_EQ(j["fills"][0].at("price"), "100.20");
  EXPECT_EQ(j["fills"][0].at("qty"), "0.200");
  EXPECT_EQ(j["fills"][0].at("tradeId"), 7);
  // The fee, in the asset the buyer received.
  EXPECT_EQ(j["fills"][0].at("commission"), "0.00050000");
  EXPECT_EQ(j["fills"][0].at("commissionAsset"), "BTC");
  EXPECT_EQ(j["fills"][1].at("commission"), "0.00000000");
  EXPECT_EQ(j["fills"][1].at("price"), "100.25");
  EXPECT_EQ(j["fills"][1].at("qty"), "0.300");
  EXPECT_EQ(j["fills"][1].at("tradeId"), 8);
}

TEST(OrderJson, WithoutFillsHasNoFillsField) {
  const SymbolTable m = symbols();
  OrderRecord o;
  o.id = OrderId{1};
  o.symbol = 1;
  o.side = Side::Sell;
  o.price = 40'001;  // 2000.05 at tick 0.05
  o.qty = 325;       // 3.25 at lot 0.01
  o.status = OrderStatus::Canceled;
  const json j = json::parse(order_json(o, m.spec(1), nullptr));
  EXPECT_FALSE(j.contains("fills"));
  EXPECT_EQ(j.at("symbol"), "ETH-USDT");
  EXPECT_EQ(j.at("side"), "SELL");
  EXPECT_EQ(j.at("price"), "2000.05");
  EXPECT_EQ(j.at("origQty"), "3.25");
  EXPECT_EQ(j.at("executedQty"), "0.00");
  EXPECT_EQ(j.at("status"), "CANCELED");
  EXPECT_EQ(j.at("clientOrderId"), "");

  const std::vector<Fill> none;
  const json empty = json::parse(order_json(o, m.spec(1), &none));
  ASSERT_TRUE(empty.contains("fills"));
  EXPECT_TRUE(empty.at("fills").empty());
}

// order_json writes its text by hand. The reference: the same reply built as a
// nlohmann::json document and dumped, as order_json did before. The bytes must agree,
// for random orders, fills and client order ids (quotes, backslashes and control
// characters included, which the API refuses but the writer must still escape).
std::string reference_order_json(const OrderRecord& order, const SymbolSpec& spec,
                                 const std::vector<Fill>* fills) {
  json j = {
      {"orderId", order.id.value},
      {"clientOrderId", order.client_order_id},
      {"symbol", spec.name},
      {"side", to_string(order.side)},
      {"type", order.post_only ? std::string_view("LIMIT_MAKER") : to_string(order.type)},
      {"timeInForce", to_string(order.tif)},
      {"price", order.type == OrderType::Market ? std::string("0")
                                                : format_steps(order.price, spec.tick_size)},
      {"origQty", format_steps(order.qty, spec.lot_size)},
      {"executedQty", format_steps(order.executed, spec.lot_size)},
      {"status", to_string(order.status)},
  };
  if (fills != nullptr) {
    json list = json::array();
    const bool buys = order.side == Side::Buy;
    const std::string fee_asset = buys ? base_asset_of(spec) : quote_asset_of(spec);
    const int fee_decimals = buys ? spec.base_decimals : spec.quote_decimals;
    for (const Fill& f : *fills) {
      list.push_back({{"price", format_steps(f.price, spec.tick_size)},
                      {"qty", format_steps(f.qty, spec.lot_size)},
                      {"commission", format_units(f.fee, fee_decimals)},
                      {"commissionAsset", fee_asset},
                      {"tradeId", f.trade_id.value}});
    }
    j["fills"] = std::move(list);
  }
  return j.dump();
}

TEST(OrderJson, WritesTheBytesANlohmannDocumentWouldForRandomOrders) {
  const SymbolTable m = symbols();
  int compared = 0;
  RandomOrders random(20261207);
  for (int i = 0; i < 2'000; ++i) {
    const OrderRecord o = random.order(i);
    const std::vector<Fill> fills = random.fills();
    const SymbolSpec& spec = m.spec(o.symbol);
    const std::vector<Fill>* with = random.pick(3) == 0 ? nullptr : &fills;
    // nlohmann's dump refuses text that is not UTF-8 (a lone byte of "é"), so there is a
    // reference only for valid text; the writer passes such bytes on as they are.
    std::string ref;
    try {
      ref = reference_order_json(o, spec, with);
    } catch (const json::type_error&) {
      continue;
    }
    ASSERT_EQ(order_json(o, spec, with), ref) << "case " << i;
    ++compared;
  }
  EXPECT_GT(compared, 800);  // of 2,000: most client ids are valid text
}

TEST(OrderJson, EveryStatusHasItsApiName) {
  const SymbolTable m = symbols();
  const std::vector<std::pair<OrderStatus, const char*>> statuses = {
      {OrderStatus::New, "NEW"},         {OrderStatus::PartiallyFilled, "PARTIALLY_FILLED"},
      {OrderStatus::Filled, "FILLED"},   {OrderStatus::Canceled, "CANCELED"},
      {OrderStatus::Expired, "EXPIRED"}, {OrderStatus::Rejected, "REJECTED"}};
  for (const auto& [status, name] : statuses) {
    OrderRecord o;
    o.price = 1;
    o.qty = 1;
    o.status = status;
    EXPECT_EQ(json::parse(order_json(o, m.spec(0), nullptr)).at("status"), name);
  }
}

TEST(ErrorFor, MapsEveryRejectReason) {
  struct Case {
    RejectReason reason;
    unsigned status;
    int code;
  };
  const std::vector<Case> cases = {
      {RejectReason::None, 400, -1100},
      {RejectReason::UnknownSymbol, 400, -1121},
      {RejectReason::BadPrice, 400, -1013},
      {RejectReason::BadQuantity, 400, -1013},
      {RejectReason::BadOrderType, 400, -1116},
      {RejectReason::DuplicateOrderId, 400, -2010},
      {RejectReason::UnknownOrder, 404, -2013},
      {RejectReason::DuplicateClientOrderId, 400, -2010},
      {RejectReason::NotOwner, 404, -2013},
      {RejectReason::RateLimited, 429, -1003},
      {RejectReason::Overloaded, 503, -1016},
      {RejectReason::NotReady, 503, -1016},
      {RejectReason::BadRequest, 400, -1100},
      {RejectReason::Unauthorized, 401, -2015},
      {RejectReason::TooManyOpenOrders, 400, -2010},
      {RejectReason::InsufficientBalance, 400, -2010},
      {RejectReason::WouldMatch, 400, -2010},
      {RejectReason::UnknownAccount, 404, -2013},
      {RejectReason::UnknownAsset, 400, -1100},
  };
  ASSERT_EQ(cases.size(), static_cast<std::size_t>(kLastRejectReason) + 1);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.reason)));
    const Error e = error_for(c.reason);
    EXPECT_EQ(e.status, c.status);
    EXPECT_EQ(e.code, c.code);
    EXPECT_FALSE(e.msg.empty());
  }
}

TEST(ErrorFor, NotOwnerLooksExactlyLikeUnknownOrder) {
  // An account must not learn that another account's order id exists.
  const Error unknown = error_for(RejectReason::UnknownOrder);
  const Error not_owner = error_for(RejectReason::NotOwner);
  EXPECT_EQ(unknown.status, not_owner.status);
  EXPECT_EQ(unknown.code, not_owner.code);
  EXPECT_EQ(unknown.msg, not_owner.msg);
}

TEST(ParseOrder, CarriesTheReasonToCount) {
  const SymbolTable m = symbols();
  EXPECT_EQ(parse_order(R"({"symbol":"NOPE"})", m).reason, RejectReason::UnknownSymbol);
  EXPECT_EQ(parse_order(order_with(R"("quantity":"0.0005","price":"100")"), m).reason,
            RejectReason::BadQuantity);
  EXPECT_EQ(parse_order(order_with(R"("quantity":"1","price":"1.001")"), m).reason,
            RejectReason::BadPrice);
  EXPECT_EQ(parse_order("nope", m).reason, RejectReason::BadRequest);
  const ParsedOrder ok = parse_order(order_with(R"("quantity":"1","price":"100")"), m);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.reason, RejectReason::None);
  EXPECT_FALSE(ok.order.account.valid());  // the gateway fills it in
}

TEST(DepthJson, LevelsAsDecimalPairs) {
  const SymbolTable m = symbols();
  DepthReply d;
  d.symbol = 1;
  d.bids = {DepthLevel{40'001, 325}, DepthLevel{40'000, 1}};
  d.asks = {DepthLevel{40'002, 100}};
  const json j = json::parse(depth_json(d, m.spec(1)));
  EXPECT_EQ(j.at("symbol"), "ETH-USDT");
  EXPECT_EQ(j.at("bids"), json::parse(R"([["2000.05","3.25"],["2000.00","0.01"]])"));
  EXPECT_EQ(j.at("asks"), json::parse(R"([["2000.10","1.00"]])"));
}

TEST(OpenOrdersJson, AnArrayOfOrdersEachOnItsSymbolsGrid) {
  const SymbolTable m = symbols();
  EXPECT_EQ(open_orders_json({}, m), "[]");
  OrderRecord a;
  a.id = OrderId{1};
  a.symbol = 0;
  a.price = 10'025;
  a.qty = 1'500;
  OrderRecord b = a;
  b.id = OrderId{2};
  b.symbol = 1;
  b.price = 40'001;
  b.qty = 325;
  const json j = json::parse(open_orders_json({a, b}, m));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0].at("price"), "100.25");
  EXPECT_EQ(j[1].at("price"), "2000.05");
  EXPECT_EQ(j[1].at("origQty"), "3.25");
}

TEST(ExchangeInfoJson, ListsEverySymbolWithItsGrid) {
  const json j = json::parse(exchange_info_json(symbols()));
  ASSERT_EQ(j.at("symbols").size(), 2u);
  EXPECT_EQ(j["symbols"][1].at("symbol"), "ETH-USDT");
  EXPECT_EQ(j["symbols"][1].at("tickSize"), "0.05");
  EXPECT_EQ(j["symbols"][1].at("index"), 1);
}

TEST(QueryParam, FindsNamedValues) {
  EXPECT_EQ(query_param("/x?symbol=BTC-USDT&limit=5", "symbol"), "BTC-USDT");
  EXPECT_EQ(query_param("/x?symbol=BTC-USDT&limit=5", "limit"), "5");
  EXPECT_EQ(query_param("/x?symbol=BTC-USDT&limit=5", "lim"), "");
  EXPECT_EQ(query_param("/x?symbol", "symbol"), "");
  EXPECT_EQ(query_param("/x", "symbol"), "");
}

TEST(ParsePositive, OnlyPositiveDecimalIntegers) {
  EXPECT_EQ(parse_positive("42"), 42u);
  EXPECT_EQ(parse_positive("18446744073709551615"), 18446744073709551615ull);
  for (const char* bad : {"0", "", "-1", "1.5", "12a", " 1", "18446744073709551616"}) {
    EXPECT_FALSE(parse_positive(bad)) << bad;
  }
}

TEST(ErrorJson, EscapesTheMessage) {
  EXPECT_EQ(json::parse(error_json(-1100, "a \"b\"\n")),
            json::parse(R"({"code":-1100,"msg":"a \"b\"\n"})"));
}

TEST(MarketData, DayFiguresAreExactIntegerArithmetic) {
  DayStats d;
  d.open = 10025;
  d.last = 9900;
  d.volume = 2750;
  d.quote_volume = 10025 * 1500 + 10100 * 1000 + 9900 * 250;
  const DayFigures f = day_figures(d);
  EXPECT_EQ(f.change, -125);
  EXPECT_EQ(f.change_percent, "-1.246");  // -1.2468..., truncated toward zero
  EXPECT_EQ(f.weighted_avg, 10041);       // 10040.9..., to the nearest tick
  d.last = 10026;
  EXPECT_EQ(day_figures(d).change_percent, "0.009");
  d.last = 10024;
  EXPECT_EQ(day_figures(d).change_percent, "-0.009");
  d.last = 20050;
  EXPECT_EQ(day_figures(d).change_percent, "100.000");
  const DayFigures none = day_figures(DayStats{});
  EXPECT_EQ(none.change, 0);
  EXPECT_EQ(none.change_percent, "0.000");
  EXPECT_EQ(none.weighted_avg, 0);
}

TEST(MarketData, TradesAndTickerInTheV1Style) {
  const SymbolTable m = symbols();
  TradesReply r;
  r.trades = {PublicTrade{3, 3, 10025, 1500, 1'700'000'999'999, true}};
  EXPECT_EQ(json::parse(trades_json(r, m.spec(0))),
            json::parse(R"([{"id":3,"price":"100.25","qty":"1.500","quoteQty":"150.37500",
                             "time":1700000,"isBuyerMaker":true}])"));
  SymbolTicker t;
  t.update_id = 9;
  t.traded = true;
  t.bid = {9900, 750, 1};
  t.day.open_time_ns = 5'000'000;
  t.day.close_time_ns = 86'405'000'000'000;
  t.day.open = t.day.high = 10025;
  t.day.low = t.day.last = 9900;
  t.day.last_qty = 250;
  t.day.volume = 1750;
  t.day.quote_volume = 10025 * 1500 + 9900 * 250;
  t.day.count = 2;
  t.day.first_id = 1;
  t.day.last_id = 2;
  EXPECT_EQ(json::parse(ticker_json(t, m.spec(0))), json::parse(R"({"symbol":"BTC-USDT",
      "lastPrice":"99.00","lastQty":"0.250","bidPrice":"99.00","bidQty":"0.750",
      "askPrice":"0.00","askQty":"0.000","openPrice":"100.25","highPrice":"100.25",
      "lowPrice":"99.00","prevClosePrice":"0.00","priceChange":"-1.25",
      "priceChangePercent":"-1.246","weightedAvgPrice":"100.07","volume":"1.750",
      "quoteVolume":"175.12500","count":2,"firstId":1,"lastId":2,"openTime":5,
      "closeTime":86405000,"updateId":9})"));
}

}  // namespace
}  // namespace spot::proto::http
