#include "spot/proto/binance.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include <nlohmann/json.hpp>

#include "json_text.h"
#include "spot/core/decimal.h"

namespace spot::proto::binance {

using nlohmann::json;

// ---- errors ----

Error missing(std::string_view name) {
  return {400, -1102,
          "Mandatory parameter '" + std::string(name) +
              "' was not sent, was empty/null, or malformed."};
}

Error malformed(std::string_view name, std::string_view why) {
  return {400, -1100,
          "Illegal characters found in parameter '" + std::string(name) + "'; " + std::string(why)};
}

Error bad_symbol() { return {400, -1121, "Invalid symbol."}; }
Error unknown_order_cancel() { return {400, -2011, "Unknown order sent."}; }
Error unknown_order_query() { return {400, -2013, "Order does not exist."}; }
Error bad_api_key_format() { return {401, -2014, "API-key format invalid."}; }
Error bad_api_key() { return {401, -2015, "Invalid API-key, IP, or permissions for action."}; }
Error bad_signature() { return {400, -1022, "Signature for this request is not valid."}; }

Error error_for(RejectReason reason) {
  switch (reason) {
    case RejectReason::UnknownSymbol:
      return bad_symbol();
    case RejectReason::BadPrice:
      return {400, -1013, "Filter failure: PRICE_FILTER"};
    case RejectReason::BadQuantity:
      return {400, -1013, "Filter failure: LOT_SIZE"};
    case RejectReason::BadOrderType:
      return {400, -1014, "Unsupported order combination."};
    case RejectReason::DuplicateOrderId:
    case RejectReason::DuplicateClientOrderId:
      return {400, -2010, "Duplicate order sent."};
    case RejectReason::UnknownOrder:
    case RejectReason::NotOwner:
      return unknown_order_query();
    case RejectReason::RateLimited:
      return {429, -1003, "Too many requests; current limit of orders per second is exceeded."};
    case RejectReason::Overloaded:
      return {503, -1016, "Service unavailable: overloaded, try again."};
    case RejectReason::NotReady:
      return {503, -1016, "Service unavailable: not ready."};
    case RejectReason::Unauthorized:
      return bad_api_key();
    case RejectReason::TooManyOpenOrders:
      return {400, -2010, "Account has too many open orders."};
    case RejectReason::InsufficientBalance:
      return {400, -2010, "Account has insufficient balance for requested action."};
    case RejectReason::WouldMatch:
      return {400, -2010, "Order would immediately match and take."};
    case RejectReason::UnknownAccount:
      return bad_api_key();  // the key's account is gone: as a key that names none
    case RejectReason::UnknownAsset:
      return {400, -1100, "Illegal characters found in parameter 'asset'."};
    case RejectReason::BadRequest:
    case RejectReason::None:
      break;
  }
  return {400, -1100, "Illegal parameters."};
}

// ---- parameters ----

std::optional<std::string_view> Params::get(std::string_view name) const {
  for (const auto& [k, v] : items) {
    if (k == name) {
      if (v.empty()) return std::nullopt;
      return std::string_view(v);
    }
  }
  return std::nullopt;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]);
      const int lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi << 4 | lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Calls fn(pair) for each '&'-separated pair of `s` (empty pairs skipped).
template <class Fn>
void for_each_pair(std::string_view s, Fn&& fn) {
  while (!s.empty()) {
    const auto amp = s.find('&');
    const std::string_view pair = s.substr(0, amp);
    if (!pair.empty()) fn(pair);
    if (amp == std::string_view::npos) break;
    s.remove_prefix(amp + 1);
  }
}

}  // namespace

std::optional<Error> parse_params(std::string_view query, std::string_view body,
                                  std::size_t max_params, Params* out) {
  std::optional<Error> error;
  auto take = [&](std::string_view pair) {
    if (error) return;
    const auto eq = pair.find('=');
    const auto key = percent_decode(pair.substr(0, eq));
    const auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) {
      error = Error{400, -1100, "Illegal characters found in a parameter: bad percent-encoding."};
      return;
    }
    for (const auto& [k, v] : out->items) {
      if (k == *key) {
        error = Error{400, -1101, "Duplicate values for parameter '" + *key + "'."};
        return;
      }
    }
    if (out->items.size() >= max_params) {
      error = Error{400, -1101,
                    "Too many parameters; expected at most " + std::to_string(max_params) + "."};
      return;
    }
    out->items.emplace_back(std::move(*key), std::move(*value));
  };
  for_each_pair(query, take);
  for_each_pair(body, take);
  return error;
}

