#include <gtest/gtest.h>

#include <string>

#include "bench/load/http_codec.h"

namespace spot::bench::load {
namespace {

constexpr HttpLimits kLimits{};

TEST(ParseHttpResponse, CompleteWithBody) {
  const std::string data =
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\ncontent-length: 13\r\n\r\n"
      "{\"orderId\":5}EXTRA";
  HttpResponse r;
  ASSERT_EQ(parse_http_response(data, kLimits, r), HttpParse::Complete);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "{\"orderId\":5}");
  EXPECT_FALSE(r.close);
  EXPECT_EQ(r.size_bytes, data.size() - 5);
}

TEST(ParseHttpResponse, NeedsMoreUntilTheWholeBodyIsThere) {
  const std::string data = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd";
  HttpResponse r;
  for (std::size_t n = 0; n < data.size(); ++n) {
    EXPECT_EQ(parse_http_response(data.substr(0, n), kLimits, r), HttpParse::NeedMore) << n;
  }
  EXPECT_EQ(parse_http_response(data, kLimits, r), HttpParse::Complete);
}

TEST(ParseHttpResponse, PipelinedResponsesParseOneAfterAnother) {
  const std::string data =
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 2\r\n\r\n{}"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  HttpResponse first;
  ASSERT_EQ(parse_http_response(data, kLimits, first), HttpParse::Complete);
  EXPECT_EQ(first.status, 429);
  HttpResponse second;
  ASSERT_EQ(parse_http_response(std::string_view(data).substr(first.size_bytes), kLimits, second),
            HttpParse::Complete);
  EXPECT_EQ(second.status, 404);
  EXPECT_TRUE(second.close);
  EXPECT_EQ(first.size_bytes + second.size_bytes, data.size());
}

TEST(ParseHttpResponse, RejectsWhatItCannotFrame) {
  HttpResponse r;
  const HttpLimits tiny{64, 8};
  for (const std::string& bad : {
           std::string("HTTP/1.1 200 OK\r\n\r\n"),                                // no length
           std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),  // chunked
           std::string("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"),
           std::string("SPDY/3 200 OK\r\nContent-Length: 0\r\n\r\n"),
           std::string("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
           std::string("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
           std::string("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"),
       }) {
    EXPECT_EQ(parse_http_response(bad, kLimits, r), HttpParse::Bad) << bad;
  }
  EXPECT_EQ(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", tiny, r),
            HttpParse::Bad);  // body over the limit
  EXPECT_EQ(parse_http_response(std::string(100, 'x'), tiny, r), HttpParse::Bad);  // header
  EXPECT_EQ(parse_http_response("HTTP/1.1 204 No Content\r\n\r\n", kLimits, r),
            HttpParse::Complete);
  EXPECT_EQ(parse_http_response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", kLimits, r),
            HttpParse::Complete);
  EXPECT_TRUE(r.close);
}

TEST(FindOrderId, NumberOrStringNotClientOrderId) {
  EXPECT_EQ(find_order_id(R"({"clientOrderId":"w9","orderId":123,"status":"NEW"})"), 123u);
  EXPECT_EQ(find_order_id(R"({"orderId" : "77"})"), 77u);
  EXPECT_EQ(find_order_id(R"({"clientOrderId":"w9"})"), std::nullopt);
  EXPECT_EQ(find_order_id(R"({"orderId":null})"), std::nullopt);
  EXPECT_EQ(find_order_id(R"({"orderId":"12)"), std::nullopt);
  EXPECT_EQ(find_order_id(R"({"orderId":99999999999999999999999})"), std::nullopt);
}

TEST(ParseExchangeInfo, KeepsServerOrderAndExactSizes) {
  std::string error;
  const auto symbols = parse_exchange_info(
      R"({"symbols":[{"symbol":"B","index":1,"tickSize":"0.5","lotSize":"1"},)"
      R"({"symbol":"A","index":0,"tickSize":"0.01","lotSize":"0.001","minPrice":"0.01"}]})",
      &error);
  ASSERT_TRUE(symbols) << error;
  ASSERT_EQ(symbols->size(), 2u);
  EXPECT_EQ((*symbols)[0].name, "B");
  EXPECT_EQ((*symbols)[0].tick.mantissa, 5);
  EXPECT_EQ((*symbols)[0].tick.scale, 1);
  EXPECT_EQ((*symbols)[1].lot.mantissa, 1);
  EXPECT_EQ((*symbols)[1].lot.scale, 3);
}

TEST(ParseExchangeInfo, RejectsMalformed) {
  std::string error;
  for (const char* bad : {"", "[]", "{\"symbols\":[]}", "{\"symbols\":{}}",
                          R"({"symbols":[{"symbol":"A","tickSize":"0","lotSize":"1"}]})",
                          R"({"symbols":[{"symbol":"A","tickSize":0.01,"lotSize":"1"}]})",
                          R"({"symbols":[{"symbol":"A","lotSize":"1"}]})"}) {
    error.clear();
    EXPECT_FALSE(parse_exchange_info(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

HttpRequestWriter writer() {
  return HttpRequestWriter("127.0.0.1:8080", "key1",
                           {{"BTC-USDT", {1, 2}, {1, 3}}, {"ETH-USDT", {5, 1}, {1, 0}}});
}

Op op(OpKind kind, Side side, SymbolId symbol, Ticks price, Lots qty) {
  Op o;
  o.kind = kind;
  o.side = side;
  o.symbol = symbol;
  o.id = OrderId{42};
  o.price = price;
  o.qty = qty;
  return o;
}

TEST(HttpRequestWriter, LimitOrderBodyUsesTheSymbolGrid) {
  const auto w = writer();
  EXPECT_EQ(w.order_body(op(OpKind::GtcLimit, Side::Buy, 0, 10025, 1500), 42),
            R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"GTC",)"
            R"("quantity":"1.500","price":"100.25","clientOrderId":"w42"})");
  // Symbol 3 wraps to index 1: tick 0.5, lot 1.
  EXPECT_EQ(w.order_body(op(OpKind::IocLimit, Side::Sell, 3, 9999, 300), 7),
            R"({"symbol":"ETH-USDT","side":"SELL","type":"LIMIT","timeInForce":"IOC",)"
            R"("quantity":"300","price":"4999.5","clientOrderId":"w7"})");
}

TEST(HttpRequestWriter, MarketOrderHasNoPriceAndIsIoc) {
  const auto w = writer();
  EXPECT_EQ(w.order_body(op(OpKind::Market, Side::Buy, 0, 0, 5), 1),
            R"({"symbol":"BTC-USDT","side":"BUY","type":"MARKET","timeInForce":"IOC",)"
            R"("quantity":"0.005","clientOrderId":"w1"})");
}

TEST(HttpRequestWriter, RequestsAreCompleteHttp11) {
  const auto w = writer();
  std::string out;
  w.order(op(OpKind::GtcLimit, Side::Buy, 0, 1, 1), 42, out);
  const std::string body = w.order_body(op(OpKind::GtcLimit, Side::Buy, 0, 1, 1), 42);
  EXPECT_EQ(out,
            "POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-API-Key: key1\r\n"
            "Content-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
  out.clear();
  w.cancel(123, out);
  EXPECT_EQ(
      out, "DELETE /api/v1/orders/123 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-API-Key: key1\r\n\r\n");
}

}  // namespace
}  // namespace spot::bench::load
