#include "spot/store/projection.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <initializer_list>

#include "spot/core/assert.h"

namespace spot {

namespace {

std::int64_t micros(std::int64_t ns) { return ns / 1000; }

}  // namespace

ProjectionBatch::PendingOrder& ProjectionBatch::pending(std::uint64_t order_id) {
  const auto [it, added] = order_index_.try_emplace(order_id, orders_.size());
  if (added) {
    orders_.emplace_back();
    orders_.back().row.order_id = order_id;
  }
  return orders_[it->second];
}

void ProjectionBatch::put_whole(const OrderRecord& record, bool created, std::uint64_t seq,
                                std::int64_t time_us) {
  const bool first_seen = !order_index_.contains(record.id.value);
  PendingOrder& p = pending(record.id.value);
  if (first_seen && created) {
    p.created = true;
    ++new_orders_;
  }
  // An order created in this batch keeps the time of its SubmitOrder; one created in an
  // earlier batch keeps the created_at already in the database (the upsert never
  // changes it).
  const std::int64_t created_us = p.whole ? p.row.created_us : time_us;
  OrderRow& row = p.row;
  static_cast<OrderSpec&>(row) = record;
  row.executed = record.executed;
  row.status = record.status;
  row.client_order_id = record.client_order_id;
  row.correlation_id = record.request_id;
  row.journal_seq = seq;
  row.created_us = created_us;
  row.updated_us = time_us;
  p.whole = true;
}

void ProjectionBatch::put_fill(const MakerFill& fill, SymbolId symbol, std::uint64_t seq,
                               std::int64_t time_us) {
  PendingOrder& p = pending(fill.order_id.value);
  OrderRow& row = p.row;
  const OrderStatus status =
      fill.fill.leaves == 0 ? OrderStatus::Filled : OrderStatus::PartiallyFilled;
  if (p.whole) {
    row.executed = row.qty - fill.fill.leaves;
  } else {
    // Only the fill is known; the database computes executed_qty from its quantity.
    row.symbol = symbol;
    p.leaves = fill.fill.leaves;
  }
  row.status = status;
  row.journal_seq = seq;
  row.updated_us = time_us;
}

void LedgerBuffer::append(const LedgerEntry& e) {
  LedgerRow& row = rows_.emplace_back();
  row.account_id = e.account.value;
  row.asset = e.asset;
  row.delta_free = e.delta_free;
  row.delta_locked = e.delta_locked;
  row.cause = e.cause;
  row.order_id = e.order_id.value;
  row.trade_id = e.trade_id.value;
  row.reference = e.reference;
  row.after = e.after;
}

void ProjectionBatch::add(const JournalRecord& record, const Reply& reply, LedgerBuffer* ledger) {
  if (records_ == 0) {
    first_seq_ = record.seq;
    first_time_ns_ = record.time_ns;
  }
  SPOT_ASSERT(records_ == 0 || record.seq == last_seq_ + 1, "projection: records in order");
  ++records_;
  last_seq_ = record.seq;
  const std::int64_t time_us = micros(record.time_ns);
  if (ledger != nullptr) {
    std::uint32_t n = 0;
    for (LedgerRow& row : ledger->rows()) {
      row.journal_seq = record.seq;
      row.n = n++;
      row.correlation_id = record.request_id;
      row.created_us = time_us;
      const std::uint64_t key = row.account_id << 16 | row.asset;
      const auto [it, added] = balance_index_.try_emplace(key, balances_.size());
      if (added) balances_.push_back(BalanceRow{row.account_id, row.asset, {}, 0, 0});
      BalanceRow& b = balances_[it->second];
      b.balance = row.after;
      b.journal_seq = record.seq;
      b.updated_us = time_us;
      ledger_.push_back(std::move(row));
    }
    ledger->clear();
  }

  if (const auto* created = std::get_if<CreateAccount>(&record.command)) {
    const auto& r = std::get<AccountReply>(reply);
    if (r.reject != RejectReason::None) return;
    accounts_.push_back(
        AccountRow{r.account.value, created->name, created->key_hash, record.request_id, time_us});
    return;
  }
  const auto* r = std::get_if<OrderReply>(&reply);
  // Rejected orders and cancels change nothing the engine keeps; an idempotent resend
  // is the original order, already projected.
  if (r == nullptr || r->reject != RejectReason::None || r->replayed) return;
  put_whole(r->order, std::holds_alternative<SubmitOrder>(record.command), record.seq, time_us);
  SPOT_ASSERT(r->fills.size() == r->maker_fills.size(), "projection: one maker per fill");
  for (std::size_t i = 0; i < r->fills.size(); ++i) {
    const Fill& f = r->fills[i];
    const MakerFill& maker = r->maker_fills[i];
    trades_.push_back(TradeRow{f.trade_id.value, r->order.symbol, f.price, f.qty,
                               maker.order_id.value, maker.account.value, r->order.id.value,
                               r->order.account.value, r->order.side, record.request_id, record.seq,
                               time_us, maker.fill.fee, f.fee});
    put_fill(maker, r->order.symbol, record.seq, time_us);
  }
}

void ProjectionBatch::clear() {
  records_ = 0;
  first_seq_ = last_seq_ = 0;
  first_time_ns_ = 0;
  orders_.clear();
  order_index_.clear();
  new_orders_ = 0;
  trades_.clear();
  accounts_.clear();
  ledger_.clear();
  balances_.clear();
  balance_index_.clear();
}

std::vector<BalanceRow> ProjectionBatch::balances() const {
  std::vector<BalanceRow> out = balances_;
  std::sort(out.begin(), out.end(), [](const BalanceRow& a, const BalanceRow& b) {
    return a.account_id != b.account_id ? a.account_id < b.account_id : a.asset < b.asset;
  });
  return out;
}

bool ProjectionBatch::take_order(std::uint64_t order_id, ProjectionBatch* out) {
  const auto it = order_index_.find(order_id);
  if (it == order_index_.end()) return false;
  const std::size_t at = it->second;
  out->clear();
  out->records_ = records_;
  out->first_seq_ = first_seq_;
  out->last_seq_ = last_seq_;
  out->first_time_ns_ = first_time_ns_;
  if (orders_[at].created) {
    --new_orders_;
    out->new_orders_ = 1;
  }
  out->orders_.push_back(std::move(orders_[at]));
  out->order_index_.emplace(order_id, 0);
  orders_.erase(orders_.begin() + static_cast<std::ptrdiff_t>(at));
  order_index_.erase(it);
  for (auto& [id, index] : order_index_) {
    if (index > at) --index;
  }
  return true;
}

std::vector<OrderRow> ProjectionBatch::new_orders() const {
  std::vector<OrderRow> out;
  out.reserve(new_orders_);
  for (const PendingOrder& p : orders_) {
    if (p.created) out.push_back(p.row);
  }
  return out;
}

std::vector<OrderRow> ProjectionBatch::changed_orders() const {
  std::vector<OrderRow> out;
  for (const PendingOrder& p : orders_) {
    if (p.whole && !p.created) out.push_back(p.row);
  }
  std::sort(out.begin(), out.end(),
            [](const OrderRow& a, const OrderRow& b) { return a.order_id < b.order_id; });
  return out;
}

std::vector<OrderFillRow> ProjectionBatch::fills() const {
  std::vector<OrderFillRow> out;
  for (const PendingOrder& p : orders_) {
    if (!p.whole) {
      out.push_back(OrderFillRow{p.row.order_id, p.row.symbol, p.leaves, p.row.status,
                                 p.row.journal_seq, p.row.updated_us});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const OrderFillRow& a, const OrderFillRow& b) { return a.order_id < b.order_id; });
  return out;
}

void ArrayLiteral::separate() {
  if (!first_) text_ += ',';
  first_ = false;
}

void ArrayLiteral::add(std::uint64_t value) {
  separate();
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof(buf), value).ptr;
  text_.append(buf, end);
}

