// HTTP requests as the routes see them: the raw bytes through Beast's request parser
// with the server's header and body limits (net/http_server.cpp), then the decoders the
// routes call to turn the target and body into an order: proto::http::parse_order for
// POST /api/v1/orders, query_param and parse_positive for query strings, parse_units
// for amounts, and the Binance-compatible parse_params and parse_new_order of
// /api/v3/order. What must hold: no crash or out-of-bounds read on any input, an order
// that decodes names a known symbol with a quantity (or a quote quantity for a MARKET
// BUY), an amount that parses renders back to the same amount, and the members of an
// order body read in one SAX pass are those a nlohmann document of it holds.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "proto/order_fields_reference.h"
#include "spot/net/http_server.h"
#include "spot/proto/binance.h"
#include "spot/proto/http_json.h"

namespace {

namespace http = boost::beast::http;
namespace codec = spot::proto::http;

const spot::SymbolTable& symbols() {
  static const spot::SymbolTable table(spot::fuzz::symbol_specs());
  return table;
}

void check_order(const spot::SubmitOrder& o) {
  FUZZ_CHECK(o.symbol < symbols().size());
  FUZZ_CHECK(o.qty > 0 || (o.type == spot::OrderType::Market && o.quote_qty > 0));
  FUZZ_CHECK(o.qty >= 0 && o.quote_qty >= 0);
}

void decode_body_and_target(std::string_view target, std::string_view body) {
  // The one-pass reader of an order body finds what a whole document would.
  FUZZ_CHECK(codec::read_order_fields(body) == codec::reference_order_fields(body));
  const codec::ParsedOrder parsed = codec::parse_order(body, symbols());
  if (!parsed.error) check_order(parsed.order);

  for (const char* name : {"symbol", "limit", "orderId", "amount"}) {
    const std::string value = codec::query_param(target, name);
    FUZZ_CHECK(value.size() <= target.size());
    if (const auto n = codec::parse_positive(value)) FUZZ_CHECK(*n > 0);
    for (const int decimals : {0, 2, 8, 18}) {
      const auto units = codec::parse_units(value, decimals);
      if (!units) continue;
      FUZZ_CHECK(*units > 0);
      FUZZ_CHECK(codec::parse_units(codec::format_units(*units, decimals), decimals) == units);
    }
  }

  const std::size_t question = target.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const spot::proto::binance::Options options;
  spot::proto::binance::Params params;
  if (spot::proto::binance::parse_params(query, body, options.max_params, &params)) return;
  FUZZ_CHECK(params.items.size() <= options.max_params);
  const auto order = spot::proto::binance::parse_new_order(params, symbols());
  if (!order.error) check_order(order.order);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const spot::HttpOptions options;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < input.size() && !parser.is_done()) {
    const std::size_t n =
        parser.put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
    if (ec == http::error::need_more) break;
    if (ec) return 0;
    if (n == 0) break;
    used += n;
  }
  if (parser.is_done()) {
    const auto& request = parser.get();
    FUZZ_CHECK(request.body().size() <= options.max_body_bytes);
    decode_body_and_target(request.target(), request.body());
  }
  // The decoders alone, on the whole input as a body and as a target, so that they see
  // inputs the HTTP grammar would stop.
  decode_body_and_target(input, input);
  return 0;
}
