// The Binance-compatible /api/v3 (docs/binance-api.md): request parameters, request
// signing, and the JSON of Binance's Spot REST API, so that ccxt and @binance/connector
// trade against spotd unmodified. Pure functions: no sockets, no clocks, no keys of
// their own; net/binance_api.cpp puts them on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spot/engine/commands.h"
#include "spot/engine/symbol.h"
#include "spot/proto/http_json.h"

namespace spot::proto::binance {

using Error = proto::http::Error;

// The options of the signed routes; a module's options struct with its defaults
// (net/http_api.h's ApiOptions holds it).
struct Options {
  std::int64_t recv_window_default_ms = 5'000;  // recvWindow when the request sends none
  std::int64_t recv_window_max_ms = 60'000;     // Binance's own maximum
  std::int64_t timestamp_ahead_ms = 1'000;      // a timestamp may run this far ahead
  std::size_t max_params = 64;                  // query and body parameters together
};

// ---- errors (codes, messages and HTTP statuses as Binance documents them) ----

Error missing(std::string_view name);                          // -1102
Error malformed(std::string_view name, std::string_view why);  // -1100
Error bad_symbol();                                            // -1121 "Invalid symbol."
Error unknown_order_cancel();                                  // -2011 "Unknown order sent." (400)
Error unknown_order_query();  // -2013 "Order does not exist." (400)
Error bad_api_key_format();   // -2014 (401)
Error bad_api_key();          // -2015 (401)
Error bad_signature();        // -1022 (400)
// The error for an engine reject or a gateway refusal, in Binance's numbering.
Error error_for(RejectReason reason);

// ---- parameters ----

// The parameters of a request: the query string's and the (form-encoded) body's, in
// that order, percent-decoded.
struct Params {
  std::vector<std::pair<std::string, std::string>> items;
  // The value of `name`, if sent (Binance treats an empty value as not sent).
  std::optional<std::string_view> get(std::string_view name) const;
};

// Parses "a=1&b=x%20y" pairs of the query and the body. Fails on a malformed percent
// escape, a parameter sent twice (-1101) or more than `max_params` in all.
std::optional<Error> parse_params(std::string_view query, std::string_view body,
                                  std::size_t max_params, Params* out);

// ---- signing (HMAC-SHA256 over totalParams) ----

// Binance's totalParams: the query string concatenated with the body, exactly as sent,
// with the signature parameter taken out; `signature` gets its value ("" if absent).
std::string signed_payload(std::string_view query, std::string_view body, std::string* signature);
// HMAC-SHA256(secret, payload), lower-case hex.
std::string sign(std::string_view secret, std::string_view payload);
// True if `signature` (hex, any case) is HMAC-SHA256(secret, payload), compared in
// constant time.
bool signature_valid(std::string_view secret, std::string_view payload, std::string_view signature);
// timestamp / recvWindow against spotd's clock (ms since the Unix epoch): nullopt if
// the request is in its window. Binance's rule: timestamp < now + ahead and
// now - timestamp <= recvWindow.
std::optional<Error> check_timestamp(const Params& params, std::int64_t now_ms,
                                     const Options& options);

// ---- symbols ----

// "BTC-USDT" -> "BTCUSDT"; "BTC-USDT" -> {"BTC", "USDT"} (a name without '-' is all
// base asset, with an empty quote asset).
std::string binance_symbol(std::string_view name);
std::pair<std::string, std::string> assets_of(std::string_view name);
// The symbol named "BTCUSDT" (or spotd's own "BTC-USDT").
std::optional<SymbolId> find_symbol(const SymbolTable& symbols, std::string_view name);

// ---- orders ----

enum class RespType : std::uint8_t { Ack, Result, Full };

// A POST /api/v3/order, decoded. On failure `error` says what to answer and `reason`
// is the RejectReason to count.
struct NewOrder {
  std::optional<Error> error;
  RejectReason reason = RejectReason::None;
  SubmitOrder order;  // without account: the gateway fills it in
  RespType resp = RespType::Full;
};
NewOrder parse_new_order(const Params& params, const SymbolTable& symbols);

// An order as GET /api/v3/order answers. Times (ms) and the quote quantity are
// printed only when known (`time_ms` < 0, `quote_qty` empty: not known).
struct OrderView {
  OrderRecord order;
  std::int64_t time_ms = -1;
  std::int64_t update_time_ms = -1;
};
std::string order_json(const OrderView& view, const SymbolSpec& spec);
std::string orders_json(const std::vector<OrderView>& views, const SymbolTable& symbols);
// The reply to POST /api/v3/order in the shape `resp` asks for.
std::string new_order_json(const OrderRecord& order, const std::vector<Fill>& fills,
                           const SymbolSpec& spec, RespType resp, std::int64_t transact_ms);
// The reply to DELETE /api/v3/order.
std::string canceled_json(const OrderRecord& order, const SymbolSpec& spec,
                          std::string_view cancel_client_id, std::int64_t transact_ms);
std::string canceled_list_json(const std::vector<OrderRecord>& orders, const SymbolTable& symbols,
                               std::int64_t transact_ms);
// price x qty exactly, at the scale of tick and lot together.
std::string quote_qty(Ticks price, Lots qty, const SymbolSpec& spec);

// ---- market data and account ----

std::string exchange_info_json(const SymbolTable& symbols, std::int64_t server_time_ms,
                               double orders_per_second);
std::string depth_json(const DepthReply& depth, const SymbolSpec& spec);
std::string book_ticker_json(const DepthReply& top, const SymbolSpec& spec);
// GET /api/v3/trades: [{"id","price","qty","quoteQty","time","isBuyerMaker","isBestMatch"}].
std::string trades_json(const TradesReply& reply, const SymbolSpec& spec);
// GET /api/v3/aggTrades: [{"a","p","q","f","l","T","m","M"}]; an aggregate's id "a" is its
// first trade's id.
std::string agg_trades_json(const TradesReply& reply, const SymbolSpec& spec);
// symbol= (one) or symbols=["A","B"] (a JSON array) of the ticker routes: the symbols
// asked for, in that order, or nullopt for every symbol (neither sent); `one` is set
// for symbol=. An unknown name is -1121.
std::optional<Error> ticker_symbols(const Params& params, const SymbolTable& symbols,
                                    std::optional<std::vector<SymbolId>>* out, bool* one);
// GET /api/v3/ticker/price and /ticker/24hr of `tickers` (from the engine, by SymbolId),
// for the symbols `wanted` (nullopt: all): one object when `one`, else an array.
std::string ticker_price_json(const TickerReply& tickers, const SymbolTable& symbols,
                              const std::optional<std::vector<SymbolId>>& wanted, bool one);
std::string ticker_24hr_json(const TickerReply& tickers, const SymbolTable& symbols,
                             const std::optional<std::vector<SymbolId>>& wanted, bool one);
// GET /api/v3/account. `balances` is a JSON array rendered by the balances owner.
// An account's balances as Binance lists them: [{"asset","free","locked"}, ...].
std::string balances_json(const BalancesReply& reply);
std::string account_json(AccountId account, std::string_view balances_json, std::int64_t now_ms);

// A trade of GET /api/v3/myTrades.
struct MyTrade {
  std::uint64_t trade_id = 0;
  std::uint64_t order_id = 0;
  SymbolId symbol = 0;
  Ticks price = 0;
  Lots qty = 0;
  bool is_buyer = false;
  bool is_maker = false;
  std::int64_t time_ms = 0;
  // The account's fee, in smallest units of the asset it received (base if it bought).
  std::int64_t commission = 0;
};
std::string my_trades_json(const std::vector<MyTrade>& trades, const SymbolTable& symbols);

}  // namespace spot::proto::binance
