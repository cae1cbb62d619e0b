#include "spot/net/api.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "spot/core/decimal.h"
#include "spot/metrics/metrics.h"
#include "spot/net/log.h"

namespace spot {

namespace http = boost::beast::http;
using nlohmann::json;

HttpError http_error(RejectReason reason) {
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
      return {429, -1003, "too many requests"};
    case RejectReason::Overloaded:
      return {503, -1016, "overloaded, try again"};
    case RejectReason::NotReady:
      return {503, -1016, "not ready"};
    case RejectReason::Unauthorized:
      return {401, -2015, "invalid API key"};
    case RejectReason::TooManyOpenOrders:
      return {400, -2010, "too many open orders"};
    case RejectReason::BadRequest:
    case RejectReason::None:
      break;
  }
  return {400, -1100, "bad request"};
}

namespace {

bool sane_client_order_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::uint64_t> parse_id(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v == 0) return std::nullopt;
  return v;
}

// Splits "path?a=1&b=2"; returns the value of `name` ("" if absent).
std::string query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos)
      return std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

ParsedOrder bad(HttpError e, std::string msg, RejectReason reason = RejectReason::BadRequest) {
  ParsedOrder p;
  p.error = e;
  p.reason = reason;
  p.error_msg = std::move(msg);
  return p;
}

json depth_json(const std::vector<DepthLevel>& levels, const SymbolSpec& spec) {
  json out = json::array();
  for (const DepthLevel& l : levels) {
    out.push_back({format_steps(l.price, spec.tick_size), format_steps(l.qty, spec.lot_size)});
  }
  return out;
}

}  // namespace

ParsedOrder parse_order_json(std::string_view body, const Matcher& symbols) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad({400, -1100, ""}, "body is not a JSON object");
  auto text = [&j](const char* name) -> std::optional<std::string> {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  ParsedOrder p;
  SubmitOrder& o = p.order;
  const auto symbol = text("symbol");
  if (!symbol) return bad({400, -1102, ""}, "symbol is required and must be a string");
  const auto id = symbols.find_symbol(*symbol);
  if (!id)
    return bad(http_error(RejectReason::UnknownSymbol), "unknown symbol '" + *symbol + "'",
               RejectReason::UnknownSymbol);
  o.symbol = *id;
  const auto side = text("side");
  if (side == "BUY") {
    o.side = Side::Buy;
  } else if (side == "SELL") {
    o.side = Side::Sell;
  } else {
    return bad({400, -1117, ""}, "side must be BUY or SELL");
  }
  const auto type = text("type");
  if (type == "LIMIT") {
    o.type = OrderType::Limit;
  } else if (type == "MARKET") {
    o.type = OrderType::Market;
  } else {
    return bad({400, -1116, ""}, "type must be LIMIT or MARKET");
  }
  const auto tif = text("timeInForce");
  if (!tif) {
    if (j.contains("timeInForce")) return bad({400, -1115, ""}, "timeInForce must be a string");
    o.tif = o.type == OrderType::Market ? TimeInForce::Ioc : TimeInForce::Gtc;
  } else if (*tif == "GTC") {
    o.tif = TimeInForce::Gtc;
  } else if (*tif == "IOC") {
    o.tif = TimeInForce::Ioc;
  } else if (*tif == "FOK") {
    o.tif = TimeInForce::Fok;
  } else {
    return bad({400, -1115, ""}, "timeInForce must be GTC, IOC or FOK");
  }
  if (o.type == OrderType::Market && o.tif == TimeInForce::Gtc) {
    return bad(http_error(RejectReason::BadOrderType), "MARKET orders take IOC or FOK",
               RejectReason::BadOrderType);
  }
  const auto qty = text("quantity");
  if (!qty) return bad({400, -1102, ""}, "quantity is required as a decimal string, e.g. \"1.5\"");
  const auto lots = symbols.parse_qty(o.symbol, *qty);
  if (!lots)
    return bad(http_error(RejectReason::BadQuantity),
               "quantity '" + *qty + "' is not valid for " + *symbol, RejectReason::BadQuantity);
  o.qty = lots.value();
  if (o.type == OrderType::Limit) {
    const auto price = text("price");
    if (!price) return bad({400, -1102, ""}, "price is required for LIMIT as a decimal string");
    const auto ticks = symbols.parse_price(o.symbol, *price);
    if (!ticks)
      return bad(http_error(RejectReason::BadPrice),
                 "price '" + *price + "' is not valid for " + *symbol, RejectReason::BadPrice);
    o.price = ticks.value();
  } else if (j.contains("price")) {
    return bad({400, -1106, ""}, "price is not sent with MARKET orders");
  }
  if (j.contains("clientOrderId")) {
    const auto client = text("clientOrderId");
    if (!client || !sane_client_order_id(*client)) {
      return bad({400, -1100, ""}, "clientOrderId must be 1-64 characters of [A-Za-z0-9._:-]");
    }
    o.client_order_id = *client;
  }
  return p;
}

