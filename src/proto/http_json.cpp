#include "spot/proto/http_json.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "json_text.h"
#include "spot/core/decimal.h"

namespace spot::proto::http {

using nlohmann::json;

Error error_for(RejectReason reason) {
  switch (reason) {
    case RejectReason::UnknownSymbol:
      return {400, -1121, "invalid symbol"};
    case RejectReason::BadPrice:
      return {400, -1013, "price is missing, off the tick grid or out of bounds"};
    case RejectReason::BadQuantity:
      return {400, -1013, "quantity is missing, off the lot grid or out of bounds"};
    case RejectReason::BadOrderType:
      return {400, -1116, "invalid order type / time in force combination"};
    case RejectReason::DuplicateOrderId:
      return {400, -2010, "duplicate order id"};
    case RejectReason::UnknownOrder:
    case RejectReason::NotOwner:
      return {404, -2013, "order does not exist"};
    case RejectReason::DuplicateClientOrderId:
      return {400, -2010, "duplicate clientOrderId"};
    case RejectReason::RateLimited:
      return {429, -1003, "too many requests: per-account order rate limit"};
    case RejectReason::Overloaded:
      return {503, -1016, "overloaded, try again"};
    case RejectReason::NotReady:
      return {503, -1016, "not ready"};
    case RejectReason::Unauthorized:
      return {401, -2015, "invalid API key"};
    case RejectReason::TooManyOpenOrders:
      return {400, -2010, "too many open orders"};
    case RejectReason::InsufficientBalance:
      return {400, -2010, "Account has insufficient balance for requested action."};
    case RejectReason::WouldMatch:
      return {400, -2010, "Order would immediately match and take."};
    case RejectReason::UnknownAccount:
      return {404, -2013, "account does not exist"};
    case RejectReason::UnknownAsset:
      return {400, -1100, "unknown asset"};
    case RejectReason::BadRequest:
    case RejectReason::None:
      break;
  }
  return {400, -1100, "bad request"};
}

Error error_for(const Refused& refused) { return error_for(refused.reason); }

std::string error_json(int code, std::string_view msg) {
  const json j = {{"code", code}, {"msg", msg}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

ParsedOrder bad(int code, std::string msg, RejectReason reason = RejectReason::BadRequest) {
  ParsedOrder p;
  p.error = Error{400, code, std::move(msg)};
  p.reason = reason;
  return p;
}

json levels_json(const std::vector<DepthLevel>& levels, const SymbolSpec& spec) {
  json out = json::array();
  for (const DepthLevel& l : levels) {
    out.push_back({format_steps(l.price, spec.tick_size), format_steps(l.qty, spec.lot_size)});
  }
  return out;
}

}  // namespace

namespace {

// read_order_fields' handler: depth 1 is inside the body's object, where the members
// parse_order reads are recorded; anything nested deeper only marks its member present.
class OrderFieldReader : public nlohmann::json_sax<json> {
 public:
  explicit OrderFieldReader(OrderFields& out) : out_(out) {}

  bool null() override { return scalar(nullptr); }
  bool boolean(bool) override { return scalar(nullptr); }
  bool number_integer(number_integer_t) override { return scalar(nullptr); }
  bool number_unsigned(number_unsigned_t) override { return scalar(nullptr); }
  bool number_float(number_float_t, const string_t&) override { return scalar(nullptr); }
  bool string(string_t& value) override { return scalar(&value); }
  bool binary(binary_t&) override { return scalar(nullptr); }
  bool start_object(std::size_t) override { return open(true); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& name) override {
    if (depth_ == 1) member_ = find(name);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  static constexpr std::size_t kNone = kOrderFields;
  static std::size_t find(std::string_view name) {
    static constexpr std::array<std::string_view, kOrderFields> kNames = {
        "symbol",        "side",          "type",     "timeInForce",
        "clientOrderId", "quoteOrderQty", "quantity", "price"};
    for (std::size_t i = 0; i < kNames.size(); ++i) {
      if (kNames[i] == name) return i;
    }
    return kNone;
  }
  // A value at depth 1 is a member's whole value: the last one named wins.
  void record(const std::string* text) {
    if (member_ == kNone) return;
    out_.present[member_] = true;
    if (text != nullptr) {
      out_.text[member_] = *text;
    } else {
      out_.text[member_].reset();
    }
  }
  bool scalar(const std::string* text) {
    if (depth_ == 0) return false;  // a bare value: not an object
    if (depth_ == 1) record(text);
    return true;
  }
  bool open(bool object) {
    if (depth_ == 0 && !object) return false;  // an array: not an object
    if (depth_ == 1) record(nullptr);
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }

  OrderFields& out_;
  int depth_ = 0;
  std::size_t member_ = kNone;
};

}  // namespace

OrderFields read_order_fields(std::string_view body) {
  OrderFields fields;
  OrderFieldReader reader(fields);
  const bool whole = json::sax_parse(body, &reader);
  if (!whole) return OrderFields{};
  fields.object = true;
  return fields;
}

ParsedOrder parse_order(std::string_view body, const SymbolTable& symbols) {
  const OrderFields fields = read_order_fields(body);
  if (!fields.object) return bad(-1100, "body is not a JSON object");
  ParsedOrder p;
  SubmitOrder& o = p.order;
  const auto& symbol = fields.string(OrderField::Symbol);
  if (!symbol) return bad(-1102, "symbol is required and must be a string");
  const auto id = symbols.find(*symbol);
  if (!id) return bad(-1121, "unknown symbol '" + *symbol + "'", RejectReason::UnknownSymbol);
  o.symbol = *id;
  const auto& side = fields.string(OrderField::Side);
  if (side == "BUY") {
    o.side = Side::Buy;
  } else if (side == "SELL") {
    o.side = Side::Sell;
  } else {
    return bad(-1117, "side must be BUY or SELL");
  }
  const auto& type = fields.string(OrderField::Type);
  if (type == "LIMIT") {
    o.type = OrderType::Limit;
  } else if (type == "LIMIT_MAKER") {
    // Post-only: rejected rather than taking liquidity (Binance's LIMIT_MAKER).
    o.type = OrderType::Limit;
    o.post_only = true;
  } else if (type == "MARKET") {
    o.type = OrderType::Market;
  } else {
    return bad(-1116, "type must be LIMIT, LIMIT_MAKER or MARKET");
  }
  const auto& tif = fields.string(OrderField::TimeInForce);
  if (!tif) {
    if (fields.has(OrderField::TimeInForce)) return bad(-1115, "timeInForce must be a string");
    o.tif = o.type == OrderType::Market ? TimeInForce::Ioc : TimeInForce::Gtc;
  } else if (*tif == "GTC") {
    o.tif = TimeInForce::Gtc;
  } else if (*tif == "IOC") {
    o.tif = TimeInForce::Ioc;
  } else if (*tif == "FOK") {
    o.tif = TimeInForce::Fok;
  } else {
    return bad(-1115, "timeInForce must be GTC, IOC or FOK");
  }
  if (o.type == OrderType::Market && o.tif == TimeInForce::Gtc) {
    return bad(-1116, "MARKET orders take IOC or FOK", RejectReason::BadOrderType);
  }
  if (o.post_only && o.tif != TimeInForce::Gtc) {
    return bad(-1116, "LIMIT_MAKER orders are GTC", RejectReason::BadOrderType);
  }
  if (fields.has(OrderField::ClientOrderId)) {
    const auto& client = fields.string(OrderField::ClientOrderId);
    if (!client || !is_safe_id(*client, 64)) {
      return bad(-1100, "clientOrderId must be 1-64 characters of [A-Za-z0-9._:-]");
    }
    o.client_order_id = *client;
  }
  if (fields.has(OrderField::QuoteOrderQty)) {
    // A MARKET BUY of as much as this amount of the quote asset pays for.
    const auto& quote = fields.string(OrderField::QuoteOrderQty);
    const SymbolSpec& spec = symbols.spec(o.symbol);
    if (o.type != OrderType::Market || o.side != Side::Buy || fields.has(OrderField::Quantity)) {
      return bad(-1106, "quoteOrderQty is for MARKET BUY orders, instead of quantity",
                 RejectReason::BadOrderType);
    }
    const auto units = quote ? parse_units(*quote, spec.quote_decimals) : std::nullopt;
    if (!units) {
      return bad(-1013, "quoteOrderQty must be a positive decimal string",
                 RejectReason::BadQuantity);
    }
    o.quote_qty = *units;
    o.qty = 0;
    return p;
  }
  const auto& qty = fields.string(OrderField::Quantity);
  if (!qty) return bad(-1102, "quantity is required as a decimal string, e.g. \"1.5\"");
  const auto lots = symbols.parse_qty(o.symbol, *qty);
  if (!lots) {
    return bad(-1013, "quantity '" + *qty + "' is not valid for " + *symbol,
               RejectReason::BadQuantity);
  }
  o.qty = lots.value();
  if (o.type == OrderType::Limit) {
    const auto& price = fields.string(OrderField::Price);
    if (!price) return bad(-1102, "price is required for LIMIT as a decimal string");
    const auto ticks = symbols.parse_price(o.symbol, *price);
    if (!ticks) {
      return bad(-1013, "price '" + *price + "' is not valid for " + *symbol,
                 RejectReason::BadPrice);
    }
    o.price = ticks.value();
  } else if (fields.has(OrderField::Price)) {
    return bad(-1106, "price is not sent with MARKET orders");
  }
  return p;
}

std::string order_json(const OrderRecord& order, const SymbolSpec& spec,
                       const std::vector<Fill>* fills) {
  using json_text::append_integer;
  using json_text::append_text;
  // Keys in byte order, the order nlohmann::json (a std::map) wrote them in before.
  std::string out;
  out.reserve(320 + (fills != nullptr ? fills->size() * 128 : 0));
  append_text(out, "{\"clientOrderId\":", order.client_order_id);
  append_text(out, ",\"executedQty\":", format_steps(order.executed, spec.lot_size));
  if (fills != nullptr) {
    const bool buys = order.side == Side::Buy;
    const std::string fee_asset = buys ? base_asset_of(spec) : quote_asset_of(spec);
    const int fee_decimals = buys ? spec.base_decimals : spec.quote_decimals;
    out += ",\"fills\":[";
    for (std::size_t i = 0; i < fills->size(); ++i) {
      const Fill& f = (*fills)[i];
      if (i != 0) out += ',';
      append_text(out, "{\"commission\":", format_units(f.fee, fee_decimals));
      append_text(out, ",\"commissionAsset\":", fee_asset);
      append_text(out, ",\"price\":", format_steps(f.price, spec.tick_size));
      append_text(out, ",\"qty\":", format_steps(f.qty, spec.lot_size));
      append_integer(out, ",\"tradeId\":", f.trade_id.value);
      out += '}';
    }
    out += ']';
  }
  append_integer(out, ",\"orderId\":", order.id.value);
  append_text(out, ",\"origQty\":", format_steps(order.qty, spec.lot_size));
  append_text(out, ",\"price\":",
              order.type == OrderType::Market ? std::string("0")
                                              : format_steps(order.price, spec.tick_size));
  append_text(out, ",\"side\":", to_string(order.side));
  append_text(out, ",\"status\":", to_string(order.status));
  append_text(out, ",\"symbol\":", spec.name);
  append_text(out, ",\"timeInForce\":", to_string(order.tif));
  append_text(
      out, ",\"type\":", order.post_only ? std::string_view("LIMIT_MAKER") : to_string(order.type));
  out += '}';
  return out;
}

std::string all_orders_json(const std::vector<OrderAt>& orders, const SymbolTable& symbols) {
  json list = json::array();
  for (const OrderAt& o : orders) {
    json j = json::parse(order_json(o.order, symbols.spec(o.order.symbol), nullptr));
    j["time"] = o.created_us / 1'000;
    j["updateTime"] = o.updated_us / 1'000;
    list.push_back(std::move(j));
  }
  return list.dump();
}

__extension__ using U128 = unsigned __int128;  // GCC and Clang; not ISO C++

namespace {

// price x qty exactly, as a decimal string with the scales of both steps added.
std::string quote_qty(Ticks price, Lots qty, const SymbolSpec& spec) {
  return quote_text(static_cast<Int128>(price) * qty, spec);
}

}  // namespace

std::string my_trades_json(const std::vector<AccountTrade>& trades, const SymbolTable& symbols) {
  json list = json::array();
  for (const AccountTrade& t : trades) {
    const SymbolSpec& spec = symbols.spec(t.symbol);
    list.push_back({{"symbol", spec.name},
                    {"id", t.trade_id},
                    {"orderId", t.order_id},
                    {"price", format_steps(t.price, spec.tick_size)},
                    {"qty", format_steps(t.qty, spec.lot_size)},
                    {"quoteQty", quote_qty(t.price, t.qty, spec)},
                    {"commission", format_units(t.commission, t.is_buyer ? spec.base_decimals
                                                                         : spec.quote_decimals)},
                    {"commissionAsset", t.is_buyer ? base_asset_of(spec) : quote_asset_of(spec)},
                    {"time", t.time_us / 1'000},
                    {"isBuyer", t.is_buyer},
                    {"isMaker", t.is_maker}});
  }
  return list.dump();
}

std::string open_orders_json(const std::vector<OrderRecord>& orders, const SymbolTable& symbols) {
  std::string body = "[";
  for (const OrderRecord& o : orders) {
    if (body.size() > 1) body += ',';
    body += order_json(o, symbols.spec(o.symbol), nullptr);
  }
  body += ']';
  return body;
}

std::string depth_json(const DepthReply& depth, const SymbolSpec& spec) {
  const json j = {{"symbol", spec.name},
                  {"bids", levels_json(depth.bids, spec)},
                  {"asks", levels_json(depth.asks, spec)}};
  return j.dump();
}

std::string exchange_info_json(const SymbolTable& symbols) {
  json list = json::array();
  for (SymbolId i = 0; i < symbols.size(); ++i) {
    const SymbolSpec& s = symbols.spec(i);
    list.push_back({{"symbol", s.name},
                    {"index", i},
                    {"tickSize", format_steps(1, s.tick_size)},
                    {"lotSize", format_steps(1, s.lot_size)},
                    {"minPrice", format_steps(s.min_price, s.tick_size)},
                    {"maxPrice", format_steps(s.max_price, s.tick_size)},
                    {"minQty", format_steps(s.min_qty, s.lot_size)},
                    {"maxQty", format_steps(s.max_qty, s.lot_size)}});
  }
  return json{{"symbols", list}}.dump();
}

std::optional<std::uint64_t> parse_positive(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v == 0) return std::nullopt;
  return v;
}

std::string query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
      return std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

std::string format_units(std::int64_t units, int decimals) {
  return format_steps(units, Decimal{1, decimals});
}

std::optional<std::int64_t> parse_units(std::string_view text, int decimals) {
  const auto d = parse_decimal(text);
  if (!d) return std::nullopt;
  const auto units = to_steps(d.value(), Decimal{1, decimals}, RejectReason::BadRequest);
  if (!units || units.value() <= 0) return std::nullopt;
  return units.value();
}

std::string balances_json(const BalancesReply& reply) {
  json list = json::array();
  for (const AssetBalance& b : reply.balances) {
    list.push_back({{"asset", b.asset},
                    {"free", format_units(b.balance.free, b.decimals)},
                    {"locked", format_units(b.balance.locked, b.decimals)}});
  }
  return json{{"accountId", reply.account.value}, {"balances", std::move(list)}}.dump();
}

std::string transfer_json(const TransferReply& reply, int decimals, std::string_view reference) {
  return json{{"accountId", reply.account.value},
              {"type", reply.deposit ? "DEPOSIT" : "WITHDRAWAL"},
              {"asset", reply.asset},
              {"amount", format_units(reply.amount, decimals)},
              {"free", format_units(reply.balance.free, decimals)},
              {"locked", format_units(reply.balance.locked, decimals)},
              {"reference", reference},
              {"replayed", reply.replayed}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string quote_text(Int128 ticks_times_lots, const SymbolSpec& spec) {
  // A volume is a sum of positive terms below 2^126 each; a day of them fits 2^127.
  U128 v = static_cast<U128>(ticks_times_lots) *
           static_cast<std::uint64_t>(spec.tick_size.mantissa) *
           static_cast<std::uint64_t>(spec.lot_size.mantissa);
  const int scale = spec.tick_size.scale + spec.lot_size.scale;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  if (scale == 0) return digits;
  if (digits.size() <= static_cast<std::size_t>(scale)) {
    digits.insert(0, static_cast<std::size_t>(scale) + 1 - digits.size(), '0');
  }
  digits.insert(digits.size() - static_cast<std::size_t>(scale), 1, '.');
  return digits;
}

DayFigures day_figures(const DayStats& day) {
  DayFigures f;
  f.change = day.last - day.open;
  if (day.open > 0) {
    // Thousandths of a percent, truncated toward zero, as a signed decimal.
    const Int128 milli = static_cast<Int128>(f.change) * 100'000 / day.open;
    const bool negative = milli < 0;
    const auto abs = static_cast<U128>(negative ? -milli : milli);
    std::string frac = std::to_string(static_cast<std::uint64_t>(abs % 1'000));
    frac.insert(0, 3 - frac.size(), '0');
    f.change_percent = (negative ? "-" : "") +
                       std::to_string(static_cast<std::uint64_t>(abs / 1'000)) + "." + frac;
  }
  if (day.volume > 0) {
    f.weighted_avg = static_cast<Ticks>((2 * day.quote_volume + day.volume) /
                                        (2 * static_cast<Int128>(day.volume)));
  }
  return f;
}

std::string trades_json(const TradesReply& reply, const SymbolSpec& spec) {
  json list = json::array();
  for (const PublicTrade& t : reply.trades) {
    list.push_back({{"id", t.id},
                    {"price", format_steps(t.price, spec.tick_size)},
                    {"qty", format_steps(t.qty, spec.lot_size)},
                    {"quoteQty", quote_qty(t.price, t.qty, spec)},
                    {"time", t.time_ns / 1'000'000},
                    {"isBuyerMaker", t.buyer_maker}});
  }
  return list.dump();
}

std::string ticker_json(const SymbolTicker& t, const SymbolSpec& spec) {
  const DayStats& d = t.day;
  const DayFigures f = day_figures(d);
  const bool any = d.count > 0;
  const auto price = [&spec](Ticks v) { return format_steps(v, spec.tick_size); };
  const auto qty = [&spec](Lots v) { return format_steps(v, spec.lot_size); };
  return json{{"symbol", spec.name},
              {"lastPrice", price(d.last)},
              {"lastQty", qty(d.last_qty)},
              {"bidPrice", price(t.bid.price)},
              {"bidQty", qty(t.bid.qty)},
              {"askPrice", price(t.ask.price)},
              {"askQty", qty(t.ask.qty)},
              {"openPrice", price(d.open)},
              {"highPrice", price(d.high)},
              {"lowPrice", price(d.low)},
              {"prevClosePrice", price(d.prev_close)},
              {"priceChange", price(f.change)},
              {"priceChangePercent", f.change_percent},
              {"weightedAvgPrice", price(f.weighted_avg)},
              {"volume", qty(d.volume)},
              {"quoteVolume", quote_text(d.quote_volume, spec)},
              {"count", d.count},
              {"firstId", any ? static_cast<std::int64_t>(d.first_id) : -1},
              {"lastId", any ? static_cast<std::int64_t>(d.last_id) : -1},
              {"openTime", d.open_time_ns / 1'000'000},
              {"closeTime", d.close_time_ns / 1'000'000},
              {"updateId", t.update_id}}
      .dump();
}

}  // namespace spot::proto::http
