// The reads of the API's read path (cache/read_path.h) against the projection: an
// order by id, a trader's orders over time (allOrders) and a trader's trades
// (myTrades), an account's ledger (back office), each one statement of queries.h through its index.
// They run inside PgSession::run; a row that does not decode (a symbol spotd does not have, a price
// off its grid) throws, which the session reports as an error.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <pqxx/connection>

#include "spot/engine/symbol.h"
#include "spot/store/projection.h"

namespace spot {

struct AccountOrdersQuery {
  std::uint64_t account_id = 0;
  SymbolId symbol = 0;
  std::optional<std::int64_t> start_us;  // none: the newest orders before end_us
  std::int64_t end_us = 0;               // exclusive
  std::size_t limit = 500;
};

struct AccountTradesQuery {
  std::uint64_t account_id = 0;
  SymbolId symbol = 0;
  std::optional<std::uint64_t> from_id;  // none: the newest trades
  std::size_t limit = 500;
};

struct AccountLedgerQuery {
  std::uint64_t account_id = 0;
  std::optional<AssetId> asset;  // none: every asset
  std::size_t limit = 100;
};

std::optional<OrderRow> read_order(pqxx::connection& c, std::uint64_t order_id,
                                   const SymbolTable& symbols);
// Oldest first.
std::vector<OrderRow> read_account_orders(pqxx::connection& c, const AccountOrdersQuery& q,
                                          const SymbolTable& symbols);
// Oldest first.
std::vector<TradeRow> read_account_trades(pqxx::connection& c, const AccountTradesQuery& q,
                                          const SymbolTable& symbols);
// Newest first. A row's `after` is not read (the ledger table has no such column).
std::vector<LedgerRow> read_account_ledger(pqxx::connection& c, const AccountLedgerQuery& q,
                                           const SymbolTable& symbols);

}  // namespace spot