// ---- signing ----

namespace {

// `s` without its "signature=..." pair (and the '&' that joined it).
std::string without_signature(std::string_view s, std::string* signature) {
  std::string out;
  bool first = true;
  for_each_pair(s, [&](std::string_view pair) {
    if (pair.substr(0, 10) == "signature=") {
      *signature = std::string(pair.substr(10));
      return;
    }
    if (!first) out += '&';
    out += pair;
    first = false;
  });
  return out;
}

}  // namespace

std::string signed_payload(std::string_view query, std::string_view body, std::string* signature) {
  signature->clear();
  // Only the signature pair is taken out; everything else is kept byte for byte.
  std::string payload;
  if (query.find("signature=") == std::string_view::npos) {
    payload = std::string(query);
  } else {
    payload = without_signature(query, signature);
  }
  if (body.find("signature=") == std::string_view::npos) {
    payload += body;
  } else {
    payload += without_signature(body, signature);
  }
  return payload;
}

std::string sign(std::string_view secret, std::string_view payload) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest, &size);
  static const char* digits = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (unsigned int i = 0; i < size; ++i) {
    out[2 * i] = digits[digest[i] >> 4];
    out[2 * i + 1] = digits[digest[i] & 0xF];
  }
  return out;
}

bool signature_valid(std::string_view secret, std::string_view payload,
                     std::string_view signature) {
  const std::string expected = sign(secret, payload);
  if (signature.size() != expected.size()) return false;
  std::string lower(signature);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return CRYPTO_memcmp(lower.data(), expected.data(), expected.size()) == 0;
}

namespace {

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Error> check_timestamp(const Params& params, std::int64_t now_ms,
                                     const Options& options) {
  const auto ts_text = params.get("timestamp");
  if (!ts_text) return missing("timestamp");
  const auto ts = parse_int(*ts_text);
  if (!ts || *ts <= 0) return malformed("timestamp", "must be ms since the Unix epoch.");
  std::int64_t window = options.recv_window_default_ms;
  if (const auto rw_text = params.get("recvWindow")) {
    const auto rw = parse_int(*rw_text);
    if (!rw || *rw <= 0) return malformed("recvWindow", "must be a positive integer.");
    if (*rw > options.recv_window_max_ms) {
      return Error{400, -1131,
                   "recvWindow must be less than " + std::to_string(options.recv_window_max_ms)};
    }
    window = *rw;
  }
  if (*ts >= now_ms + options.timestamp_ahead_ms) {
    return Error{400, -1021,
                 "Timestamp for this request was " + std::to_string(options.timestamp_ahead_ms) +
                     "ms ahead of the server's time."};
  }
  if (now_ms - *ts > window) {
    return Error{400, -1021, "Timestamp for this request is outside of the recvWindow."};
  }
  return std::nullopt;
}

// ---- symbols ----

std::string binance_symbol(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c != '-') out += c;
  }
  return out;
}

std::pair<std::string, std::string> assets_of(std::string_view name) {
  const auto dash = name.find('-');
  if (dash == std::string_view::npos) return {std::string(name), std::string()};
  return {std::string(name.substr(0, dash)), std::string(name.substr(dash + 1))};
}

std::optional<SymbolId> find_symbol(const SymbolTable& symbols, std::string_view name) {
  if (name.empty()) return std::nullopt;
  for (SymbolId i = 0; i < symbols.size(); ++i) {
    const std::string& own = symbols.spec(i).name;
    if (own == name || binance_symbol(own) == name) return i;
  }
  return std::nullopt;
}

// ---- orders ----

namespace {

NewOrder bad(Error e, RejectReason reason = RejectReason::BadRequest) {
  NewOrder n;
  n.error = std::move(e);
  n.reason = reason;
  return n;
}

// The one place where what the engine cannot do yet is refused. The balances branch
// wires quoteOrderQty (MARKET by quote amount) and LIMIT_MAKER (post-only) here: it
// fills SubmitOrder's fields for them and returns nullopt.

}  // namespace