void ArrayLiteral::add(std::int64_t value) {
  separate();
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof(buf), value).ptr;
  text_.append(buf, end);
}

void ArrayLiteral::add_text(std::string_view value) {
  separate();
  text_ += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void ArrayLiteral::add_text_or_null(std::string_view value) {
  if (value.empty()) {
    add_null();
  } else {
    add_text(value);
  }
}

void ArrayLiteral::add_decimal(std::int64_t steps, Decimal step) {
  separate();
  text_ += format_steps(steps, step);
}

void ArrayLiteral::add_null() {
  separate();
  text_ += "NULL";
}

std::string ArrayLiteral::take() {
  text_ += '}';
  std::string out = std::move(text_);
  text_ = "{";
  first_ = true;
  return out;
}

namespace sql {

const char* const kReadCheckpoint = "SELECT last_seq FROM projector_checkpoint WHERE id = 1";

const char* const kMoveCheckpoint =
    "UPDATE projector_checkpoint SET last_seq = $1, updated_at = now() "
    "WHERE id = 1 AND last_seq = $2";

namespace {

#define SPOT_US(col) "timestamptz 'epoch' + " col " * interval '1 microsecond'"

template <std::size_t N>
std::string column_list(const std::array<const char*, N>& columns) {
  std::string out;
  for (const char* c : columns) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

// "unnest($first::type[], $first+1::type[], ...)": one array parameter per column.
std::string unnest_of(int first, std::initializer_list<const char*> types) {
  std::string out = "unnest(";
  for (const char* type : types) {
    if (out.back() != '(') out += ", ";
    out += "$" + std::to_string(first++) + "::" + type + "[]";
  }
  return out + ")";
}

// The condition under which each piece of kWriteBatch writes: its checkpoint guard
// (cp) moved the checkpoint.
constexpr const char* kGuardPassed = "EXISTS (SELECT 1 FROM cp)";

// Whole order rows from order_params at $first..: inserted, or, for an order already in
// the table, its state taken from a later journal record. Rows never move backwards.
std::string order_upsert(int first, bool guarded) {
  return "INSERT INTO orders (" + column_list(kOrderColumns) +
         ") "
         "SELECT u.id, u.acct, u.sym, u.side, u.type, u.tif, u.price, u.qty, u.exec, u.status, "
         "u.coid, u.corr, u.seq, " SPOT_US("u.created") ", " SPOT_US("u.updated") " FROM " +
         unnest_of(first, {"bigint", "bigint", "text", "text", "text", "text", "numeric", "numeric",
                           "numeric", "text", "text", "text", "bigint", "bigint", "bigint"}) +
         " AS u(id, acct, sym, side, type, tif, price, qty, exec, status, coid, corr, seq, "
         "created, updated) " +
         (guarded ? std::string("WHERE ") + kGuardPassed + " " : std::string()) +
         "ON CONFLICT (order_id) DO UPDATE SET executed_qty = EXCLUDED.executed_qty, "
         "status = EXCLUDED.status, journal_seq = EXCLUDED.journal_seq, "
         "updated_at = EXCLUDED.updated_at WHERE orders.journal_seq <= EXCLUDED.journal_seq";
}

// Fills of orders from earlier batches, from fill_params at $first...
std::string fill_update(int first, bool guarded) {
  return "UPDATE orders AS t SET executed_qty = t.quantity - u.leaves, status = u.status, "
         "journal_seq = u.seq, updated_at = " SPOT_US("u.updated") " FROM " +
         unnest_of(first, {"bigint", "numeric", "text", "bigint", "bigint"}) +
         " AS u(id, leaves, status, seq, updated) "
         "WHERE t.order_id = u.id AND t.journal_seq <= u.seq" +
         (guarded ? std::string(" AND ") + kGuardPassed : std::string());
}

std::string trade_insert(int first, bool guarded) {
  return "INSERT INTO trades (" + column_list(kTradeColumns) +
         ") "
         "SELECT u.id, u.sym, u.price, u.qty, u.mo, u.ma, u.t_o, u.ta, u.side, u.corr, u.seq, " +
         SPOT_US("u.at") ", u.mfee, u.tfee FROM " +
         unnest_of(first, {"bigint", "text", "numeric", "numeric", "bigint", "bigint", "bigint",
                           "bigint", "text", "text", "bigint", "bigint", "numeric", "numeric"}) +
         " AS u(id, sym, price, qty, mo, ma, t_o, ta, side, corr, seq, at, mfee, tfee)" +
         (guarded ? std::string(" WHERE ") + kGuardPassed : std::string()) +
         " ON CONFLICT (trade_id) DO NOTHING";
}

std::string account_insert(int first, bool guarded) {
  return "INSERT INTO accounts (" + column_list(kAccountColumns) +
         ") "
         "SELECT u.id, u.name, u.hash, u.corr, " SPOT_US("u.at") " FROM " +
         unnest_of(first, {"bigint", "text", "text", "text", "bigint"}) +
         " AS u(id, name, hash, corr, at)" +
         (guarded ? std::string(" WHERE ") + kGuardPassed : std::string()) +
         " ON CONFLICT (account_id) DO NOTHING";
}

// Ledger rows from ledger_params at $first..: each written once, whatever how often its
// record is projected.
std::string ledger_insert(int first, bool guarded) {
  return "INSERT INTO ledger (" + column_list(kLedgerColumns) +
         ") "
         "SELECT u.seq, u.n, u.acct, u.asset, u.dfree, u.dlocked, u.cause, u.oid, u.tid, u.ref, "
         "u.corr, " SPOT_US("u.at") " FROM " +
         unnest_of(first, {"bigint", "integer", "bigint", "text", "numeric", "numeric", "text",
                           "bigint", "bigint", "text", "text", "bigint"}) +
         " AS u(seq, n, acct, asset, dfree, dlocked, cause, oid, tid, ref, corr, at)" +
         (guarded ? std::string(" WHERE ") + kGuardPassed : std::string()) +
         " ON CONFLICT (journal_seq, n) DO NOTHING";
}

// Balance rows from balance_params at $first..: inserted, or set from a later journal
// record. Like order rows, they never move backwards.
std::string balance_upsert(int first, bool guarded) {
  return "INSERT INTO balances (account_id, asset, free, locked, journal_seq, updated_at) "
         "SELECT u.acct, u.asset, u.free, u.locked, u.seq, " SPOT_US("u.at") " FROM " +
         unnest_of(first, {"bigint", "text", "numeric", "numeric", "bigint", "bigint"}) +
         " AS u(acct, asset, free, locked, seq, at) " +
         (guarded ? std::string("WHERE ") + kGuardPassed + " " : std::string()) +
         "ON CONFLICT (account_id, asset) DO UPDATE SET free = EXCLUDED.free, "
         "locked = EXCLUDED.locked, journal_seq = EXCLUDED.journal_seq, "
         "updated_at = EXCLUDED.updated_at WHERE balances.journal_seq <= EXCLUDED.journal_seq";
}

#undef SPOT_US

}  // namespace

// One statement, so one implicit transaction and one round trip per batch. The
// checkpoint moves from $2 (where this batch starts after) to $1; if it is not at $2
// (the batch was committed already and only the reply was lost, or another writer moved
// it) no row is written and the statement returns 0.
const std::string kWriteBatch =
    "WITH cp AS (UPDATE projector_checkpoint SET last_seq = $1, updated_at = now() "
    "WHERE id = 1 AND last_seq = $2 RETURNING 1), o AS (" +
    order_upsert(3, true) + "), f AS (" + fill_update(18, true) + "), tr AS (" +
    trade_insert(23, true) + "), a AS (" + account_insert(37, true) + "), l AS (" +
    ledger_insert(42, true) + "), b AS (" + balance_upsert(54, true) + ") SELECT count(*) FROM cp";

// Within the COPY transaction, after kMoveCheckpoint: no guard of its own.
const std::string kWriteChanges = "WITH o AS (" + order_upsert(1, false) + "), b AS (" +
                                  balance_upsert(21, false) + ") " + fill_update(16, false);

// The rows of one dead letter, with no checkpoint: the pieces of kWriteBatch unguarded.
// Idempotent like them: order and balance rows only move forward (journal_seq), trades,
// accounts and ledger rows are inserted once.
const std::string kReplayRows =
    "WITH o AS (" + order_upsert(1, false) + "), f AS (" + fill_update(16, false) + "), tr AS (" +
    trade_insert(21, false) + "), a AS (" + account_insert(35, false) + "), l AS (" +
    ledger_insert(40, false) + "), b AS (" + balance_upsert(52, false) + ") SELECT 1";

}  // namespace sql

std::vector<std::string> order_params(const std::vector<OrderRow>& rows,
                                      const SymbolTable& symbols) {
  std::vector<ArrayLiteral> a(15);
  for (const OrderRow& r : rows) {
    const SymbolSpec& spec = symbols.spec(r.symbol);
    a[0].add(r.order_id);
    a[1].add(r.account.value);
    a[2].add_text(spec.name);
    a[3].add_text(to_string(r.side));
    a[4].add_text(to_string(r.type));
    a[5].add_text(to_string(r.tif));
    if (r.type == OrderType::Market) {
      a[6].add_null();
    } else {
      a[6].add_decimal(r.price, spec.tick_size);
    }
    a[7].add_decimal(r.qty, spec.lot_size);
    a[8].add_decimal(r.executed, spec.lot_size);
    a[9].add_text(to_string(r.status));
    a[10].add_text_or_null(r.client_order_id);
    a[11].add_text_or_null(r.correlation_id);
    a[12].add(r.journal_seq);
    a[13].add(r.created_us);
    a[14].add(r.updated_us);
  }
  std::vector<std::string> out;
  out.reserve(a.size());
  for (ArrayLiteral& column : a) out.push_back(column.take());
  return out;
}

std::vector<std::string> fill_params(const std::vector<OrderFillRow>& rows,
                                     const SymbolTable& symbols) {
  std::vector<ArrayLiteral> a(5);
  for (const OrderFillRow& r : rows) {
    a[0].add(r.order_id);
    a[1].add_decimal(r.leaves, symbols.spec(r.symbol).lot_size);
    a[2].add_text(to_string(r.status));
    a[3].add(r.journal_seq);
    a[4].add(r.updated_us);
  }
  std::vector<std::string> out;
  for (ArrayLiteral& column : a) out.push_back(column.take());
  return out;
}

std::vector<std::string> trade_params(const std::vector<TradeRow>& rows,
                                      const SymbolTable& symbols) {
  std::vector<ArrayLiteral> a(14);
  for (const TradeRow& r : rows) {
    const SymbolSpec& spec = symbols.spec(r.symbol);
    a[0].add(r.trade_id);
    a[1].add_text(spec.name);
    a[2].add_decimal(r.price, spec.tick_size);
    a[3].add_decimal(r.qty, spec.lot_size);
    a[4].add(r.maker_order_id);
    a[5].add(r.maker_account_id);
    a[6].add(r.taker_order_id);
    a[7].add(r.taker_account_id);
    a[8].add_text(to_string(r.taker_side));
    a[9].add_text_or_null(r.correlation_id);
    a[10].add(r.journal_seq);
    a[11].add(r.executed_us);
    // The buyer's fee in base units, the seller's in quote units.
    const bool taker_buys = r.taker_side == Side::Buy;
    a[12].add_decimal(r.maker_fee, fee_step(spec, !taker_buys));
    a[13].add_decimal(r.taker_fee, fee_step(spec, taker_buys));
  }
  std::vector<std::string> out;
  for (ArrayLiteral& column : a) out.push_back(column.take());
  return out;
}

std::vector<std::string> ledger_params(const std::vector<LedgerRow>& rows,
                                       const SymbolTable& symbols) {
  std::vector<ArrayLiteral> a(12);
  for (const LedgerRow& r : rows) {
    const AssetSpec& asset = symbols.assets()[r.asset];
    const Decimal unit{1, asset.decimals};
    a[0].add(r.journal_seq);
    a[1].add(std::uint64_t{r.n});
    a[2].add(r.account_id);
    a[3].add_text(asset.name);
    a[4].add_decimal(r.delta_free, unit);
    a[5].add_decimal(r.delta_locked, unit);
    a[6].add_text(to_string(r.cause));
    a[7].add(r.order_id);
    a[8].add(r.trade_id);
    a[9].add_text_or_null(r.reference);
    a[10].add_text_or_null(r.correlation_id);
    a[11].add(r.created_us);
  }
  std::vector<std::string> out;
  for (ArrayLiteral& column : a) out.push_back(column.take());
  return out;
}

std::vector<std::string> balance_params(const std::vector<BalanceRow>& rows,
                                        const SymbolTable& symbols) {
  std::vector<ArrayLiteral> a(6);
  for (const BalanceRow& r : rows) {
    const AssetSpec& asset = symbols.assets()[r.asset];
    const Decimal unit{1, asset.decimals};
    a[0].add(r.account_id);
    a[1].add_text(asset.name);
    a[2].add_decimal(r.balance.free, unit);
    a[3].add_decimal(r.balance.locked, unit);
    a[4].add(r.journal_seq);
    a[5].add(r.updated_us);
  }
  std::vector<std::string> out;
  for (ArrayLiteral& column : a) out.push_back(column.take());
  return out;
}

std::vector<std::string> account_params(const std::vector<AccountRow>& rows) {
  std::vector<ArrayLiteral> a(5);
  for (const AccountRow& r : rows) {
    a[0].add(r.account_id);
    a[1].add_text(r.name);
    a[2].add_text(r.key_hash);
    a[3].add_text_or_null(r.correlation_id);
    a[4].add(r.created_us);
  }
  std::vector<std::string> out;
  for (ArrayLiteral& column : a) out.push_back(column.take());
  return out;
}

namespace {

// µs since the Unix epoch as "YYYY-MM-DD hh:mm:ss.uuuuuu+00" (UTC) into `buf`; returns
// the length (29 for any year 0-9999).
std::size_t format_timestamp(std::int64_t us, char (&buf)[48]) {
  using namespace std::chrono;
  const sys_time<microseconds> t{microseconds{us}};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> hms{t - day};
  const int n = std::snprintf(
      buf, sizeof(buf), "%04d-%02u-%02u %02lld:%02lld:%02lld.%06lld+00",
      static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
      static_cast<unsigned>(ymd.day()), static_cast<long long>(hms.hours().count()),
      static_cast<long long>(hms.minutes().count()), static_cast<long long>(hms.seconds().count()),
      static_cast<long long>(hms.subseconds().count()));
  return static_cast<std::size_t>(n);
}

}  // namespace

void CopyText::separate() {
  if (!first_) text_ += '\t';
  first_ = false;
}

void CopyText::add(std::uint64_t v) {
  separate();
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  text_.append(buf, end);
}

void CopyText::add_text(std::string_view v) {
  separate();
  for (const char c : v) {
    switch (c) {
      case '\\':
        text_ += "\\\\";
        break;
      case '\t':
        text_ += "\\t";
        break;
      case '\n':
        text_ += "\\n";
        break;
      case '\r':
        text_ += "\\r";
        break;
      default:
        text_ += c;
    }
  }
}

void CopyText::add_text_or_null(std::string_view v) {
  if (v.empty()) {
    add_null();
  } else {
    add_text(v);
  }
}

void CopyText::add_null() {
  separate();
  text_ += "\\N";
}

void CopyText::add_decimal(std::int64_t steps, Decimal step) {
  separate();
  text_ += format_steps(steps, step);
}

void CopyText::add_timestamp_us(std::int64_t us) {
  separate();
  char buf[48];
  text_.append(buf, format_timestamp(us, buf));
}

void CopyText::end_row() {
  text_ += '\n';
  first_ = true;
}

void CopyText::clear() {
  text_.clear();
  first_ = true;
}

void add_copy_row(CopyText& out, const OrderRow& r, const SymbolTable& symbols) {
  const SymbolSpec& spec = symbols.spec(r.symbol);
  out.add(r.order_id);
  out.add(r.account.value);
  out.add_text(spec.name);
  out.add_text(to_string(r.side));
  out.add_text(to_string(r.type));
  out.add_text(to_string(r.tif));
  if (r.type == OrderType::Market) {
    out.add_null();
  } else {
    out.add_decimal(r.price, spec.tick_size);
  }
  out.add_decimal(r.qty, spec.lot_size);
  out.add_decimal(r.executed, spec.lot_size);
  out.add_text(to_string(r.status));
  out.add_text_or_null(r.client_order_id);
  out.add_text_or_null(r.correlation_id);
  out.add(r.journal_seq);
  out.add_timestamp_us(r.created_us);
  out.add_timestamp_us(r.updated_us);
  out.end_row();
}

void add_copy_row(CopyText& out, const TradeRow& r, const SymbolTable& symbols) {
  const SymbolSpec& spec = symbols.spec(r.symbol);
  out.add(r.trade_id);
  out.add_text(spec.name);
  out.add_decimal(r.price, spec.tick_size);
  out.add_decimal(r.qty, spec.lot_size);
  out.add(r.maker_order_id);
  out.add(r.maker_account_id);
  out.add(r.taker_order_id);
  out.add(r.taker_account_id);
  out.add_text(to_string(r.taker_side));
  out.add_text_or_null(r.correlation_id);
  out.add(r.journal_seq);
  out.add_timestamp_us(r.executed_us);
  const bool taker_buys = r.taker_side == Side::Buy;
  out.add_decimal(r.maker_fee, fee_step(spec, !taker_buys));
  out.add_decimal(r.taker_fee, fee_step(spec, taker_buys));
  out.end_row();
}

void add_copy_row(CopyText& out, const LedgerRow& r, const SymbolTable& symbols) {
  const AssetSpec& asset = symbols.assets()[r.asset];
  const Decimal unit{1, asset.decimals};
  out.add(r.journal_seq);
  out.add(std::uint64_t{r.n});
  out.add(r.account_id);
  out.add_text(asset.name);
  out.add_decimal(r.delta_free, unit);
  out.add_decimal(r.delta_locked, unit);
  out.add_text(to_string(r.cause));
  out.add(r.order_id);
  out.add(r.trade_id);
  out.add_text_or_null(r.reference);
  out.add_text_or_null(r.correlation_id);
  out.add_timestamp_us(r.created_us);
  out.end_row();
}

void add_copy_row(CopyText& out, const AccountRow& r) {
  out.add(r.account_id);
  out.add_text(r.name);
  out.add_text(r.key_hash);
  out.add_text_or_null(r.correlation_id);
  out.add_timestamp_us(r.created_us);
  out.end_row();
}

Decimal fee_step(const SymbolSpec& spec, bool buyer) {
  return Decimal{1, buyer ? spec.base_decimals : spec.quote_decimals};
}

std::string timestamp_text(std::int64_t us) {
  char buf[48];
  return std::string(buf, format_timestamp(us, buf));
}

}  // namespace spot
