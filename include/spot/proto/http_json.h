// The trader HTTP API's JSON (docs/http-api.md): request decoding, reply rendering
// and the mapping of RejectReason to HTTP status and error code. Pure functions: no
// sockets, no Beast; net/ puts the results on the wire.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spot/engine/commands.h"
#include "spot/engine/symbol.h"

namespace spot::proto::http {

struct Error {
  unsigned status = 400;
  int code = -1100;
  std::string msg;
};

// Stable mapping; the codes follow the widely used Binance-style numbering.
Error error_for(RejectReason reason);
// The error for a reply the engine (or the gateway) refused.
Error error_for(const Refused& refused);

// {"code":code,"msg":msg}
std::string error_json(int code, std::string_view msg);

// A POST /api/v1/orders body. On failure `error` says what to answer and `reason` is
// the RejectReason to count (BadRequest unless a field has its own reason).
struct ParsedOrder {
  std::optional<Error> error;
  RejectReason reason = RejectReason::None;
  SubmitOrder order;  // without account: the gateway fills it in
};
ParsedOrder parse_order(std::string_view body, const SymbolTable& symbols);

// The top-level members of an order body that parse_order reads, found in one pass of
// nlohmann's SAX parser: the grammar its documents accept, without building a document
// (a map node and a string per member). A member named twice counts as its last value,
// as in a document.
enum class OrderField : std::uint8_t {
  Symbol,
  Side,
  Type,
  TimeInForce,
  ClientOrderId,
  QuoteOrderQty,
  Quantity,
  Price,
};
inline constexpr std::size_t kOrderFields = 8;
struct OrderFields {
  bool object = false;                       // the body is one well-formed JSON object
  std::array<bool, kOrderFields> present{};  // the member is there
  std::array<std::optional<std::string>, kOrderFields> text;  // and is a string
  bool has(OrderField f) const { return present[static_cast<std::size_t>(f)]; }
  const std::optional<std::string>& string(OrderField f) const {
    return text[static_cast<std::size_t>(f)];
  }
  bool operator==(const OrderFields&) const = default;
};
OrderFields read_order_fields(std::string_view body);

std::string order_json(const OrderRecord& order, const SymbolSpec& spec,
                       const std::vector<Fill>* fills);
std::string open_orders_json(const std::vector<OrderRecord>& orders, const SymbolTable& symbols);
std::string depth_json(const DepthReply& depth, const SymbolSpec& spec);
std::string exchange_info_json(const SymbolTable& symbols);

// An order of GET /api/v1/allOrders: order_json's fields plus "time" and "updateTime"
// (ms since the Unix epoch).
struct OrderAt {
  OrderRecord order;
  std::int64_t created_us = 0;
  std::int64_t updated_us = 0;
};
std::string all_orders_json(const std::vector<OrderAt>& orders, const SymbolTable& symbols);

// A trade of GET /api/v1/myTrades, from the side of the account that asked.
struct AccountTrade {
  std::uint64_t trade_id = 0;
  std::uint64_t order_id = 0;  // the account's order in the trade
  SymbolId symbol = 0;
  Ticks price = 0;
  Lots qty = 0;
  bool is_buyer = false;
  bool is_maker = false;
  std::int64_t time_us = 0;
  // The account's fee on the trade, in smallest units of the asset it received (the
  // base asset if it bought, the quote asset if it sold).
  std::int64_t commission = 0;
};
std::string my_trades_json(const std::vector<AccountTrade>& trades, const SymbolTable& symbols);

// Balances, in decimal strings of each asset's decimals:
// {"accountId":1,"balances":[{"asset":"BTC","free":"1.00000000","locked":"0.00000000"},...]}
std::string balances_json(const BalancesReply& reply);
// A deposit or withdrawal: {"accountId","asset","amount","free","locked","reference",
// "type":"DEPOSIT|WITHDRAWAL","replayed"}.
std::string transfer_json(const TransferReply& reply, int decimals, std::string_view reference);
// units * 10^-decimals as a plain decimal string ("1000.50000000").
std::string format_units(std::int64_t units, int decimals);
// An exact positive amount of an asset with `decimals` ("1000.5") in smallest units;
// nullopt if malformed, zero, finer than the asset's unit or too large.
std::optional<std::int64_t> parse_units(std::string_view text, int decimals);

// ---- public market data (docs/market-data.md), shared with /api/v3 ----

// ticks x lots (a quote volume) in the quote asset, exactly, at the scale of tick and lot
// together.
std::string quote_text(Int128 ticks_times_lots, const SymbolSpec& spec);

// What the 24-hour statistics say besides their own fields: the change from the open in
// ticks, that change in percent of the open with three decimals ("-1.250"; "0.000"
// without an open price), and the volume-weighted average price rounded to the
// nearest tick (0 without volume).
struct DayFigures {
  Ticks change = 0;
  std::string change_percent = "0.000";
  Ticks weighted_avg = 0;
};
DayFigures day_figures(const DayStats& day);

// GET /api/v1/trades: [{"id","price","qty","quoteQty","time","isBuyerMaker"}], oldest
// first (time in ms).
std::string trades_json(const TradesReply& reply, const SymbolSpec& spec);
// GET /api/v1/ticker: one symbol's last price, 24-hour statistics, best bid and ask and
// book update id (see docs/http-api.md for the fields).
std::string ticker_json(const SymbolTicker& ticker, const SymbolSpec& spec);

// A positive decimal integer (ids, limits); nullopt for anything else.
std::optional<std::uint64_t> parse_positive(std::string_view text);
// The value of `name` in the query string of "path?a=1&b=2" ("" if absent).
std::string query_param(std::string_view target, std::string_view name);

}  // namespace spot::proto::http
