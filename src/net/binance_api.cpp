#include "spot/net/binance_api.h"

#include <openssl/crypto.h>

#include <boost/asio/post.hpp>

#include <cmath>
#include <mutex>

#include "spot/log/log.h"

namespace spot {

namespace http = boost::beast::http;
namespace bn = proto::binance;

struct BinanceApi::Call {
  HttpRequest& request;
  std::string_view query;  // after '?', exactly as sent
  const std::string& request_id;
  Responder& responder;
  bn::Params params;
  AccountId account;  // the caller of a signed route, once verify() passed
};

const BinanceApi::Route BinanceApi::kRoutes[] = {
    {http::verb::get, "/api/v3/ping", false, &BinanceApi::ping},
    {http::verb::get, "/api/v3/time", false, &BinanceApi::time},
    {http::verb::get, "/api/v3/exchangeInfo", false, &BinanceApi::exchange_info},
    {http::verb::get, "/api/v3/depth", false, &BinanceApi::depth},
    {http::verb::get, "/api/v3/trades", false, &BinanceApi::trades},
    {http::verb::get, "/api/v3/aggTrades", false, &BinanceApi::agg_trades},
    {http::verb::get, "/api/v3/ticker/price", false, &BinanceApi::ticker_price},
    {http::verb::get, "/api/v3/ticker/24hr", false, &BinanceApi::ticker_24hr},
    {http::verb::get, "/api/v3/ticker/bookTicker", false, &BinanceApi::book_ticker},
    {http::verb::post, "/api/v3/order", true, &BinanceApi::new_order},
    {http::verb::post, "/api/v3/order/test", true, &BinanceApi::test_order},
    {http::verb::get, "/api/v3/order", true, &BinanceApi::get_order},
    {http::verb::delete_, "/api/v3/order", true, &BinanceApi::cancel_order},
    {http::verb::get, "/api/v3/openOrders", true, &BinanceApi::open_orders},
    {http::verb::delete_, "/api/v3/openOrders", true, &BinanceApi::cancel_open_orders},
    {http::verb::get, "/api/v3/allOrders", true, &BinanceApi::all_orders},
    {http::verb::get, "/api/v3/myTrades", true, &BinanceApi::my_trades},
    {http::verb::get, "/api/v3/account", true, &BinanceApi::account},
};

namespace {

HttpResponse error(const bn::Error& e) { return error_response(e.status, e.code, e.msg); }

// A refusal before the queue, in Binance's numbering (429 with Retry-After).
HttpResponse refusal(const Refused& refused) {
  HttpResponse res = error(bn::error_for(refused.reason));
  if (refused.reason == RejectReason::RateLimited) {
    res.set(http::field::retry_after,
            std::to_string(static_cast<long>(std::ceil(refused.retry_after_s))));
  }
  return res;
}

HttpResponse read_error(const ReadOutcome& o) {
  if (o.kind == ReadOutcome::Kind::NotFound) return error(bn::unknown_order_query());
  return error_response(503, -1007, o.message);
}

HttpResponse read_queue_full() {
  return error_response(503, -1016, "Too many reads waiting for the database; try again.");
}

// A positive integer parameter; nullopt with *bad set if sent and not one.
std::optional<std::uint64_t> positive(const bn::Params& params, std::string_view name, bool* bad) {
  const auto text = params.get(name);
  if (!text) return std::nullopt;
  const auto v = proto::http::parse_positive(*text);
  if (!v || *v > static_cast<std::uint64_t>(INT64_MAX / 1'000)) *bad = true;
  return v;
}

bn::OrderView view_of(OrderRow&& row) {
  bn::OrderView v;
  static_cast<OrderSpec&>(v.order) = row;
  v.order.client_order_id = std::move(row.client_order_id);
  v.order.id = OrderId{row.order_id};
  v.order.executed = row.executed;
  v.order.status = row.status;
  v.time_ms = row.created_us / 1'000;
  v.update_time_ms = row.updated_us / 1'000;
  return v;
}

// allOrders without endTime: up to the end of the year 2100.
constexpr std::int64_t kFarFutureUs = 4'102'444'800'000'000;

}  // namespace

BinanceApi::BinanceApi(Gateway& gateway, const AccountDirectory& accounts,
                       const SymbolTable& symbols, const Clock& clock, boost::asio::io_context& ioc,
                       ApiOptions options, double orders_per_second)
    : gateway_(gateway),
      accounts_(accounts),
      symbols_(symbols),
      clock_(clock),
      ioc_(ioc),
      options_(options),
      orders_per_second_(orders_per_second) {}

void BinanceApi::handle(HttpRequest& request, const std::string& request_id, Responder responder) {
  const std::string_view target(request.target().data(), request.target().size());
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  bool path_known = false;
  for (const Route& route : kRoutes) {
    if (route.path != path) continue;
    path_known = true;
    if (route.method != request.method()) continue;
    responder.route(route.path);
    Call call{request, query, request_id, responder, {}, {}};
    // Parameters come in the query string and, form-encoded, in the body (any
    // Content-Type: Binance reads both).
    if (const auto e =
            bn::parse_params(query, request.body(), options_.binance.max_params, &call.params)) {
      return responder.answer(error(*e));
    }
    if (route.is_signed && !verify(call)) return;
    return (this->*route.handler)(call);
  }
  responder.route("other");
  responder.answer(path_known ? error_response(405, -1100, "Method not allowed on this route.")
                              : error_response(404, -1100, "No such route."));
}

bool BinanceApi::verify(Call& call) {
  const auto header = call.request["X-MBX-APIKEY"];
  const std::string_view key(header.data(), header.size());
  if (key.empty()) {
    call.responder.answer(error(bn::bad_api_key_format()));
    return false;
  }
  auto credentials = accounts_.credentials(key);
  if (!credentials) {
    call.responder.answer(error(bn::bad_api_key()));
    return false;
  }
  std::string signature;
  const std::string payload = bn::signed_payload(call.query, call.request.body(), &signature);
  const bool valid =
      !signature.empty() && bn::signature_valid(credentials->secret, payload, signature);
  OPENSSL_cleanse(credentials->secret.data(), credentials->secret.size());
  if (signature.empty()) {
    call.responder.answer(error(bn::missing("signature")));
    return false;
  }
  if (!valid) {
    log::info("signature refused", call.request_id,
              {{"account", std::to_string(credentials->account.value)}});
    call.responder.answer(error(bn::bad_signature()));
    return false;
  }
  if (const auto e = bn::check_timestamp(call.params, now_ms(), options_.binance)) {
    call.responder.answer(error(*e));
    return false;
  }
  call.account = credentials->account;
  return true;
}

void BinanceApi::submit(Call& call, CommandBody body, RenderReply render,
                        const bn::Error* decode_error, RejectReason invalid) {
  const bool needs_account = !std::holds_alternative<GetDepth>(body) &&
                             !std::holds_alternative<GetTrades>(body) &&
                             !std::holds_alternative<GetTicker>(body);
  Gateway::Request request{std::move(body), call.request_id,
                           needs_account ? std::optional<AccountId>(call.account) : std::nullopt,
                           invalid};
  const auto refused =
      gateway_.submit(std::move(request), call.responder.reply_to(std::move(render)));
  if (!refused) return;
  if (decode_error != nullptr && refused->reason == invalid) {
    return call.responder.answer(error(*decode_error));
  }
  call.responder.answer(refusal(*refused));
}

// ---- public ----

void BinanceApi::ping(Call& call) { call.responder.answer(json_response(200, "{}")); }

void BinanceApi::time(Call& call) {
  call.responder.answer(json_response(200, "{\"serverTime\":" + std::to_string(now_ms()) + "}"));
}

void BinanceApi::exchange_info(Call& call) {
  call.responder.answer(
      json_response(200, bn::exchange_info_json(symbols_, now_ms(), orders_per_second_)));
}

namespace {

// aggTrades with both startTime and endTime: at most this far apart (Binance's rule).
constexpr std::uint64_t kAggTradesSpanMs = 3'600'000;

}  // namespace

std::optional<SymbolId> BinanceApi::symbol_param(Call& call) {
  const auto name = call.params.get("symbol");
  if (!name) {
    call.responder.answer(error(bn::missing("symbol")));
    return std::nullopt;
  }
  const auto symbol = bn::find_symbol(symbols_, *name);
  if (!symbol) call.responder.answer(error(bn::bad_symbol()));
  return symbol;
}

std::optional<std::size_t> BinanceApi::trades_limit(Call& call) {
  bool bad = false;
  const auto limit = positive(call.params, "limit", &bad);
  if (bad || (limit && *limit > options_.max_trades_limit)) {
    call.responder.answer(error(
        bn::malformed("limit", "must be 1.." + std::to_string(options_.max_trades_limit) + ".")));
    return std::nullopt;
  }
  return limit.value_or(options_.default_trades_limit);
}

void BinanceApi::with_trades(Call& call, SymbolId symbol, TradeQuery query,
                             std::string (*render)(const TradesReply&, const SymbolSpec&)) {
  const SymbolTable* symbols = &symbols_;
  submit(call, GetTrades{symbol, query}, [symbols, render](Reply&& r) {
    const auto& t = std::get<TradesReply>(r);
    return json_response(200, render(t, symbols->spec(t.symbol)));
  });
}

void BinanceApi::trades(Call& call) {
  const auto symbol = symbol_param(call);
  if (!symbol) return;
  const auto limit = trades_limit(call);
  if (!limit) return;
  TradeQuery query;
  query.limit = *limit;
  with_trades(call, *symbol, query, &bn::trades_json);
}

void BinanceApi::agg_trades(Call& call) {
  const auto symbol = symbol_param(call);
  if (!symbol) return;
  const auto limit = trades_limit(call);
  if (!limit) return;
  TradeQuery query;
  query.limit = *limit;
  query.aggregate = true;
  bool bad = false;
  const auto from_id = positive(call.params, "fromId", &bad);
  if (bad) {
    return call.responder.answer(error(bn::malformed("fromId", "must be a positive integer.")));
  }
  const auto start_ms = positive(call.params, "startTime", &bad);
  const auto end_ms = positive(call.params, "endTime", &bad);
  if (bad) {
    return call.responder.answer(error(
        bn::malformed("startTime", "startTime and endTime must be ms since the Unix epoch.")));
  }
  if (start_ms && end_ms && (*end_ms < *start_ms || *end_ms - *start_ms > kAggTradesSpanMs)) {
    return call.responder.answer(error_response(
        400, -1127, "More than 1 hours between startTime and endTime (or endTime before it)."));
  }
  query.from_id = from_id;
  if (start_ms) query.start_ns = static_cast<std::int64_t>(*start_ms) * 1'000'000;
  // endTime is a whole millisecond: every trade stamped within it is in.
  if (end_ms) query.end_ns = static_cast<std::int64_t>(*end_ms) * 1'000'000 + 999'999;
  with_trades(call, *symbol, query, &bn::agg_trades_json);
}

void BinanceApi::with_tickers(Call& call, bool full) {
  std::optional<std::vector<SymbolId>> wanted;
  bool one = false;
  if (const auto e = bn::ticker_symbols(call.params, symbols_, &wanted, &one)) {
    return call.responder.answer(error(*e));
  }
  GetTicker query;
  // One symbol's is all the engine needs to look at; a list or all: every symbol's.
  if (one) query.symbol = wanted->front();
  query.now_ns = clock_.wall_ns();
  const SymbolTable* symbols = &symbols_;
  submit(call, query, [symbols, wanted = std::move(wanted), one, full](Reply&& r) {
    const auto& t = std::get<TickerReply>(r);
    return json_response(200, full ? bn::ticker_24hr_json(t, *symbols, wanted, one)
                                   : bn::ticker_price_json(t, *symbols, wanted, one));
  });
}

void BinanceApi::ticker_price(Call& call) { with_tickers(call, false); }

void BinanceApi::with_depth(
    Call& call, std::size_t limit,
    std::function<std::string(const DepthReply&, const SymbolSpec&)> render) {
  const auto name = call.params.get("symbol");
  if (!name) return call.responder.answer(error(bn::missing("symbol")));
  const auto symbol = bn::find_symbol(symbols_, *name);
  if (!symbol) return call.responder.answer(error(bn::bad_symbol()));
  const SymbolTable* symbols = &symbols_;
  submit(call, GetDepth{*symbol, limit}, [symbols, render = std::move(render)](Reply&& r) {
    const auto& d = std::get<DepthReply>(r);
    return json_response(200, render(d, symbols->spec(d.symbol)));
  });
}

void BinanceApi::depth(Call& call) {
  bool bad = false;
  const auto limit = positive(call.params, "limit", &bad);
  if (bad || (limit && *limit > options_.max_depth_levels)) {
    return call.responder.answer(error(
        bn::malformed("limit", "must be 1.." + std::to_string(options_.max_depth_levels) + ".")));
  }
  with_depth(call, limit.value_or(options_.default_depth_levels), &bn::depth_json);
}

void BinanceApi::ticker_24hr(Call& call) { with_tickers(call, true); }

void BinanceApi::book_ticker(Call& call) { with_depth(call, 1, &bn::book_ticker_json); }

// ---- orders ----

void BinanceApi::new_order(Call& call) {
  bn::NewOrder parsed = bn::parse_new_order(call.params, symbols_);
  const SymbolTable* symbols = &symbols_;
  const AccountId account = call.account;
  const bn::RespType resp = parsed.resp;
  submit(
      call, parsed.order,
      [this, symbols, account, resp,
       responder = call.responder.weak()](Reply&& r) -> std::optional<HttpResponse> {
        auto& reply = std::get<OrderReply>(r);
        if (reply.reject != RejectReason::None) return error(bn::error_for(reply.reject));
        const SymbolSpec& spec = symbols->spec(reply.order.symbol);
        // A resend of a newClientOrderId: the original order (spotd is idempotent where
        // Binance answers -2010), from the read path once it has left memory.
        if (reply.forgotten) {
          ReadPath* reads = reads_.load(std::memory_order_acquire);
          auto live = responder.lock();
          if (reads == nullptr || !live) {
            return error_response(400, -2010, "Duplicate order sent.");
          }
          auto later = live->answer_later();
          if (!reads->order(
                  account, reply.order.id,
                  [later, symbols](const ReadOutcome& o, const OrderRecord& record) {
                    if (o.kind != ReadOutcome::Kind::Ok) return later(read_error(o));
                    later(json_response(
                        200, bn::order_json(bn::OrderView{record}, symbols->spec(record.symbol))));
                  })) {
            later(read_queue_full());
          }
          return std::nullopt;
        }
        // A resend answered from memory: the order as it is now (its fills are not
        // this request's).
        if (reply.replayed) {
          return json_response(200, bn::order_json(bn::OrderView{reply.order}, spec));
        }
        return json_response(200,
                             bn::new_order_json(reply.order, reply.fills, spec, resp, now_ms()));
      },
      parsed.error ? &*parsed.error : nullptr, parsed.error ? parsed.reason : RejectReason::None);
}

void BinanceApi::test_order(Call& call) {
  const bn::NewOrder parsed = bn::parse_new_order(call.params, symbols_);
  if (parsed.error) return call.responder.answer(error(*parsed.error));
  call.responder.answer(json_response(200, "{}"));
}

namespace {

// symbol= and one of orderId= / origClientOrderId= of GET and DELETE /api/v3/order.
struct OrderRef {
  std::optional<bn::Error> error;
  SymbolId symbol = 0;
  GetOrder get;
};

OrderRef order_ref(const bn::Params& params, const SymbolTable& symbols, AccountId account) {
  OrderRef ref;
  const auto name = params.get("symbol");
  if (!name) {
    ref.error = bn::missing("symbol");
    return ref;
  }
  const auto symbol = bn::find_symbol(symbols, *name);
  if (!symbol) {
    ref.error = bn::bad_symbol();
    return ref;
  }
  ref.symbol = *symbol;
  ref.get.account = account;
  bool bad = false;
  const auto id = positive(params, "orderId", &bad);
  if (bad) {
    ref.error = bn::malformed("orderId", "must be a positive integer.");
    return ref;
  }
  if (id) {
    ref.get.order_id = OrderId{*id};
  } else if (const auto client = params.get("origClientOrderId")) {
    ref.get.client_order_id = std::string(*client);
  } else {
    ref.error = bn::Error{400, -1102,
                          "Param 'origClientOrderId' or 'orderId' must be sent, but both were "
                          "empty/null!"};
  }
  return ref;
}

}  // namespace

void BinanceApi::get_order(Call& call) {
  OrderRef ref = order_ref(call.params, symbols_, call.account);
  if (ref.error) return call.responder.answer(error(*ref.error));
  const SymbolTable* symbols = &symbols_;
  const AccountId account = call.account;
  const SymbolId symbol = ref.symbol;
  submit(call, ref.get,
         [this, symbols, account, symbol,
          responder = call.responder.weak()](Reply&& r) -> std::optional<HttpResponse> {
           auto& reply = std::get<OrderReply>(r);
           if (reply.forgotten) {
             ReadPath* reads = reads_.load(std::memory_order_acquire);
             auto live = responder.lock();
             if (reads == nullptr || !live) return error(bn::unknown_order_query());
             auto later = live->answer_later();
             const bool queued = reads->order(
                 account, reply.order.id,
                 [later, symbols, symbol](const ReadOutcome& o, const OrderRecord& record) {
                   if (o.kind != ReadOutcome::Kind::Ok) return later(read_error(o));
                   if (record.symbol != symbol) return later(error(bn::unknown_order_query()));
                   later(json_response(
                       200, bn::order_json(bn::OrderView{record}, symbols->spec(symbol))));
                 });
             if (!queued) later(read_queue_full());
             return std::nullopt;
           }
           if (reply.reject != RejectReason::None || reply.order.symbol != symbol) {
             return error(bn::unknown_order_query());
           }
           return json_response(200,
                                bn::order_json(bn::OrderView{reply.order}, symbols->spec(symbol)));
         });
}

void BinanceApi::cancel_then(AccountId account, OrderId id, std::string request_id,
                             std::string cancel_client_id,
                             std::function<void(HttpResponse&&)> later) {
  const SymbolTable* symbols = &symbols_;
  auto done = [this, symbols, later, cancel_client_id = std::move(cancel_client_id)](Reply&& r) {
    // On the journal writer's thread: only hand the reply over.
    boost::asio::post(ioc_, [this, symbols, later, cancel_client_id, r = std::move(r)]() mutable {
      if (const auto* refused = std::get_if<Refused>(&r)) return later(refusal(*refused));
      const auto& reply = std::get<OrderReply>(r);
      if (reply.reject == RejectReason::UnknownOrder || reply.reject == RejectReason::NotOwner) {
        return later(error(bn::unknown_order_cancel()));
      }
      if (reply.reject != RejectReason::None) return later(error(bn::error_for(reply.reject)));
      const std::string& client =
          cancel_client_id.empty() ? reply.order.client_order_id : cancel_client_id;
      later(json_response(200, bn::canceled_json(reply.order, symbols->spec(reply.order.symbol),
                                                 client, now_ms())));
    });
  };
  const auto refused =
      gateway_.submit(Gateway::Request{CancelRequest{account, id}, std::move(request_id), account},
                      std::move(done));
  if (refused) later(refusal(*refused));
}

void BinanceApi::cancel_order(Call& call) {
  OrderRef ref = order_ref(call.params, symbols_, call.account);
  if (ref.error) return call.responder.answer(error(*ref.error));
  const AccountId account = call.account;
  const SymbolId symbol = ref.symbol;
  std::string cancel_client_id(call.params.get("newClientOrderId").value_or(""));
  // Two steps: find the order (by id or clientOrderId; its symbol must be the one
  // named), then cancel it by id.
  submit(call, ref.get,
         [this, account, symbol, rid = call.request_id, cancel_client_id,
          responder = call.responder.weak()](Reply&& r) -> std::optional<HttpResponse> {
           auto& reply = std::get<OrderReply>(r);
           if (reply.reject != RejectReason::None || reply.order.symbol != symbol ||
               is_terminal(reply.order.status)) {
             return error(bn::unknown_order_cancel());
           }
           auto live = responder.lock();
           if (!live) return error(bn::unknown_order_cancel());
           cancel_then(account, reply.order.id, rid, cancel_client_id, live->answer_later());
           return std::nullopt;
         });
}

void BinanceApi::open_orders(Call& call) {
  OpenOrders query{call.account, std::nullopt};
  if (const auto name = call.params.get("symbol")) {
    query.symbol = bn::find_symbol(symbols_, *name);
    if (!query.symbol) return call.responder.answer(error(bn::bad_symbol()));
  }
  const SymbolTable* symbols = &symbols_;
  submit(call, query, [symbols](Reply&& r) {
    std::vector<bn::OrderView> views;
    for (OrderRecord& o : std::get<OpenOrdersReply>(r).orders) views.push_back({std::move(o)});
    return json_response(200, bn::orders_json(views, *symbols));
  });
}

void BinanceApi::cancel_open_orders(Call& call) {
  const auto name = call.params.get("symbol");
  if (!name) return call.responder.answer(error(bn::missing("symbol")));
  const auto symbol = bn::find_symbol(symbols_, *name);
  if (!symbol) return call.responder.answer(error(bn::bad_symbol()));
  const AccountId account = call.account;
  submit(call, OpenOrders{account, *symbol},
         [this, account, rid = call.request_id,
          responder = call.responder.weak()](Reply&& r) -> std::optional<HttpResponse> {
           auto& open = std::get<OpenOrdersReply>(r).orders;
           // Binance answers -2011 when there is nothing to cancel.
           if (open.empty()) return error(bn::unknown_order_cancel());
           auto live = responder.lock();
           if (!live) return error(bn::unknown_order_cancel());
           // One cancel per order; the last reply to arrive renders the list (on an I/O
           // thread). Orders that finished meanwhile are left out.
           struct Pending {
             std::mutex mutex;
             std::size_t remaining = 0;
             std::vector<OrderRecord> canceled;
             std::function<void(HttpResponse&&)> later;
           };
           auto pending = std::make_shared<Pending>();
           pending->remaining = open.size();
           pending->later = live->answer_later();
           auto one_done = [this, pending](std::optional<OrderRecord> canceled) {
             std::lock_guard<std::mutex> lock(pending->mutex);
             if (canceled) pending->canceled.push_back(std::move(*canceled));
             if (--pending->remaining != 0) return;
             boost::asio::post(ioc_, [this, pending] {
               std::vector<OrderRecord> list;
               {
                 std::lock_guard<std::mutex> inner(pending->mutex);
                 list = std::move(pending->canceled);
               }
               if (list.empty()) return pending->later(error(bn::unknown_order_cancel()));
               pending->later(json_response(200, bn::canceled_list_json(list, symbols_, now_ms())));
             });
           };
           for (const OrderRecord& o : open) {
             const auto refused =
                 gateway_.submit(Gateway::Request{CancelRequest{account, o.id}, rid, account},
                                 [one_done](Reply&& reply) {
                                   const auto* order = std::get_if<OrderReply>(&reply);
                                   if (order != nullptr && order->reject == RejectReason::None) {
                                     one_done(order->order);
                                   } else {
                                     one_done(std::nullopt);
                                   }
                                 });
             if (refused) one_done(std::nullopt);
           }
           return std::nullopt;
         });
}

// ---- reads past memory ----

ReadPath* BinanceApi::read_path(Call& call) {
  if (!gateway_.ready()) {
    call.responder.answer(refusal(Refused{RejectReason::NotReady, 0}));
    return nullptr;
  }
  ReadPath* reads = reads_.load(std::memory_order_acquire);
  if (reads == nullptr) {
    call.responder.answer(error_response(
        501, -1016, "This spotd has no database (postgres.url): allOrders and myTrades need one."));
  }
  return reads;
}

namespace {

// symbol= and limit= of allOrders and myTrades; the error if either is bad.
std::optional<bn::Error> symbol_and_limit(const bn::Params& params, const SymbolTable& symbols,
                                          const ReadOptions& options, SymbolId* symbol,
                                          std::size_t* limit) {
  const auto name = params.get("symbol");
  if (!name) return bn::missing("symbol");
  const auto found = bn::find_symbol(symbols, *name);
  if (!found) return bn::bad_symbol();
  *symbol = *found;
  bool bad = false;
  const auto l = positive(params, "limit", &bad);
  if (bad || (l && *l > options.max_limit)) {
    return bn::malformed("limit", "must be 1.." + std::to_string(options.max_limit) + ".");
  }
  *limit = l.value_or(options.default_limit);
  return std::nullopt;
}

// A parameter Binance has and spotd's read path does not serve yet.
std::optional<bn::Error> unsupported(const bn::Params& params,
                                     std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) {
    if (params.get(name)) {
      return bn::Error{400, -1100,
                       "Parameter '" + std::string(name) + "' is not supported by spotd yet."};
    }
  }
  return std::nullopt;
}

}  // namespace

void BinanceApi::all_orders(Call& call) {
  ReadPath* reads = read_path(call);
  if (reads == nullptr) return;
  AccountOrdersQuery q;
  q.account_id = call.account.value;
  bool bad = false;
  const auto start_ms = positive(call.params, "startTime", &bad);
  const auto end_ms = positive(call.params, "endTime", &bad);
  if (auto e = symbol_and_limit(call.params, symbols_, reads->options(), &q.symbol, &q.limit)) {
    return call.responder.answer(error(*e));
  }
  if (auto e = unsupported(call.params, {"orderId"})) return call.responder.answer(error(*e));
  if (bad)
    return call.responder.answer(
        error(bn::malformed("startTime", "must be ms since the Unix epoch.")));
  if (start_ms && end_ms && *start_ms >= *end_ms) {
    return call.responder.answer(error_response(400, -1100, "startTime must be before endTime."));
  }
  if (start_ms) q.start_us = static_cast<std::int64_t>(*start_ms) * 1'000;
  q.end_us = end_ms ? static_cast<std::int64_t>(*end_ms) * 1'000 : kFarFutureUs;
  auto later = call.responder.answer_later();
  const SymbolTable* symbols = &symbols_;
  const bool queued = reads->account_orders(
      q, [later, symbols](const ReadOutcome& o, std::vector<OrderRow>&& rows) {
        if (o.kind != ReadOutcome::Kind::Ok) return later(read_error(o));
        std::vector<bn::OrderView> views;
        views.reserve(rows.size());
        for (OrderRow& row : rows) views.push_back(view_of(std::move(row)));
        later(json_response(200, bn::orders_json(views, *symbols)));
      });
  if (!queued) later(read_queue_full());
}

void BinanceApi::my_trades(Call& call) {
  ReadPath* reads = read_path(call);
  if (reads == nullptr) return;
  AccountTradesQuery q;
  q.account_id = call.account.value;
  if (auto e = symbol_and_limit(call.params, symbols_, reads->options(), &q.symbol, &q.limit)) {
    return call.responder.answer(error(*e));
  }
  if (auto e = unsupported(call.params, {"orderId", "startTime", "endTime"})) {
    return call.responder.answer(error(*e));
  }
  bool bad = false;
  q.from_id = positive(call.params, "fromId", &bad);
  if (bad)
    return call.responder.answer(error(bn::malformed("fromId", "must be a positive integer.")));
  auto later = call.responder.answer_later();
  const SymbolTable* symbols = &symbols_;
  const std::uint64_t me = call.account.value;
  const bool queued = reads->account_trades(
      q, [later, symbols, me](const ReadOutcome& o, std::vector<TradeRow>&& rows) {
        if (o.kind != ReadOutcome::Kind::Ok) return later(read_error(o));
        std::vector<bn::MyTrade> trades;
        trades.reserve(rows.size());
        for (const TradeRow& t : rows) {
          // A self-trade is both sides: it is listed as the taker's.
          const bool taker = t.taker_account_id == me;
          const Side side = taker ? t.taker_side : opposite(t.taker_side);
          trades.push_back(bn::MyTrade{t.trade_id, taker ? t.taker_order_id : t.maker_order_id,
                                       t.symbol, t.price, t.qty, side == Side::Buy, !taker,
                                       t.executed_us / 1'000, taker ? t.taker_fee : t.maker_fee});
        }
        later(json_response(200, bn::my_trades_json(trades, *symbols)));
      });
  if (!queued) later(read_queue_full());
}

// ---- account ----

void BinanceApi::account(Call& call) {
  const AccountId account = call.account;
  const Clock* clock = &clock_;
  submit(call, GetBalances{account}, [account, clock](Reply&& r) -> std::optional<HttpResponse> {
    const auto& reply = std::get<BalancesReply>(r);
    if (reply.reject != RejectReason::None) return error(bn::error_for(reply.reject));
    return json_response(
        200, bn::account_json(account, bn::balances_json(reply), clock->wall_ns() / 1'000'000));
  });
}

}  // namespace spot
