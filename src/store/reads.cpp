#include "spot/store/reads.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

#include "spot/core/decimal.h"
#include "spot/store/queries.h"

namespace spot {

namespace {

[[noreturn]] void malformed(const std::string& what) {
  throw std::runtime_error("a row of the projection does not decode: " + what);
}

std::int64_t steps(const pqxx::field& f, Decimal step, const char* what) {
  const auto d = parse_decimal(f.c_str());
  if (!d) malformed(std::string(what) + " " + f.c_str());
  const auto s = to_steps(d.value(), step, RejectReason::BadRequest);
  if (!s) malformed(std::string(what) + " " + f.c_str() + " is off its grid");
  return s.value();
}

// A signed amount in smallest units of an asset with `decimals`.
std::int64_t units(const pqxx::field& f, int decimals, const char* what) {
  std::string_view text = f.c_str();
  const bool negative = text.starts_with('-');
  if (negative) text.remove_prefix(1);
  const auto d = parse_decimal(text);
  if (!d) malformed(std::string(what) + " " + f.c_str());
  const auto s = to_steps(d.value(), Decimal{1, decimals}, RejectReason::BadRequest);
  if (!s) malformed(std::string(what) + " " + f.c_str() + " is finer than its asset's unit");
  return negative ? -s.value() : s.value();
}

template <class E>
E named(const pqxx::field& f, int count, const char* what) {
  const auto e = enum_named<E>(f.c_str(), count);
  if (!e) malformed(std::string(what) + " " + f.c_str());
  return *e;
}

SymbolId symbol_of(const pqxx::field& f, const SymbolTable& symbols) {
  const auto s = symbols.find(f.c_str());
  if (!s) malformed(std::string("symbol ") + f.c_str());
  return *s;
}

OrderRow order_row(const pqxx::row& r, const SymbolTable& symbols) {
  OrderRow o;
  o.order_id = r[0].as<std::uint64_t>();
  o.account = AccountId{r[1].as<std::uint64_t>()};
  o.symbol = symbol_of(r[2], symbols);
  const SymbolSpec& spec = symbols.spec(o.symbol);
  o.side = named<Side>(r[3], 2, "side");
  o.type = named<OrderType>(r[4], 2, "type");
  o.tif = named<TimeInForce>(r[5], 3, "time_in_force");
  if (!r[6].is_null()) o.price = steps(r[6], spec.tick_size, "price");
  o.qty = steps(r[7], spec.lot_size, "quantity");
  o.executed = steps(r[8], spec.lot_size, "executed_qty");
  o.status = named<OrderStatus>(r[9], 6, "status");
  o.client_order_id = r[10].as<std::string>();
  o.correlation_id = r[11].as<std::string>();
  o.journal_seq = r[12].as<std::uint64_t>();
  o.created_us = r[13].as<std::int64_t>();
  o.updated_us = r[14].as<std::int64_t>();
  return o;
}

TradeRow trade_row(const pqxx::row& r, const SymbolTable& symbols) {
  TradeRow t;
  t.trade_id = r[0].as<std::uint64_t>();
  t.symbol = symbol_of(r[1], symbols);
  const SymbolSpec& spec = symbols.spec(t.symbol);
  t.price = steps(r[2], spec.tick_size, "price");
  t.qty = steps(r[3], spec.lot_size, "qty");
  t.maker_order_id = r[4].as<std::uint64_t>();
  t.maker_account_id = r[5].as<std::uint64_t>();
  t.taker_order_id = r[6].as<std::uint64_t>();
  t.taker_account_id = r[7].as<std::uint64_t>();
  t.taker_side = named<Side>(r[8], 2, "taker_side");
  t.correlation_id = r[9].as<std::string>();
  t.journal_seq = r[10].as<std::uint64_t>();
  t.executed_us = r[11].as<std::int64_t>();
  const bool taker_buys = t.taker_side == Side::Buy;
  t.maker_fee = steps(r[12], fee_step(spec, !taker_buys), "maker_fee");
  t.taker_fee = steps(r[13], fee_step(spec, taker_buys), "taker_fee");
  return t;
}

LedgerRow ledger_row(const pqxx::row& r, const SymbolTable& symbols) {
  LedgerRow l;
  l.journal_seq = r[0].as<std::uint64_t>();
  l.n = r[1].as<std::uint32_t>();
  l.account_id = r[2].as<std::uint64_t>();
  const std::string_view asset = r[3].c_str();
  const auto& assets = symbols.assets();
  const auto it = std::find_if(assets.begin(), assets.end(),
                               [asset](const AssetSpec& a) { return a.name == asset; });
  if (it == assets.end()) malformed(std::string("asset ") + r[3].c_str());
  l.asset = static_cast<AssetId>(it - assets.begin());
  l.delta_free = units(r[4], it->decimals, "delta_free");
  l.delta_locked = units(r[5], it->decimals, "delta_locked");
  l.cause = named<LedgerCause>(r[6], kLedgerCauses, "cause");
  l.order_id = r[7].as<std::uint64_t>();
  l.trade_id = r[8].as<std::uint64_t>();
  l.reference = r[9].as<std::string>();
  l.correlation_id = r[10].as<std::string>();
  l.created_us = r[11].as<std::int64_t>();
  return l;
}

}  // namespace

std::optional<OrderRow> read_order(pqxx::connection& c, std::uint64_t order_id,
                                   const SymbolTable& symbols) {
  pqxx::nontransaction tx(c);
  const pqxx::result r = tx.exec_params(std::string(sql::kReadOrder), order_id);
  if (r.empty()) return std::nullopt;
  return order_row(r[0], symbols);
}

std::vector<OrderRow> read_account_orders(pqxx::connection& c, const AccountOrdersQuery& q,
                                          const SymbolTable& symbols) {
  pqxx::nontransaction tx(c);
  const pqxx::result r = tx.exec_params(
      std::string(q.start_us ? sql::kReadAccountOrdersFrom : sql::kReadAccountOrdersNewest),
      q.account_id, symbols.spec(q.symbol).name, q.start_us.value_or(0), q.end_us, q.limit);
  std::vector<OrderRow> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(order_row(row, symbols));
  if (!q.start_us) std::reverse(out.begin(), out.end());
  return out;
}

std::vector<TradeRow> read_account_trades(pqxx::connection& c, const AccountTradesQuery& q,
                                          const SymbolTable& symbols) {
  pqxx::nontransaction tx(c);
  const pqxx::result r = tx.exec_params(
      std::string(q.from_id ? sql::kReadAccountTradesFrom : sql::kReadAccountTradesNewest),
      q.account_id, symbols.spec(q.symbol).name, q.from_id.value_or(0), q.limit);
  std::vector<TradeRow> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(trade_row(row, symbols));
  if (!q.from_id) std::reverse(out.begin(), out.end());
  return out;
}

std::vector<LedgerRow> read_account_ledger(pqxx::connection& c, const AccountLedgerQuery& q,
                                           const SymbolTable& symbols) {
  pqxx::nontransaction tx(c);
  const std::string asset = q.asset ? symbols.assets().at(*q.asset).name : std::string();
  const pqxx::result r =
      tx.exec_params(std::string(q.asset ? sql::kReadAccountLedgerAsset : sql::kReadAccountLedger),
                     q.account_id, asset, q.limit);
  std::vector<LedgerRow> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(ledger_row(row, symbols));
  return out;
}

}  // namespace spot
