#include "spot/net/http_api.h"

#include "spot/log/log.h"

namespace spot {

namespace http = boost::beast::http;
namespace codec = proto::http;

struct ApiHandler::Call {
  HttpRequest& request;
  std::string_view target;  // path and query
  std::string_view path;
  const std::string& request_id;
  Responder& responder;
};

const ApiHandler::Route ApiHandler::kRoutes[] = {
    {http::verb::post, "/api/v1/orders", "/api/v1/orders", &ApiHandler::post_order},
    {http::verb::get, "/api/v1/orders/", "/api/v1/orders/{id}", &ApiHandler::get_order},
    {http::verb::delete_, "/api/v1/orders/", "/api/v1/orders/{id}", &ApiHandler::cancel_order},
    {http::verb::get, "/api/v1/openOrders", "/api/v1/openOrders", &ApiHandler::open_orders},
    {http::verb::get, "/api/v1/depth", "/api/v1/depth", &ApiHandler::depth},
    {http::verb::get, "/api/v1/exchangeInfo", "/api/v1/exchangeInfo", &ApiHandler::exchange_info},
};

namespace {

bool matches(std::string_view route_path, std::string_view path) {
  if (route_path.back() == '/') {
    return path.size() > route_path.size() && path.substr(0, route_path.size()) == route_path;
  }
  return path == route_path;
}

}  // namespace

ApiHandler::ApiHandler(Gateway& gateway, const SymbolTable& symbols, ApiOptions options)
    : gateway_(gateway),
      symbols_(symbols),
      options_(options),
      exchange_info_(codec::exchange_info_json(symbols)) {}

void ApiHandler::handle(HttpRequest& request, const std::string& request_id, Responder responder) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  Call call{request, target, path, request_id, responder};
  bool path_known = false;
  for (const Route& route : kRoutes) {
    if (!matches(route.path, path)) continue;
    path_known = true;
    if (route.method != request.method()) continue;
    responder.route(route.name);
    return (this->*route.handler)(call);
  }
  responder.route("other");
  responder.answer(path_known ? error_response(405, -1100, "method not allowed on this route")
                              : error_response(404, -1100, "no such route"));
}

void ApiHandler::submit(Call& call, Gateway::Request request, RenderReply render,
                        const codec::Error* decode_error) {
  request.request_id = call.request_id;
  const RejectReason invalid = request.invalid;
  const auto refused =
      gateway_.submit(std::move(request), call.responder.reply_to(std::move(render)));
  if (!refused) return;
  if (decode_error != nullptr && refused->reason == invalid) {
    return call.responder.answer(
        error_response(decode_error->status, decode_error->code, decode_error->msg));
  }
  call.responder.answer(refusal_response(*refused));
}

void ApiHandler::post_order(Call& call) {
  codec::ParsedOrder parsed = codec::parse_order(call.request.body(), symbols_);
  Gateway::Request request{parsed.order,
                           {},
                           gateway_.authenticate(call.request["X-API-Key"]),
                           parsed.error ? parsed.reason : RejectReason::None};
  const SymbolTable* symbols = &symbols_;
  submit(
      call, std::move(request),
      [symbols, rid = call.request_id](Reply&& r) {
        auto& reply = std::get<OrderReply>(r);
        if (reply.reject != RejectReason::None) {
          const codec::Error e = codec::error_for(reply.reject);
          log::info("order rejected", rid, {{"reason", std::string(to_string(reply.reject))}});
          return error_response(e.status, e.code, e.msg);
        }
        const SymbolSpec& spec = symbols->spec(reply.order.symbol);
        return json_response(
            reply.replayed ? 200 : 201,
            codec::order_json(reply.order, spec, reply.replayed ? nullptr : &reply.fills));
      },
      parsed.error ? &*parsed.error : nullptr);
}

namespace {

// The {id} of /api/v1/orders/{id}.
std::optional<std::uint64_t> order_id(std::string_view path) {
  return codec::parse_positive(path.substr(path.rfind('/') + 1));
}

const codec::Error kBadOrderId{400, -1100, "orderId must be a positive integer"};

}  // namespace

void ApiHandler::get_order(Call& call) { order_by_id(call, false); }

void ApiHandler::cancel_order(Call& call) { order_by_id(call, true); }

void ApiHandler::order_by_id(Call& call, bool cancel) {
  const auto id = order_id(call.path);
  CommandBody body = GetOrder{{}, OrderId{id.value_or(0)}};
  if (cancel) body = CancelRequest{{}, OrderId{id.value_or(0)}};
  Gateway::Request request{std::move(body),
                           {},
                           gateway_.authenticate(call.request["X-API-Key"]),
                           id ? RejectReason::None : RejectReason::BadRequest};
  const SymbolTable* symbols = &symbols_;
  submit(
      call, std::move(request),
      [symbols, cancel](Reply&& r) {
        auto& reply = std::get<OrderReply>(r);
        if (cancel && reply.reject == RejectReason::UnknownOrder) {
          return error_response(404, -2011, "unknown order: not open, or not yours");
        }
        if (reply.reject != RejectReason::None) {
          const codec::Error e = codec::error_for(reply.reject);
          return error_response(e.status, e.code, e.msg);
        }
        return json_response(
            200, codec::order_json(reply.order, symbols->spec(reply.order.symbol), nullptr));
      },
      &kBadOrderId);
}

void ApiHandler::open_orders(Call& call) {
  OpenOrders query{{}, std::nullopt};
  const std::string symbol = codec::query_param(call.target, "symbol");
  RejectReason invalid = RejectReason::None;
  if (!symbol.empty()) {
    query.symbol = symbols_.find(symbol);
    if (!query.symbol) invalid = RejectReason::UnknownSymbol;
  }
  Gateway::Request request{query, {}, gateway_.authenticate(call.request["X-API-Key"]), invalid};
  const SymbolTable* symbols = &symbols_;
  submit(call, std::move(request), [symbols](Reply&& r) {
    return json_response(200,
                         codec::open_orders_json(std::get<OpenOrdersReply>(r).orders, *symbols));
  });
}

void ApiHandler::depth(Call& call) {
  const auto symbol = symbols_.find(codec::query_param(call.target, "symbol"));
  std::size_t limit = options_.default_depth_levels;
  const std::string limit_text = codec::query_param(call.target, "limit");
  const auto parsed_limit = codec::parse_positive(limit_text);
  const bool bad_limit =
      !limit_text.empty() && (!parsed_limit || *parsed_limit > options_.max_depth_levels);
  if (!limit_text.empty() && !bad_limit) limit = *parsed_limit;
  const codec::Error bad_limit_error{
      400, -1100, "limit must be 1.." + std::to_string(options_.max_depth_levels)};
  const RejectReason invalid = !symbol     ? RejectReason::UnknownSymbol
                               : bad_limit ? RejectReason::BadRequest
                                           : RejectReason::None;
  Gateway::Request request{GetDepth{symbol.value_or(0), limit}, {}, std::nullopt, invalid};
  const SymbolTable* symbols = &symbols_;
  submit(
      call, std::move(request),
      [symbols](Reply&& r) {
        const auto& d = std::get<DepthReply>(r);
        return json_response(200, codec::depth_json(d, symbols->spec(d.symbol)));
      },
      bad_limit && symbol ? &bad_limit_error : nullptr);
}

void ApiHandler::exchange_info(Call& call) {
  call.responder.answer(json_response(200, exchange_info_));
}

}  // namespace spot