NewOrder parse_new_order(const Params& params, const SymbolTable& symbols) {
  NewOrder n;
  SubmitOrder& o = n.order;
  const auto symbol = params.get("symbol");
  if (!symbol) return bad(missing("symbol"));
  const auto id = find_symbol(symbols, *symbol);
  if (!id) return bad(bad_symbol(), RejectReason::UnknownSymbol);
  o.symbol = *id;
  const auto side = params.get("side");
  if (!side) return bad(missing("side"));
  if (*side == "BUY") {
    o.side = Side::Buy;
  } else if (*side == "SELL") {
    o.side = Side::Sell;
  } else {
    return bad(Error{400, -1117, "Invalid side."});
  }
  const auto type = params.get("type");
  if (!type) return bad(missing("type"));
  bool limit_maker = false;
  if (*type == "LIMIT") {
    o.type = OrderType::Limit;
  } else if (*type == "MARKET") {
    o.type = OrderType::Market;
  } else if (*type == "LIMIT_MAKER") {
    o.type = OrderType::Limit;
    limit_maker = true;
  } else {
    return bad(Error{400, -1116, "Invalid orderType."}, RejectReason::BadOrderType);
  }
  const auto tif = params.get("timeInForce");
  if (o.type == OrderType::Market || limit_maker) {
    if (tif) return bad(Error{400, -1106, "Parameter 'timeInForce' sent when not required."});
    o.tif = limit_maker ? TimeInForce::Gtc : TimeInForce::Ioc;
  } else if (!tif) {
    return bad(missing("timeInForce"));
  } else if (*tif == "GTC") {
    o.tif = TimeInForce::Gtc;
  } else if (*tif == "IOC") {
    o.tif = TimeInForce::Ioc;
  } else if (*tif == "FOK") {
    o.tif = TimeInForce::Fok;
  } else {
    return bad(Error{400, -1115, "Invalid timeInForce."});
  }
  const auto qty = params.get("quantity");
  const auto quote_qty = params.get("quoteOrderQty");
  if (o.type == OrderType::Market) {
    if (qty && quote_qty) {
      return bad(Error{
          400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were provided."});
    }
    if (!qty && !quote_qty) return bad(missing("quantity"));
    if (params.get("price")) {
      return bad(Error{400, -1106, "Parameter 'price' sent when not required."});
    }
  } else {
    if (quote_qty) {
      return bad(Error{400, -1106, "Parameter 'quoteOrderQty' sent when not required."});
    }
    if (!qty) return bad(missing("quantity"));
  }
  if (quote_qty) {
    // A MARKET BUY of as much as this amount of the quote asset pays for.
    if (o.side != Side::Buy) {
      return bad(Error{400, -1106, "Parameter 'quoteOrderQty' sent when not required."},
                 RejectReason::BadOrderType);
    }
    const auto units = http::parse_units(*quote_qty, symbols.spec(o.symbol).quote_decimals);
    if (!units) {
      return bad(Error{400, -1013, "Filter failure: NOTIONAL"}, RejectReason::BadQuantity);
    }
    o.quote_qty = *units;
    o.qty = 0;
  }
  if (qty) {
    const auto lots = symbols.parse_qty(o.symbol, *qty);
    if (!lots) return bad(error_for(RejectReason::BadQuantity), RejectReason::BadQuantity);
    o.qty = lots.value();
  }
  if (o.type == OrderType::Limit) {
    const auto price = params.get("price");
    if (!price) return bad(missing("price"));
    const auto ticks = symbols.parse_price(o.symbol, *price);
    if (!ticks) return bad(error_for(RejectReason::BadPrice), RejectReason::BadPrice);
    o.price = ticks.value();
  }
  if (const auto client = params.get("newClientOrderId")) {
    if (!is_safe_id(*client, 36)) {
      return bad(malformed("newClientOrderId", "legal range is '^[\\.A-Za-z0-9:_-]{1,36}$'."));
    }
    o.client_order_id = std::string(*client);
  }
  // Binance: FULL for MARKET and LIMIT, ACK for every other type.
  n.resp = limit_maker ? RespType::Ack : RespType::Full;
  if (const auto resp = params.get("newOrderRespType")) {
    if (*resp == "ACK") {
      n.resp = RespType::Ack;
    } else if (*resp == "RESULT") {
      n.resp = RespType::Result;
    } else if (*resp == "FULL") {
      n.resp = RespType::Full;
    } else {
      return bad(Error{400, -1100,
                       "Illegal characters found in parameter 'newOrderRespType'; legal range is "
                       "'ACK, RESULT, FULL'."});
    }
  }
  o.post_only = limit_maker;  // rejected (WouldMatch, -2010) rather than taking liquidity
  return n;
}

std::string quote_qty(Ticks price, Lots qty, const SymbolSpec& spec) {
  return http::quote_text(static_cast<Int128>(price) * qty, spec);
}

namespace {

// The sum of price x qty of `fills`, exactly (prices and quantities are below 2^63, so
// each term is below 2^126 and any real sum fits).
std::string fills_quote(const std::vector<Fill>& fills, const SymbolSpec& spec) {
  Int128 sum = 0;
  for (const Fill& f : fills) sum += static_cast<Int128>(f.price) * f.qty;
  return http::quote_text(sum, spec);
}

std::string price_text(const OrderRecord& o, const SymbolSpec& spec) {
  return format_steps(o.type == OrderType::Market ? 0 : o.price, spec.tick_size);
}

std::string_view type_text(const OrderRecord& o) {
  return o.post_only ? std::string_view("LIMIT_MAKER") : to_string(o.type);
}

using json_text::append_bool;
using json_text::append_integer;
using json_text::append_text;

// The replies of the order routes are written by hand (json_text.h), their members in
// the order Binance's documentation lists them.

// {"symbol":..,"orderId":..,"orderListId":-1,"clientOrderId":.. : how a new order's and
// a queried order's replies begin (a cancel's has origClientOrderId after its symbol).
void put_head(std::string& out, const OrderRecord& o, const SymbolSpec& spec) {
  append_text(out, "{\"symbol\":", binance_symbol(spec.name));
  append_integer(out, ",\"orderId\":", o.id.value);
  append_integer(out, ",\"orderListId\":", -1);
  append_text(out, ",\"clientOrderId\":", o.client_order_id);
}

// price, origQty, executedQty.
void put_quantities(std::string& out, const OrderRecord& o, const SymbolSpec& spec) {
  append_text(out, ",\"price\":", price_text(o, spec));
  append_text(out, ",\"origQty\":", format_steps(o.qty, spec.lot_size));
  append_text(out, ",\"executedQty\":", format_steps(o.executed, spec.lot_size));
}

// cummulativeQuoteQty of an order whose fills are not at hand: exact only when nothing
// was executed; otherwise the engine does not keep the quote amount of an order's fills
// (docs/binance-api.md), so the member is left out.
void put_quote_if_unexecuted(std::string& out, const OrderRecord& o, const SymbolSpec& spec) {
  if (o.executed == 0) append_text(out, ",\"cummulativeQuoteQty\":", quote_qty(0, 0, spec));
}

// status, timeInForce, type, side.
void put_kind(std::string& out, const OrderRecord& o) {
  append_text(out, ",\"status\":", to_string(o.status));
  append_text(out, ",\"timeInForce\":", to_string(o.tif));
  append_text(out, ",\"type\":", type_text(o));
  append_text(out, ",\"side\":", to_string(o.side));
}

void put_orig_quote(std::string& out, const OrderRecord& o, const SymbolSpec& spec) {
  append_text(out, ",\"origQuoteOrderQty\":", http::format_units(o.quote_qty, spec.quote_decimals));
}

void put_canceled(std::string& out, const OrderRecord& o, const SymbolSpec& spec,
                  std::string_view cancel_client_id, std::int64_t transact_ms) {
  append_text(out, "{\"symbol\":", binance_symbol(spec.name));
  append_text(out, ",\"origClientOrderId\":", o.client_order_id);
  append_integer(out, ",\"orderId\":", o.id.value);
  append_integer(out, ",\"orderListId\":", -1);
  append_text(out, ",\"clientOrderId\":", cancel_client_id);
  append_integer(out, ",\"transactTime\":", transact_ms);
  put_quantities(out, o, spec);
  put_quote_if_unexecuted(out, o, spec);
  put_kind(out, o);
  out += ",\"selfTradePreventionMode\":\"NONE\"}";
}

void put_order(std::string& out, const OrderView& view, const SymbolSpec& spec) {
  const OrderRecord& o = view.order;
  put_head(out, o, spec);
  put_quantities(out, o, spec);
  put_quote_if_unexecuted(out, o, spec);
  put_kind(out, o);
  append_text(out, ",\"stopPrice\":", format_steps(0, spec.tick_size));
  append_text(out, ",\"icebergQty\":", format_steps(0, spec.lot_size));
  if (view.time_ms >= 0) append_integer(out, ",\"time\":", view.time_ms);
  if (view.update_time_ms >= 0) append_integer(out, ",\"updateTime\":", view.update_time_ms);
  append_bool(out, ",\"isWorking\":", !is_terminal(o.status));
  if (view.time_ms >= 0) append_integer(out, ",\"workingTime\":", view.time_ms);
  put_orig_quote(out, o, spec);
  out += ",\"selfTradePreventionMode\":\"NONE\"}";
}

}  // namespace

std::string order_json(const OrderView& view, const SymbolSpec& spec) {
  std::string out;
  out.reserve(512);
  put_order(out, view, spec);
  return out;
}

std::string orders_json(const std::vector<OrderView>& views, const SymbolTable& symbols) {
  std::string out = "[";
  out.reserve(1 + views.size() * 512);
  for (const OrderView& v : views) {
    if (out.size() > 1) out += ',';
    put_order(out, v, symbols.spec(v.order.symbol));
  }
  out += ']';
  return out;
}

std::string new_order_json(const OrderRecord& o, const std::vector<Fill>& fills,
                           const SymbolSpec& spec, RespType resp, std::int64_t transact_ms) {
  std::string out;
  out.reserve(resp == RespType::Full ? 512 + fills.size() * 160 : 512);
  put_head(out, o, spec);
  append_integer(out, ",\"transactTime\":", transact_ms);
  if (resp == RespType::Ack) {
    out += '}';
    return out;
  }
  put_quantities(out, o, spec);
  put_orig_quote(out, o, spec);
  // The fills of this request are all the order's fills (a new order has no others).
  append_text(out, ",\"cummulativeQuoteQty\":", fills_quote(fills, spec));
  put_kind(out, o);
  append_integer(out, ",\"workingTime\":", transact_ms);
  out += ",\"selfTradePreventionMode\":\"NONE\"";
  if (resp == RespType::Full) {
    // The fee, in the asset received.
    const bool buys = o.side == Side::Buy;
    const std::string fee_asset = buys ? base_asset_of(spec) : quote_asset_of(spec);
    const int fee_decimals = buys ? spec.base_decimals : spec.quote_decimals;
    out += ",\"fills\":[";
    for (std::size_t i = 0; i < fills.size(); ++i) {
      const Fill& f = fills[i];
      if (i != 0) out += ',';
      append_text(out, "{\"price\":", format_steps(f.price, spec.tick_size));
      append_text(out, ",\"qty\":", format_steps(f.qty, spec.lot_size));
      append_text(out, ",\"commission\":", http::format_units(f.fee, fee_decimals));
      append_text(out, ",\"commissionAsset\":", fee_asset);
      append_integer(out, ",\"tradeId\":", f.trade_id.value);
      out += '}';
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string canceled_json(const OrderRecord& o, const SymbolSpec& spec,
                          std::string_view cancel_client_id, std::int64_t transact_ms) {
  std::string out;
  out.reserve(512);
  put_canceled(out, o, spec, cancel_client_id, transact_ms);
  return out;
}

std::string canceled_list_json(const std::vector<OrderRecord>& orders, const SymbolTable& symbols,
                               std::int64_t transact_ms) {
  std::string out = "[";
  out.reserve(1 + orders.size() * 512);
  for (const OrderRecord& o : orders) {
    if (out.size() > 1) out += ',';
    put_canceled(out, o, symbols.spec(o.symbol), o.client_order_id, transact_ms);
  }
  out += ']';
  return out;
}

// ---- market data and account ----

std::string exchange_info_json(const SymbolTable& symbols, std::int64_t server_time_ms,
                               double orders_per_second) {
  json list = json::array();
  for (SymbolId i = 0; i < symbols.size(); ++i) {
    const SymbolSpec& s = symbols.spec(i);
    const std::string base = base_asset_of(s);  // configured, or from the name
    const std::string quote = quote_asset_of(s);
    const std::string tick = format_steps(1, s.tick_size);
    const std::string step = format_steps(1, s.lot_size);
    const std::string min_qty = format_steps(s.min_qty, s.lot_size);
    const std::string max_qty = format_steps(s.max_qty, s.lot_size);
    json filters = json::array();
    filters.push_back({{"filterType", "PRICE_FILTER"},
                       {"minPrice", format_steps(s.min_price, s.tick_size)},
                       {"maxPrice", format_steps(s.max_price, s.tick_size)},
                       {"tickSize", tick}});
    filters.push_back(
        {{"filterType", "LOT_SIZE"}, {"minQty", min_qty}, {"maxQty", max_qty}, {"stepSize", step}});
    filters.push_back({{"filterType", "MARKET_LOT_SIZE"},
                       {"minQty", min_qty},
                       {"maxQty", max_qty},
                       {"stepSize", step}});
    // spotd has no notional limit of its own: the bounds are what price and quantity
    // bounds allow.
    filters.push_back({{"filterType", "NOTIONAL"},
                       {"minNotional", quote_qty(s.min_price, s.min_qty, s)},
                       {"applyMinToMarket", false},
                       {"maxNotional", quote_qty(s.max_price, s.max_qty, s)},
                       {"applyMaxToMarket", false},
                       {"avgPriceMins", 0}});
    const int quote_scale = s.tick_size.scale + s.lot_size.scale;
    list.push_back({{"symbol", binance_symbol(s.name)},
                    {"status", "TRADING"},
                    {"baseAsset", base},
                    {"baseAssetPrecision", s.lot_size.scale},
                    {"quoteAsset", quote},
                    {"quotePrecision", quote_scale},
                    {"quoteAssetPrecision", quote_scale},
                    {"baseCommissionPrecision", s.lot_size.scale},
                    {"quoteCommissionPrecision", quote_scale},
                    {"orderTypes", json::array({"LIMIT", "LIMIT_MAKER", "MARKET"})},
                    {"icebergAllowed", false},
                    {"ocoAllowed", false},
                    {"otoAllowed", false},
                    {"quoteOrderQtyMarketAllowed", true},
                    {"allowTrailingStop", false},
                    {"cancelReplaceAllowed", false},
                    {"isSpotTradingAllowed", true},
                    {"isMarginTradingAllowed", false},
                    {"filters", std::move(filters)},
                    {"permissions", json::array({"SPOT"})},
                    {"permissionSets", json::array({json::array({"SPOT"})})},
                    {"defaultSelfTradePreventionMode", "NONE"},
                    {"allowedSelfTradePreventionModes", json::array({"NONE"})}});
  }
  json limits = json::array();
  limits.push_back({{"rateLimitType", "ORDERS"},
                    {"interval", "SECOND"},
                    {"intervalNum", 1},
                    {"limit", static_cast<std::int64_t>(orders_per_second)}});
  return json{{"timezone", "UTC"},
              {"serverTime", server_time_ms},
              {"rateLimits", std::move(limits)},
              {"exchangeFilters", json::array()},
              {"symbols", std::move(list)}}
      .dump();
}

namespace {

json levels(const std::vector<DepthLevel>& side, const SymbolSpec& spec) {
  json out = json::array();
  for (const DepthLevel& l : side) {
    out.push_back({format_steps(l.price, spec.tick_size), format_steps(l.qty, spec.lot_size)});
  }
  return out;
}

// The best level of a side as (price, qty) text; zeros for an empty side.
std::pair<std::string, std::string> best(const std::vector<DepthLevel>& side,
                                         const SymbolSpec& spec) {
  if (side.empty()) return {format_steps(0, spec.tick_size), format_steps(0, spec.lot_size)};
  return {format_steps(side.front().price, spec.tick_size),
          format_steps(side.front().qty, spec.lot_size)};
}

}  // namespace

std::string depth_json(const DepthReply& depth, const SymbolSpec& spec) {
  return json{{"lastUpdateId", depth.update_id},
              {"bids", levels(depth.bids, spec)},
              {"asks", levels(depth.asks, spec)}}
      .dump();
}

std::string book_ticker_json(const DepthReply& top, const SymbolSpec& spec) {
  const auto [bid, bid_qty] = best(top.bids, spec);
  const auto [ask, ask_qty] = best(top.asks, spec);
  return json{{"symbol", binance_symbol(spec.name)},
              {"bidPrice", bid},
              {"bidQty", bid_qty},
              {"askPrice", ask},
              {"askQty", ask_qty}}
      .dump();
}

std::string trades_json(const TradesReply& reply, const SymbolSpec& spec) {
  json list = json::array();
  for (const PublicTrade& t : reply.trades) {
    list.push_back({{"id", t.id},
                    {"price", format_steps(t.price, spec.tick_size)},
                    {"qty", format_steps(t.qty, spec.lot_size)},
                    {"quoteQty", quote_qty(t.price, t.qty, spec)},
                    {"time", t.time_ns / 1'000'000},
                    {"isBuyerMaker", t.buyer_maker},
                    {"isBestMatch", true}});
  }
  return list.dump();
}

std::string agg_trades_json(const TradesReply& reply, const SymbolSpec& spec) {
  json list = json::array();
  for (const PublicTrade& t : reply.trades) {
    list.push_back({{"a", t.id},
                    {"p", format_steps(t.price, spec.tick_size)},
                    {"q", format_steps(t.qty, spec.lot_size)},
                    {"f", t.id},
                    {"l", t.last_id},
                    {"T", t.time_ns / 1'000'000},
                    {"m", t.buyer_maker},
                    {"M", true}});
  }
  return list.dump();
}

std::optional<Error> ticker_symbols(const Params& params, const SymbolTable& symbols,
                                    std::optional<std::vector<SymbolId>>* out, bool* one) {
  const auto name = params.get("symbol");
  const auto list = params.get("symbols");
  *one = false;
  out->reset();
  if (name && list) {
    return Error{400, -1101, "Parameter 'symbol' and 'symbols' cannot be sent together."};
  }
  if (name) {
    const auto found = find_symbol(symbols, *name);
    if (!found) return bad_symbol();
    *one = true;
    *out = std::vector<SymbolId>{*found};
    return std::nullopt;
  }
  if (!list) return std::nullopt;
  const json names = json::parse(*list, nullptr, false);
  if (names.is_discarded() || !names.is_array() || names.empty()) {
    return malformed("symbols", "must be a JSON array of symbol names.");
  }
  std::vector<SymbolId> wanted;
  for (const json& n : names) {
    if (!n.is_string()) return malformed("symbols", "must be a JSON array of symbol names.");
    const auto found = find_symbol(symbols, n.get<std::string>());
    if (!found) return bad_symbol();
    wanted.push_back(*found);
  }
  *out = std::move(wanted);
  return std::nullopt;
}

namespace {

// The engine's tickers of `wanted` (all: every one), in that order, rendered by `one_json`:
// one object or an array.
template <class Fn>
std::string tickers_json(const TickerReply& reply,
                         const std::optional<std::vector<SymbolId>>& wanted, bool one,
                         Fn&& one_json) {
  std::vector<const SymbolTicker*> chosen;
  if (wanted) {
    for (const SymbolId s : *wanted) {
      for (const SymbolTicker& t : reply.tickers) {
        if (t.symbol == s) chosen.push_back(&t);
      }
    }
  } else {
    for (const SymbolTicker& t : reply.tickers) chosen.push_back(&t);
  }
  if (one) return chosen.empty() ? json::object().dump() : one_json(*chosen.front()).dump();
  json list = json::array();
  for (const SymbolTicker* t : chosen) list.push_back(one_json(*t));
  return list.dump();
}

}  // namespace

std::string ticker_price_json(const TickerReply& tickers, const SymbolTable& symbols,
                              const std::optional<std::vector<SymbolId>>& wanted, bool one) {
  return tickers_json(tickers, wanted, one, [&symbols](const SymbolTicker& t) {
    const SymbolSpec& spec = symbols.spec(t.symbol);
    // The last trade's price, also when it is older than 24 hours (0: never traded).
    return json{{"symbol", binance_symbol(spec.name)},
                {"price", format_steps(t.day.last, spec.tick_size)}};
  });
}

std::string ticker_24hr_json(const TickerReply& tickers, const SymbolTable& symbols,
                             const std::optional<std::vector<SymbolId>>& wanted, bool one) {
  return tickers_json(tickers, wanted, one, [&symbols](const SymbolTicker& t) {
    const SymbolSpec& spec = symbols.spec(t.symbol);
    const DayStats& d = t.day;
    const http::DayFigures f = http::day_figures(d);
    const bool any = d.count > 0;
    const auto price = [&spec](Ticks v) { return format_steps(v, spec.tick_size); };
    const auto qty = [&spec](Lots v) { return format_steps(v, spec.lot_size); };
    return json{{"symbol", binance_symbol(spec.name)},
                {"priceChange", price(f.change)},
                {"priceChangePercent", f.change_percent},
                {"weightedAvgPrice", price(f.weighted_avg)},
                {"prevClosePrice", price(d.prev_close)},
                {"lastPrice", price(d.last)},
                {"lastQty", qty(d.last_qty)},
                {"bidPrice", price(t.bid.price)},
                {"bidQty", qty(t.bid.qty)},
                {"askPrice", price(t.ask.price)},
                {"askQty", qty(t.ask.qty)},
                {"openPrice", price(d.open)},
                {"highPrice", price(d.high)},
                {"lowPrice", price(d.low)},
                {"volume", qty(d.volume)},
                {"quoteVolume", http::quote_text(d.quote_volume, spec)},
                {"openTime", d.open_time_ns / 1'000'000},
                {"closeTime", d.close_time_ns / 1'000'000},
                {"firstId", any ? static_cast<std::int64_t>(d.first_id) : -1},
                {"lastId", any ? static_cast<std::int64_t>(d.last_id) : -1},
                {"count", d.count}};
  });
}

std::string balances_json(const BalancesReply& reply) {
  json list = json::array();
  for (const AssetBalance& b : reply.balances) {
    list.push_back({{"asset", b.asset},
                    {"free", http::format_units(b.balance.free, b.decimals)},
                    {"locked", http::format_units(b.balance.locked, b.decimals)}});
  }
  return list.dump();
}

std::string account_json(AccountId account, std::string_view balances_json, std::int64_t now_ms) {
  json balances = json::parse(balances_json, nullptr, false);
  if (balances.is_discarded() || !balances.is_array()) balances = json::array();
  return json{{"makerCommission", 0},
              {"takerCommission", 0},
              {"buyerCommission", 0},
              {"sellerCommission", 0},
              {"commissionRates",
               {{"maker", "0.00000000"},
                {"taker", "0.00000000"},
                {"buyer", "0.00000000"},
                {"seller", "0.00000000"}}},
              {"canTrade", true},
              {"canWithdraw", false},
              {"canDeposit", false},
              {"brokered", false},
              {"requireSelfTradePrevention", false},
              {"preventSor", false},
              {"updateTime", now_ms},
              {"accountType", "SPOT"},
              {"balances", std::move(balances)},
              {"permissions", json::array({"SPOT"})},
              {"uid", account.value}}
      .dump();
}

std::string my_trades_json(const std::vector<MyTrade>& trades, const SymbolTable& symbols) {
  json list = json::array();
  for (const MyTrade& t : trades) {
    const SymbolSpec& spec = symbols.spec(t.symbol);
    const std::string base = base_asset_of(spec), quote = quote_asset_of(spec);
    list.push_back(
        {{"symbol", binance_symbol(spec.name)},
         {"id", t.trade_id},
         {"orderId", t.order_id},
         {"orderListId", -1},
         {"price", format_steps(t.price, spec.tick_size)},
         {"qty", format_steps(t.qty, spec.lot_size)},
         {"quoteQty", quote_qty(t.price, t.qty, spec)},
         {"commission",
          http::format_units(t.commission, t.is_buyer ? spec.base_decimals : spec.quote_decimals)},
         {"commissionAsset", t.is_buyer ? base : quote},
         {"time", t.time_ms},
         {"isBuyer", t.is_buyer},
         {"isMaker", t.is_maker},
         {"isBestMatch", true}});
  }
  return list.dump();
}

}  // namespace spot::proto::binance
