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
    {http::verb::get, "/api/v1/trades", "/api/v1/trades", &ApiHandler::trades},
    {http::verb::get, "/api/v1/ticker", "/api/v1/ticker", &ApiHandler::ticker},
    {http::verb::get, "/api/v1/exchangeInfo", "/api/v1/exchangeInfo", &ApiHandler::exchange_info},
    {http::verb::get, "/api/v1/allOrders", "/api/v1/allOrders", &ApiHandler::all_orders},
    {http::verb::get, "/api/v1/myTrades", "/api/v1/myTrades", &ApiHandler::my_trades},
    {http::verb::get, "/api/v1/account", "/api/v1/account", &ApiHandler::account},
};

namespace {

bool matches(std::string_view route_path, std::string_view path) {
  if (route_path.back() == '/') {
    return path.size() > route_path.size() && path.substr(0, route_path.size()) == route_path;
  }
  return path == route_path;
}

// A read-path answer that is not Ok.
HttpResponse read_error(const ReadOutcome& o) {
  if (o.kind == ReadOutcome::Kind::NotFound) {
    const codec::Error e = codec::error_for(RejectReason::UnknownOrder);
    return error_response(e.status, e.code, e.msg);
  }
  return error_response(503, -1007, o.message);
}

HttpResponse read_queue_full() {
  return error_response(503, -1016, "too many reads waiting for the database: try again");
}

}  // namespace

ApiHandler::ApiHandler(Gateway& gateway, const SymbolTable& symbols, ApiOptions options,
                       const Clock& clock)
    : gateway_(gateway),
      symbols_(symbols),
      options_(options),
      clock_(clock),
      exchange_info_(codec::exchange_info_json(symbols)) {}

void ApiHandler::handle(HttpRequest& request, const std::string& request_id, Responder responder) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (v3_ != nullptr && path.starts_with("/api/v3/")) {
    return v3_->handle(request, request_id, std::move(responder));
  }
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
  log::info(
      "request refused", call.request_id,
      {{"route", std::string(call.path)}, {"reason", std::string(to_string(refused->reason))}});
  if (decode_error != nullptr && refused->reason == invalid) {
    return call.responder.answer(
        error_response(decode_error->status, decode_error->code, decode_error->msg));
  }
  call.responder.answer(refusal_response(*refused));
}

