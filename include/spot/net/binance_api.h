// The Binance-compatible trader API, /api/v3/... on the trader HTTP listener
// (docs/binance-api.md): Binance's public market data and its signed order and account
// routes, decoded and rendered by proto/binance.h, admitted through the same gateway
// as /api/v1, reading orders past memory through the same read path.
#pragma once

#include <atomic>
#include <string>

#include <boost/asio/io_context.hpp>

#include "spot/cache/read_path.h"
#include "spot/core/clock.h"
#include "spot/engine/symbol.h"
#include "spot/gateway/account_directory.h"
#include "spot/gateway/gateway.h"
#include "spot/net/http_api.h"
#include "spot/net/http_server.h"
#include "spot/proto/binance.h"

namespace spot {

class BinanceApi final : public HttpHandler {
 public:
  // `ioc` runs the steps of requests that take more than one command (a cancel by
  // clientOrderId, a cancel of every open order); the engine's replies are posted to
  // it, never rendered on the journal writer's thread. `orders_per_second` is the
  // per-account rate limit exchangeInfo reports.
  BinanceApi(Gateway& gateway, const AccountDirectory& accounts, const SymbolTable& symbols,
             const Clock& clock, boost::asio::io_context& ioc, ApiOptions options,
             double orders_per_second);
  void handle(HttpRequest& request, const std::string& request_id, Responder responder) override;
  // As ApiHandler::set_read_path.
  void set_read_path(ReadPath* reads) { reads_.store(reads, std::memory_order_release); }

 private:
  struct Call;
  using Handler = void (BinanceApi::*)(Call&);
  struct Route {
    boost::beast::http::verb method;
    std::string_view path;
    bool is_signed;
    Handler handler;
  };
  static const Route kRoutes[];

  void ping(Call& call);
  void time(Call& call);
  void exchange_info(Call& call);
  void depth(Call& call);
  void trades(Call& call);
  void agg_trades(Call& call);
  void ticker_price(Call& call);
  void ticker_24hr(Call& call);
  void book_ticker(Call& call);
  void new_order(Call& call);
  void test_order(Call& call);
  void get_order(Call& call);
  void cancel_order(Call& call);
  void open_orders(Call& call);
  void cancel_open_orders(Call& call);
  void all_orders(Call& call);
  void my_trades(Call& call);
  void account(Call& call);

  // The signed-request checks, in order: X-MBX-APIKEY, the signature, timestamp and
  // recvWindow. False (answered) if one fails; else call.account is the caller.
  bool verify(Call& call);
  // Admits `request` (for call.account); `render` turns the engine's reply into the
  // response on the connection's strand. `decode_error` answers a request that did
  // not decode.
  void submit(Call& call, CommandBody body, RenderReply render,
              const proto::binance::Error* decode_error = nullptr,
              RejectReason invalid = RejectReason::None);
  // The book's top `limit` levels of the symbol= of the call, rendered by `render`.
  void with_depth(Call& call, std::size_t limit,
                  std::function<std::string(const DepthReply&, const SymbolSpec&)> render);
  // symbol= of the call, or nullopt (answered: missing or unknown).
  std::optional<SymbolId> symbol_param(Call& call);
  // limit= of trades and aggTrades (api.default_trades_limit without one), or nullopt
  // (answered: not 1..api.max_trades_limit).
  std::optional<std::size_t> trades_limit(Call& call);
  // The kept trades of `symbol` that `query` selects, rendered by `render`.
  void with_trades(Call& call, SymbolId symbol, TradeQuery query,
                   std::string (*render)(const TradesReply&, const SymbolSpec&));
  // ticker/24hr (full) or ticker/price of symbol=, symbols= or every symbol.
  void with_tickers(Call& call, bool full);
  // The read path, or the answer refusing the call (null: answered).
  ReadPath* read_path(Call& call);
  // Cancels order `id` for `account` and answers through `later`; runs off the strand.
  void cancel_then(AccountId account, OrderId id, std::string request_id,
                   std::string cancel_client_id, std::function<void(HttpResponse&&)> later);
  std::int64_t now_ms() const { return clock_.wall_ns() / 1'000'000; }

  Gateway& gateway_;
  const AccountDirectory& accounts_;
  const SymbolTable& symbols_;
  const Clock& clock_;
  boost::asio::io_context& ioc_;
  ApiOptions options_;
  double orders_per_second_;
  std::atomic<ReadPath*> reads_{nullptr};
};

}  // namespace spot