std::string order_json(const OrderRecord& order, const SymbolSpec& spec,
                       const std::vector<Fill>* fills) {
  json j = {
      {"orderId", order.id.value},
      {"clientOrderId", order.client_order_id},
      {"symbol", spec.name},
      {"side", to_string(order.side)},
      {"type", to_string(order.type)},
      {"timeInForce", to_string(order.tif)},
      {"price", order.type == OrderType::Market ? std::string("0")
                                                : format_steps(order.price, spec.tick_size)},
      {"origQty", format_steps(order.qty, spec.lot_size)},
      {"executedQty", format_steps(order.executed, spec.lot_size)},
      {"status", to_string(order.status)},
  };
  if (fills != nullptr) {
    json list = json::array();
    for (const Fill& f : *fills) {
      list.push_back({{"price", format_steps(f.price, spec.tick_size)},
                      {"qty", format_steps(f.qty, spec.lot_size)},
                      {"tradeId", f.trade_id.value}});
    }
    j["fills"] = std::move(list);
  }
  return j.dump();
}

ApiHandler::ApiHandler(Intake& intake, const Matcher& symbols)
    : intake_(intake), symbols_(symbols) {
  json list = json::array();
  for (SymbolId i = 0; i < symbols.symbol_count(); ++i) {
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
  exchange_info_ = json{{"symbols", list}}.dump();
}

void ApiHandler::reply(Respond& respond, const std::string& route, HttpResponse&& response) {
  intake_.metrics().http_request(route, response.result_int());
  respond(std::move(response));
}

std::optional<AccountId> ApiHandler::authenticate(const HttpRequest& request,
                                                  const std::string& route,
                                                  const std::string& request_id, Respond& respond) {
  const auto account = intake_.accounts().find_by_key(request["X-API-Key"]);
  if (!account) {
    log::info("rejected: invalid API key", request_id, {{"route", route}});
    reply(respond, route, error_response(401, -2015, "invalid API key"));
  }
  return account;
}

bool ApiHandler::rate_limited(AccountId account, const std::string& route,
                              const std::string& request_id, Respond& respond) {
  double retry_after_s = 0;
  if (intake_.limiter().allow(account, &retry_after_s)) return false;
  HttpResponse res = error_response(429, -1003, "too many requests: per-account order rate limit");
  res.set(http::field::retry_after, std::to_string(static_cast<long>(std::ceil(retry_after_s))));
  intake_.metrics().order_rejected(RejectReason::RateLimited);
  log::info("rejected: rate limited", request_id, {{"account", std::to_string(account.value)}});
  reply(respond, route, std::move(res));
  return true;
}

void ApiHandler::dispatch(CommandBody body, const std::string& route, const std::string& request_id,
                          Respond respond, std::function<HttpResponse(Reply&&)> render) {
  if (!intake_.ready()) {
    reply(respond, route, error_response(503, -1016, "not ready"));
    return;
  }
  Command command;
  command.body = std::move(body);
  command.request_id = request_id;
  command.received_ns = intake_.clock().monotonic_ns();
  Intake* intake = &intake_;
  command.done = [intake, route, respond, render = std::move(render)](Reply&& r) mutable {
    HttpResponse res = render(std::move(r));
    intake->metrics().http_request(route, res.result_int());
    respond(std::move(res));
    intake->reply_delivered();
  };
  if (!intake_.push(command)) {
    intake_.metrics().order_rejected(RejectReason::Overloaded);
    log::warn("rejected: order queue full", request_id, {{"route", route}});
    reply(respond, route, error_response(503, -1016, "overloaded, try again"));
  }
}

void ApiHandler::handle(HttpRequest& request, const std::string& request_id, Respond respond) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const http::verb method = request.method();
  constexpr std::string_view kOrderPrefix = "/api/v1/orders/";

  if (path == "/api/v1/orders" && method == http::verb::post) {
    const std::string route = "/api/v1/orders";
    intake_.metrics().order_received();
    const auto account = authenticate(request, route, request_id, respond);
    if (!account || rate_limited(*account, route, request_id, respond)) return;
    ParsedOrder parsed = parse_order_json(request.body(), symbols_);
    if (parsed.error) {
      intake_.metrics().order_rejected(parsed.reason);
      log::info("rejected: bad order", request_id, {{"detail", parsed.error_msg}});
      reply(respond, route,
            error_response(parsed.error->status, parsed.error->code, parsed.error_msg));
      return;
    }
    parsed.order.account = *account;
    const Matcher* symbols = &symbols_;
    const std::string rid = request_id;
    dispatch(parsed.order, route, request_id, std::move(respond), [symbols, rid](Reply&& r) {
      auto& reply = std::get<OrderReply>(r);
      if (reply.reject != RejectReason::None) {
        const HttpError e = http_error(reply.reject);
        log::info("order rejected", rid, {{"reason", std::string(to_string(reply.reject))}});
        return error_response(e.status, e.code, e.msg);
      }
      const SymbolSpec& spec = symbols->spec(reply.order.symbol);
      return json_response(reply.replayed ? 200 : 201,
                           order_json(reply.order, spec, reply.replayed ? nullptr : &reply.fills));
    });
    return;
  }

  if (path.substr(0, kOrderPrefix.size()) == kOrderPrefix &&
      (method == http::verb::delete_ || method == http::verb::get)) {
    const bool cancel = method == http::verb::delete_;
    const std::string route = "/api/v1/orders/{id}";
    const auto account = authenticate(request, route, request_id, respond);
    if (!account) return;
    if (cancel && rate_limited(*account, route, request_id, respond)) return;
    const auto id = parse_id(path.substr(kOrderPrefix.size()));
    if (!id) {
      reply(respond, route, error_response(400, -1100, "orderId must be a positive integer"));
      return;
    }
    CommandBody body = GetOrder{*account, OrderId{*id}};
    if (cancel) body = CancelRequest{*account, OrderId{*id}};
    const Matcher* symbols = &symbols_;
    dispatch(std::move(body), route, request_id, std::move(respond), [symbols, cancel](Reply&& r) {
      auto& reply = std::get<OrderReply>(r);
      if (reply.reject != RejectReason::None) {
        if (cancel && reply.reject == RejectReason::UnknownOrder) {
          return error_response(404, -2011, "unknown order: not open, or not yours");
        }
        const HttpError e = http_error(reply.reject);
        return error_response(e.status, e.code, e.msg);
      }
      return json_response(200,
                           order_json(reply.order, symbols->spec(reply.order.symbol), nullptr));
    });
    return;
  }

  if (path == "/api/v1/openOrders" && method == http::verb::get) {
    const std::string route = "/api/v1/openOrders";
    const auto account = authenticate(request, route, request_id, respond);
    if (!account) return;
    OpenOrders query{*account, std::nullopt};
    const std::string symbol = query_param(target, "symbol");
    if (!symbol.empty()) {
      query.symbol = symbols_.find_symbol(symbol);
      if (!query.symbol) {
        reply(respond, route, error_response(400, -1121, "invalid symbol"));
        return;
      }
    }
    const Matcher* symbols = &symbols_;
    dispatch(query, route, request_id, std::move(respond), [symbols](Reply&& r) {
      std::string body = "[";
      for (const OrderRecord& o : std::get<OpenOrdersReply>(r).orders) {
        if (body.size() > 1) body += ',';
        body += order_json(o, symbols->spec(o.symbol), nullptr);
      }
      body += ']';
      return json_response(200, std::move(body));
    });
    return;
  }

  if (path == "/api/v1/depth" && method == http::verb::get) {
    const std::string route = "/api/v1/depth";
    const auto symbol = symbols_.find_symbol(query_param(target, "symbol"));
    if (!symbol) {
      reply(respond, route, error_response(400, -1121, "invalid symbol"));
      return;
    }
    std::size_t limit = 100;
    const std::string limit_text = query_param(target, "limit");
    if (!limit_text.empty()) {
      const auto parsed = parse_id(limit_text);
      if (!parsed || *parsed > 5000) {
        reply(respond, route, error_response(400, -1100, "limit must be 1..5000"));
        return;
      }
      limit = *parsed;
    }
    const Matcher* symbols = &symbols_;
    dispatch(GetDepth{*symbol, limit}, route, request_id, std::move(respond), [symbols](Reply&& r) {
      const auto& d = std::get<DepthReply>(r);
      const SymbolSpec& spec = symbols->spec(d.symbol);
      json j = {{"symbol", spec.name},
                {"bids", depth_json(d.bids, spec)},
                {"asks", depth_json(d.asks, spec)}};
      return json_response(200, j.dump());
    });
    return;
  }

  if (path == "/api/v1/exchangeInfo" && method == http::verb::get) {
    reply(respond, "/api/v1/exchangeInfo", json_response(200, exchange_info_));
    return;
  }

  const bool known = path == "/api/v1/orders" || path == "/api/v1/openOrders" ||
                     path == "/api/v1/depth" || path == "/api/v1/exchangeInfo" ||
                     path.substr(0, kOrderPrefix.size()) == kOrderPrefix;
  if (known) {
    reply(respond, "other", error_response(405, -1100, "method not allowed on this route"));
  } else {
    reply(respond, "other", error_response(404, -1100, "no such route"));
  }
}

}  // namespace spot