void ApiHandler::post_order(Call& call) {
  codec::ParsedOrder parsed = codec::parse_order(call.request.body(), symbols_);
  const std::optional<AccountId> account = gateway_.authenticate(call.request["X-API-Key"]);
  Gateway::Request request{
      parsed.order, {}, account, parsed.error ? parsed.reason : RejectReason::None};
  const SymbolTable* symbols = &symbols_;
  submit(
      call, std::move(request),
      [this, symbols, rid = call.request_id, responder = call.responder.weak(),
       account](Reply&& r) -> std::optional<HttpResponse> {
        auto& reply = std::get<OrderReply>(r);
        if (reply.reject != RejectReason::None) {
          const codec::Error e = codec::error_for(reply.reject);
          log::info("order rejected", rid, {{"reason", std::string(to_string(reply.reject))}});
          return error_response(e.status, e.code, e.msg);
        }
        // A resend of an order that has left memory: the original, from the read path.
        if (reply.forgotten && account) {
          if (auto live = responder.lock())
            return read_forgotten(*live, *account, reply.order.id, true);
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
  const std::optional<AccountId> account = gateway_.authenticate(call.request["X-API-Key"]);
  Gateway::Request request{
      std::move(body), {}, account, id ? RejectReason::None : RejectReason::BadRequest};
  const SymbolTable* symbols = &symbols_;
  submit(
      call, std::move(request),
      [this, symbols, cancel, account,
       responder = call.responder.weak()](Reply&& r) -> std::optional<HttpResponse> {
        auto& reply = std::get<OrderReply>(r);
        // Finished and no longer in memory: Redis, then PostgreSQL. (A cancel of it is
        // an unknown order: it is not open.)
        if (!cancel && reply.forgotten && account) {
          if (auto live = responder.lock()) {
            return read_forgotten(*live, *account, reply.order.id, false);
          }
        }
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

void ApiHandler::account(Call& call) {
  const std::optional<AccountId> account = gateway_.authenticate(call.request["X-API-Key"]);
  if (!account) {
    const codec::Error e = codec::error_for(RejectReason::Unauthorized);
    return call.responder.answer(error_response(e.status, e.code, e.msg));
  }
  Gateway::Request request{GetBalances{*account}, {}, account, RejectReason::None};
  submit(call, std::move(request), [](Reply&& r) {
    const auto& reply = std::get<BalancesReply>(r);
    if (reply.reject != RejectReason::None) {
      const codec::Error e = codec::error_for(reply.reject);
      return error_response(e.status, e.code, e.msg);
    }
    return json_response(200, codec::balances_json(reply));
  });
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

void ApiHandler::trades(Call& call) {
  // As depth: an unknown symbol is -1121, a bad limit -1100, both through the gateway's
  // count of refusals.
  const auto symbol = symbols_.find(codec::query_param(call.target, "symbol"));
  std::size_t limit = options_.default_trades_limit;
  const std::string limit_text = codec::query_param(call.target, "limit");
  const auto parsed_limit = codec::parse_positive(limit_text);
  const bool bad_limit =
      !limit_text.empty() && (!parsed_limit || *parsed_limit > options_.max_trades_limit);
  if (!limit_text.empty() && !bad_limit) limit = *parsed_limit;
  const codec::Error bad_limit_error{
      400, -1100, "limit must be 1.." + std::to_string(options_.max_trades_limit)};
  const RejectReason invalid = !symbol     ? RejectReason::UnknownSymbol
                               : bad_limit ? RejectReason::BadRequest
                                           : RejectReason::None;
  TradeQuery query;
  query.limit = limit;
  Gateway::Request request{GetTrades{symbol.value_or(0), query}, {}, std::nullopt, invalid};
  const SymbolTable* symbols = &symbols_;
  submit(
      call, std::move(request),
      [symbols](Reply&& r) {
        const auto& t = std::get<TradesReply>(r);
        return json_response(200, codec::trades_json(t, symbols->spec(t.symbol)));
      },
      bad_limit && symbol ? &bad_limit_error : nullptr);
}

void ApiHandler::ticker(Call& call) {
  // One symbol's ticker; without symbol= every symbol's, as an array.
  const std::string name = codec::query_param(call.target, "symbol");
  GetTicker query;
  query.now_ns = clock_.wall_ns();
  RejectReason invalid = RejectReason::None;
  if (!name.empty()) {
    query.symbol = symbols_.find(name);
    if (!query.symbol) invalid = RejectReason::UnknownSymbol;
  }
  const bool one = !name.empty();
  Gateway::Request request{query, {}, std::nullopt, invalid};
  const SymbolTable* symbols = &symbols_;
  submit(call, std::move(request), [symbols, one](Reply&& r) {
    const auto& reply = std::get<TickerReply>(r);
    if (one && reply.tickers.size() == 1) {
      const SymbolTicker& t = reply.tickers.front();
      return json_response(200, codec::ticker_json(t, symbols->spec(t.symbol)));
    }
    std::string body = "[";
    for (const SymbolTicker& t : reply.tickers) {
      if (body.size() > 1) body += ',';
      body += codec::ticker_json(t, symbols->spec(t.symbol));
    }
    return json_response(200, body + "]");
  });
}

void ApiHandler::exchange_info(Call& call) {
  call.responder.answer(json_response(200, exchange_info_));
}

std::optional<HttpResponse> ApiHandler::read_forgotten(Responder responder, AccountId account,
                                                       OrderId id, bool resend) {
  ReadPath* reads = reads_.load(std::memory_order_acquire);
  if (reads == nullptr) {
    // Embedded: finished orders past engine.order_history are gone.
    if (resend) {
      return error_response(400, -2010,
                            "duplicate clientOrderId: order " + std::to_string(id.value) +
                                " has it, and has left memory (no database to read it from)");
    }
    const codec::Error e = codec::error_for(RejectReason::UnknownOrder);
    return error_response(e.status, e.code, e.msg);
  }
  auto later = responder.answer_later();
  const SymbolTable* symbols = &symbols_;
  const bool queued =
      reads->order(account, id, [later, symbols](const ReadOutcome& o, const OrderRecord& record) {
        if (o.kind != ReadOutcome::Kind::Ok) return later(read_error(o));
        later(json_response(200, codec::order_json(record, symbols->spec(record.symbol), nullptr)));
      });
  if (!queued) later(read_queue_full());
  return std::nullopt;
}

std::optional<AccountId> ApiHandler::read_caller(Call& call, ReadPath** reads) {
  const std::optional<AccountId> account = gateway_.authenticate(call.request["X-API-Key"]);
  if (!account) {
    call.responder.answer(refusal_response(Refused{RejectReason::Unauthorized, 0}));
    return std::nullopt;
  }
  if (!gateway_.ready()) {
    call.responder.answer(refusal_response(Refused{RejectReason::NotReady, 0}));
    return std::nullopt;
  }
  *reads = reads_.load(std::memory_order_acquire);
  if (*reads == nullptr) {
    call.responder.answer(error_response(
        501, -1016, "this spotd has no database (postgres.url): allOrders and myTrades need one"));
    return std::nullopt;
  }
  return account;
}

namespace {

// The symbol= and limit= of a read-path route; false (answered) if either is bad.
bool symbol_and_limit(std::string_view target, const SymbolTable& symbols,
                      const ReadOptions& options, Responder& responder, SymbolId* symbol,
                      std::size_t* limit) {
  const std::string name = codec::query_param(target, "symbol");
  if (name.empty()) {
    responder.answer(error_response(400, -1102, "symbol is required"));
    return false;
  }
  const auto found = symbols.find(name);
  if (!found) {
    const codec::Error e = codec::error_for(RejectReason::UnknownSymbol);
    responder.answer(error_response(e.status, e.code, e.msg));
    return false;
  }
  *symbol = *found;
  *limit = options.default_limit;
  const std::string text = codec::query_param(target, "limit");
  if (text.empty()) return true;
  const auto parsed = codec::parse_positive(text);
  if (!parsed || *parsed > options.max_limit) {
    responder.answer(
        error_response(400, -1100, "limit must be 1.." + std::to_string(options.max_limit)));
    return false;
  }
  *limit = *parsed;
  return true;
}

// An optional positive integer parameter; false (answered) if present and bad.
bool optional_positive(std::string_view target, std::string_view name, Responder& responder,
                       std::optional<std::uint64_t>* out) {
  const std::string text = codec::query_param(target, name);
  if (text.empty()) return true;
  *out = codec::parse_positive(text);
  if (*out && **out <= static_cast<std::uint64_t>(INT64_MAX / 1'000)) return true;
  responder.answer(error_response(400, -1100, std::string(name) + " must be a positive integer"));
  return false;
}

HttpResponse with_projected_seq(HttpResponse res, std::uint64_t seq) {
  res.set("X-Spot-Projected-Seq", std::to_string(seq));
  return res;
}

// allOrders without endTime: up to the end of the year 2100.
constexpr std::int64_t kFarFutureUs = 4'102'444'800'000'000;

}  // namespace

void ApiHandler::all_orders(Call& call) {
  ReadPath* reads = nullptr;
  const auto account = read_caller(call, &reads);
  if (!account) return;
  AccountOrdersQuery q;
  q.account_id = account->value;
  std::optional<std::uint64_t> start_ms, end_ms;
  if (!symbol_and_limit(call.target, symbols_, reads->options(), call.responder, &q.symbol,
                        &q.limit) ||
      !optional_positive(call.target, "startTime", call.responder, &start_ms) ||
      !optional_positive(call.target, "endTime", call.responder, &end_ms)) {
    return;
  }
  if (start_ms && end_ms && *start_ms >= *end_ms) {
    return call.responder.answer(error_response(400, -1100, "startTime must be before endTime"));
  }
  if (start_ms) q.start_us = static_cast<std::int64_t>(*start_ms) * 1'000;
  q.end_us = end_ms ? static_cast<std::int64_t>(*end_ms) * 1'000 : kFarFutureUs;
  auto later = call.responder.answer_later();
  const SymbolTable* symbols = &symbols_;
  const bool queued = reads->account_orders(
      q, [later, symbols](const ReadOutcome& o, std::vector<OrderRow>&& rows) {
        if (o.kind != ReadOutcome::Kind::Ok) return later(read_error(o));
        std::vector<codec::OrderAt> orders;
        orders.reserve(rows.size());
        for (OrderRow& row : rows) {
          codec::OrderAt at;
          static_cast<OrderSpec&>(at.order) = row;
          at.order.client_order_id = std::move(row.client_order_id);
          at.order.id = OrderId{row.order_id};
          at.order.executed = row.executed;
          at.order.status = row.status;
          at.created_us = row.created_us;
          at.updated_us = row.updated_us;
          orders.push_back(std::move(at));
        }
        later(with_projected_seq(json_response(200, codec::all_orders_json(orders, *symbols)),
                                 o.projected_seq));
      });
  if (!queued) later(read_queue_full());
}

void ApiHandler::my_trades(Call& call) {
  ReadPath* reads = nullptr;
  const auto account = read_caller(call, &reads);
  if (!account) return;
  AccountTradesQuery q;
  q.account_id = account->value;
  if (!symbol_and_limit(call.target, symbols_, reads->options(), call.responder, &q.symbol,
                        &q.limit) ||
      !optional_positive(call.target, "fromId", call.responder, &q.from_id)) {
    return;
  }
  auto later = call.responder.answer_later();
  const SymbolTable* symbols = &symbols_;
  const std::uint64_t me = account->value;
  const bool queued = reads->account_trades(
      q, [later, symbols, me](const ReadOutcome& o, std::vector<TradeRow>&& rows) {
        if (o.kind != ReadOutcome::Kind::Ok) return later(read_error(o));
        std::vector<codec::AccountTrade> trades;
        trades.reserve(rows.size());
        for (const TradeRow& t : rows) {
          // A self-trade is both sides: it is listed as the taker's.
          const bool taker = t.taker_account_id == me;
          const Side side = taker ? t.taker_side : opposite(t.taker_side);
          trades.push_back(codec::AccountTrade{
              t.trade_id, taker ? t.taker_order_id : t.maker_order_id, t.symbol, t.price, t.qty,
              side == Side::Buy, !taker, t.executed_us, taker ? t.taker_fee : t.maker_fee});
        }
        later(with_projected_seq(json_response(200, codec::my_trades_json(trades, *symbols)),
                                 o.projected_seq));
      });
  if (!queued) later(read_queue_full());
}

}  // namespace spot
