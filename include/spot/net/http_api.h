// The trader HTTP API (DESIGN.md §5, docs/http-api.md): a route table from method and
// path to a handler that decodes the request (proto/http_json), admits it through the
// gateway, and renders the engine's reply on the connection's strand.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include "spot/cache/read_path.h"
#include "spot/core/clock.h"
#include "spot/engine/symbol.h"
#include "spot/gateway/gateway.h"
#include "spot/net/http_server.h"
#include "spot/proto/binance.h"
#include "spot/proto/http_json.h"

namespace spot {

struct ApiOptions {
  std::size_t default_depth_levels = 100;  // GET /api/v1/depth without limit=
  std::size_t max_depth_levels = 5'000;    // the largest limit= accepted
  // Public trades (GET /api/v1/trades, /api/v3/trades, aggTrades): limit= without one,
  // and the largest accepted (Binance's). engine.recent_trades bounds what there is.
  std::size_t default_trades_limit = 500;
  std::size_t max_trades_limit = 1'000;
  proto::binance::Options binance;  // the signed /api/v3 routes
};

class ApiHandler final : public HttpHandler {
 public:
  // `symbols` never changes after start-up; every I/O thread reads it.
  // `clock` ends the window of GET /api/v1/ticker's 24-hour statistics.
  ApiHandler(Gateway& gateway, const SymbolTable& symbols, ApiOptions options,
             const Clock& clock = SystemClock::instance());
  void handle(HttpRequest& request, const std::string& request_id, Responder responder) override;

  // The read path for orders that have left engine memory, and for allOrders and
  // myTrades (null: none, an embedded spotd). Set once the database side is up; it
  // must outlive every request (stop the listeners first).
  void set_read_path(ReadPath* reads) { reads_.store(reads, std::memory_order_release); }
  // The handler of every /api/v3/ path (net/binance_api.h); null: those are 404. Set
  // before the listener starts.
  void set_v3(HttpHandler* v3) { v3_ = v3; }

 private:
  struct Call;
  using Handler = void (ApiHandler::*)(Call&);
  struct Route {
    boost::beast::http::verb method;
    std::string_view path;  // a path ending in '/' matches every path below it
    std::string_view name;  // the route template, for metrics
    Handler handler;
  };
  static const Route kRoutes[];

  void post_order(Call& call);
  void get_order(Call& call);
  void cancel_order(Call& call);
  // GET or DELETE /api/v1/orders/{id}.
  void order_by_id(Call& call, bool cancel);
  void open_orders(Call& call);
  void depth(Call& call);
  void trades(Call& call);
  void ticker(Call& call);
  void exchange_info(Call& call);
  void all_orders(Call& call);
  void my_trades(Call& call);
  // GET /api/v1/account: the caller's balance of every asset.
  void account(Call& call);
  // The caller of a read-path route, or the answer refusing it (nullopt: answered).
  std::optional<AccountId> read_caller(Call& call, ReadPath** reads);
  // Hands the order of a forgotten reply (of a GET, or of a `resend` of its
  // clientOrderId) to the read path, whose answer comes through answer_later; returns
  // the response now only if there is no read path.
  std::optional<HttpResponse> read_forgotten(Responder responder, AccountId account, OrderId id,
                                             bool resend);

  // Admits `request` through the gateway; `render` makes the response of the engine's
  // reply. `decode_error` is the codec's own answer for a request that did not decode.
  void submit(Call& call, Gateway::Request request, RenderReply render,
              const proto::http::Error* decode_error = nullptr);

  Gateway& gateway_;
  const SymbolTable& symbols_;
  ApiOptions options_;
  const Clock& clock_;
  std::string exchange_info_;
  std::atomic<ReadPath*> reads_{nullptr};
  HttpHandler* v3_ = nullptr;
};

}  // namespace spot
