// The reads the database answers: what the API's read path, back office and reporting
// ask of the projection. Each has an index (migrations/001_initial.sql); a test runs
// EXPLAIN on every one over 100,000+ rows and fails on a sequential scan.
#pragma once

#include <string_view>
#include <vector>

namespace spot::sql {

struct NamedQuery {
  std::string_view name;
  std::string_view text;  // parameters $1.. as documented beside each
};

// An order by id ($1).
inline constexpr std::string_view kOrderById = "SELECT * FROM orders WHERE order_id = $1";
// An order by its client id: $1 account, $2 client order id.
inline constexpr std::string_view kOrderByClientId =
    "SELECT * FROM orders WHERE account_id = $1 AND client_order_id = $2";
// A trader's open orders: $1 account.
inline constexpr std::string_view kOpenOrders =
    "SELECT * FROM orders WHERE account_id = $1 AND status IN ('NEW', 'PARTIALLY_FILLED') "
    "ORDER BY order_id";
// A trader's orders of one symbol in a time range (allOrders): $1 account, $2 symbol,
// $3 from, $4 to, $5 limit.
inline constexpr std::string_view kAccountOrders =
    "SELECT * FROM orders WHERE account_id = $1 AND symbol = $2 AND created_at >= $3 AND "
    "created_at < $4 ORDER BY created_at LIMIT $5";
// A symbol's orders in a time range (reporting): $1 symbol, $2 from, $3 to.
inline constexpr std::string_view kSymbolOrders =
    "SELECT * FROM orders WHERE symbol = $1 AND created_at >= $2 AND created_at < $3 "
    "ORDER BY created_at";
// The trades of an order, either side: $1 order id.
inline constexpr std::string_view kOrderTrades =
    "SELECT * FROM trades WHERE maker_order_id = $1 OR taker_order_id = $1 ORDER BY trade_id";
// A symbol's trades in a time range: $1 symbol, $2 from, $3 to.
inline constexpr std::string_view kSymbolTrades =
    "SELECT * FROM trades WHERE symbol = $1 AND executed_at >= $2 AND executed_at < $3 "
    "ORDER BY executed_at";
// A trader's trades of one symbol from a trade id on (myTrades): $1 account, $2 symbol,
// $3 from trade id, $4 limit.
inline constexpr std::string_view kAccountTrades =
    "SELECT * FROM trades WHERE (maker_account_id = $1 OR taker_account_id = $1) AND "
    "symbol = $2 AND trade_id >= $3 ORDER BY trade_id LIMIT $4";

// An account's ledger (back office), newest first: $1 account, $2 asset, $3 limit.
inline constexpr std::string_view kAccountLedger =
    "SELECT * FROM ledger WHERE account_id = $1 AND asset = $2 "
    "ORDER BY journal_seq DESC, n DESC LIMIT $3";
// Every asset's: $1 account, $2 limit.
inline constexpr std::string_view kAccountLedgerAllAssets =
    "SELECT * FROM ledger WHERE account_id = $1 ORDER BY journal_seq DESC, n DESC LIMIT $2";

// The read path of the API (store/reads.h) names its columns, times as µs since the Unix
// epoch.
#define SPOT_ORDER_COLUMNS                                                                    \
  "order_id, account_id, symbol, side, type, time_in_force, price::text, quantity::text, "    \
  "executed_qty::text, status, coalesce(client_order_id, ''), coalesce(correlation_id, ''), " \
  "journal_seq, (extract(epoch FROM created_at) * 1000000)::bigint, "                         \
  "(extract(epoch FROM updated_at) * 1000000)::bigint"
#define SPOT_TRADE_COLUMNS                                                                       \
  "trade_id, symbol, price::text, qty::text, maker_order_id, maker_account_id, taker_order_id, " \
  "taker_account_id, taker_side, coalesce(correlation_id, ''), journal_seq, "                    \
  "(extract(epoch FROM executed_at) * 1000000)::bigint, maker_fee::text, taker_fee::text"

// GET order of an order no longer in memory: $1 order id.
inline constexpr std::string_view kReadOrder =
    "SELECT " SPOT_ORDER_COLUMNS " FROM orders WHERE order_id = $1";
// allOrders from a time on, oldest first: $1 account, $2 symbol, $3 from µs, $4 to µs
// (exclusive), $5 limit.
inline constexpr std::string_view kReadAccountOrdersFrom =
    "SELECT " SPOT_ORDER_COLUMNS
    " FROM orders WHERE account_id = $1 AND created_at >= to_timestamp($3::bigint / 1e6) AND "
    "created_at < to_timestamp($4::bigint / 1e6) AND symbol = $2 ORDER BY created_at, order_id "
    "LIMIT $5";
// allOrders without a start: the newest $5 before $4 µs (exclusive), newest first.
inline constexpr std::string_view kReadAccountOrdersNewest =
    "SELECT " SPOT_ORDER_COLUMNS
    " FROM orders WHERE account_id = $1 AND created_at >= to_timestamp($3::bigint / 1e6) AND "
    "created_at < to_timestamp($4::bigint / 1e6) AND symbol = $2 ORDER BY created_at DESC, "
    "order_id DESC LIMIT $5";
// myTrades from a trade id on, oldest first: $1 account, $2 symbol, $3 from trade id,
// $4 limit.
inline constexpr std::string_view kReadAccountTradesFrom =
    "SELECT " SPOT_TRADE_COLUMNS
    " FROM trades WHERE (maker_account_id = $1 OR taker_account_id = $1) AND symbol = $2 AND "
    "trade_id >= $3 ORDER BY trade_id LIMIT $4";
// myTrades without fromId: the account's newest $4 trades of the symbol, newest first
// ($3 is ignored; kept so both take the same parameters).
inline constexpr std::string_view kReadAccountTradesNewest =
    "SELECT " SPOT_TRADE_COLUMNS
    " FROM trades WHERE (maker_account_id = $1 OR taker_account_id = $1) AND symbol = $2 AND "
    "$3::bigint >= 0 ORDER BY trade_id DESC LIMIT $4";

// GET /admin/v1/accounts/{id}/ledger: an account's newest ledger rows, newest first:
// $1 account, $2 asset, $3 limit; without an asset, $2 is '' (both take the same
// parameters) and the (account, seq) index serves.
#define SPOT_LEDGER_COLUMNS                                                          \
  "journal_seq, n, account_id, asset, delta_free::text, delta_locked::text, cause, " \
  "order_id, trade_id, coalesce(reference, ''), coalesce(correlation_id, ''), "      \
  "(extract(epoch FROM created_at) * 1000000)::bigint"
inline constexpr std::string_view kReadAccountLedgerAsset =
    "SELECT " SPOT_LEDGER_COLUMNS
    " FROM ledger WHERE account_id = $1 AND asset = $2 ORDER BY journal_seq DESC, n DESC "
    "LIMIT $3";
inline constexpr std::string_view kReadAccountLedger =
    "SELECT " SPOT_LEDGER_COLUMNS
    " FROM ledger WHERE account_id = $1 AND $2::text = '' ORDER BY journal_seq DESC, n DESC "
    "LIMIT $3";
#undef SPOT_LEDGER_COLUMNS

#undef SPOT_ORDER_COLUMNS
#undef SPOT_TRADE_COLUMNS

inline const std::vector<NamedQuery>& read_queries() {
  static const std::vector<NamedQuery> all = {
      {"order by id", kOrderById},
      {"order by client id", kOrderByClientId},
      {"open orders", kOpenOrders},
      {"account orders", kAccountOrders},
      {"symbol orders", kSymbolOrders},
      {"order trades", kOrderTrades},
      {"symbol trades", kSymbolTrades},
      {"account trades", kAccountTrades},
      {"read order", kReadOrder},
      {"read account orders from", kReadAccountOrdersFrom},
      {"read account orders newest", kReadAccountOrdersNewest},
      {"read account trades from", kReadAccountTradesFrom},
      {"read account trades newest", kReadAccountTradesNewest},
      {"account ledger", kAccountLedger},
      {"account ledger all assets", kAccountLedgerAllAssets},
      {"read account ledger asset", kReadAccountLedgerAsset},
      {"read account ledger", kReadAccountLedger}};
  return all;
}

}  // namespace spot::sql
