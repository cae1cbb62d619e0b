// What the database holds of a run of journal records: the rows their execution wrote
// (orders, trades, accounts), collapsed so that each order appears once per batch in its
// latest state. Pure: the projector fills a batch by executing records on its replica
// engine and handing each record and the engine's reply here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "spot/engine/balances.h"
#include "spot/engine/commands.h"
#include "spot/engine/symbol.h"
#include "spot/journal/reader.h"

namespace spot {

// The order as submitted (price 0 for MARKET), and what has become of it.
struct OrderRow : OrderSpec {
  std::uint64_t order_id = 0;
  Lots executed = 0;
  OrderStatus status = OrderStatus::New;
  std::string client_order_id;
  std::string correlation_id;
  std::uint64_t journal_seq = 0;  // the record that last changed the order
  std::int64_t created_us = 0;    // µs since the Unix epoch
  std::int64_t updated_us = 0;
};

// A resting order's fill, for an order whose row is already in the database (accepted
// in an earlier batch): its quantity left and its new status.
struct OrderFillRow {
  std::uint64_t order_id = 0;
  SymbolId symbol = 0;
  Lots leaves = 0;
  OrderStatus status = OrderStatus::PartiallyFilled;
  std::uint64_t journal_seq = 0;
  std::int64_t updated_us = 0;
};

struct TradeRow {
  std::uint64_t trade_id = 0;
  SymbolId symbol = 0;
  Ticks price = 0;
  Lots qty = 0;
  std::uint64_t maker_order_id = 0;
  std::uint64_t maker_account_id = 0;
  std::uint64_t taker_order_id = 0;
  std::uint64_t taker_account_id = 0;
  Side taker_side = Side::Buy;
  std::string correlation_id;
  std::uint64_t journal_seq = 0;
  std::int64_t executed_us = 0;
  // Each side's fee, in smallest units of the asset it received (the base asset for
  // the buyer, the quote asset for the seller).
  std::int64_t maker_fee = 0;
  std::int64_t taker_fee = 0;
};

// One balance change (engine/balances.h), as the ledger table holds it. Keyed on
// (journal_seq, n): the record that made it and its place among that record's changes,
// so that projecting the same record again writes nothing twice.
struct LedgerRow {
  std::uint64_t journal_seq = 0;
  std::uint32_t n = 0;
  std::uint64_t account_id = 0;  // 0: the fee account
  AssetId asset = 0;
  std::int64_t delta_free = 0;  // smallest units of the asset
  std::int64_t delta_locked = 0;
  LedgerCause cause = LedgerCause::Deposit;
  std::uint64_t order_id = 0;  // 0: none
  std::uint64_t trade_id = 0;  // 0: none
  std::string reference;       // a transfer's; empty otherwise
  std::string correlation_id;
  std::int64_t created_us = 0;
  Balance after;  // the balance once this change is made (for the balances row)
};

// An account's balance of one asset, as of the last record of the batch that changed it.
struct BalanceRow {
  std::uint64_t account_id = 0;
  AssetId asset = 0;
  Balance balance;
  std::uint64_t journal_seq = 0;
  std::int64_t updated_us = 0;
};

// The projector's ledger sink: the changes one record makes, for ProjectionBatch::add
// to take. Attached to the replica engine (Engine::set_ledger).
class LedgerBuffer : public LedgerSink {
 public:
  void append(const LedgerEntry& entry) override;
  std::vector<LedgerRow>& rows() { return rows_; }
  void clear() { rows_.clear(); }

 private:
  std::vector<LedgerRow> rows_;
};

struct AccountRow {
  std::uint64_t account_id = 0;
  std::string name;
  std::string key_hash;
  std::string correlation_id;
  std::int64_t created_us = 0;
};

class ProjectionBatch {
 public:
  // Adds the rows that executing `record` wrote; `reply` is what the engine answered,
  // `ledger` (if not null) the balance changes it made, which are moved out of it.
  // REQUIRES: records in journal order, each once.
  void add(const JournalRecord& record, const Reply& reply, LedgerBuffer* ledger = nullptr);
  void clear();

  bool empty() const { return records_ == 0; }
  std::size_t records() const { return records_; }
  std::uint64_t first_seq() const { return first_seq_; }
  std::uint64_t last_seq() const { return last_seq_; }
  std::int64_t first_time_ns() const { return first_time_ns_; }

  // The orders of the batch, each in exactly one of three lists, each list in order of
  // order id (the order of the rows in the table and in its primary key, so that
  // updates in that order touch each page once):
  // - new_orders: created in this batch (first seen by their own SubmitOrder record), as
  //   whole rows in their latest state: rows the database has never held;
  // - changed_orders: created in an earlier batch and made whole again here (a cancel),
  //   as whole rows; the database holds an older version (created_us is not theirs);
  // - fills: created in an earlier batch and only filled here (quantity left, status).
  std::vector<OrderRow> new_orders() const;
  std::vector<OrderRow> changed_orders() const;
  std::vector<OrderFillRow> fills() const;
  const std::vector<TradeRow>& trades() const { return trades_; }
  const std::vector<AccountRow>& accounts() const { return accounts_; }
  // Every balance change, in journal order.
  const std::vector<LedgerRow>& ledger() const { return ledger_; }
  // The balances the batch changed, each once in its latest state, in order of
  // (account, asset).
  std::vector<BalanceRow> balances() const;
  std::size_t order_count() const { return orders_.size(); }
  // Whether the batch writes a row of any of `order_ids` (a whole row or a fill).
  template <class Set>
  bool touches_any(const Set& order_ids) const {
    for (const PendingOrder& p : orders_) {
      if (order_ids.contains(p.row.order_id)) return true;
    }
    return false;
  }
  // Moves what the batch writes of order `order_id` (its whole row or its fill) into
  // `out`, a batch of the same records holding only that; trades, accounts, ledger and
  // balances stay.
  // False if the batch has nothing of that order.
  bool take_order(std::uint64_t order_id, ProjectionBatch* out);
  // Rows the database has never held: new orders, trades and accounts (what the
  // projector may COPY rather than upsert).
  std::size_t new_rows() const {
    return new_orders_ + trades_.size() + accounts_.size() + ledger_.size();
  }

 private:
  struct PendingOrder {
    bool whole = false;    // row is complete; otherwise only the fill fields are meaningful
    bool created = false;  // created by a record of this batch
    OrderRow row;
    Lots leaves = 0;  // fill only: the quantity left
  };
  PendingOrder& pending(std::uint64_t order_id);
  // `created`: the record is the order's own SubmitOrder.
  void put_whole(const OrderRecord& record, bool created, std::uint64_t seq, std::int64_t time_us);
  void put_fill(const MakerFill& fill, SymbolId symbol, std::uint64_t seq, std::int64_t time_us);

  std::size_t records_ = 0;
  std::uint64_t first_seq_ = 0;
  std::uint64_t last_seq_ = 0;
  std::int64_t first_time_ns_ = 0;
  std::vector<PendingOrder> orders_;  // in order of first appearance
  std::size_t new_orders_ = 0;        // of orders_, those created in this batch
  std::unordered_map<std::uint64_t, std::size_t> order_index_;
  std::vector<TradeRow> trades_;
  std::vector<AccountRow> accounts_;
  std::vector<LedgerRow> ledger_;
  std::vector<BalanceRow> balances_;                              // in order of first change
  std::unordered_map<std::uint64_t, std::size_t> balance_index_;  // (account << 16 | asset)
};

// PostgreSQL array literals ('{...}', the text form of an array parameter), built
// without per-element allocations. Strings are always quoted and escaped.
class ArrayLiteral {
 public:
  ArrayLiteral() { text_ = "{"; }
  void add(std::uint64_t value);
  void add(std::int64_t value);
  void add_text(std::string_view value);
  // An empty string is NULL.
  void add_text_or_null(std::string_view value);
  // `steps` of `step` as an exact decimal (NUMERIC).
  void add_decimal(std::int64_t steps, Decimal step);
  void add_null();
  // The finished literal; the object is then empty again.
  std::string take();

 private:
  void separate();
  std::string text_;
  bool first_ = true;
};

// The columns the projector writes, in the order of the *_params arrays and of the
// COPY rows below.
namespace sql {
inline constexpr std::array<const char*, 15> kOrderColumns = {
    "order_id",        "account_id",     "symbol",      "side",         "type",
    "time_in_force",   "price",          "quantity",    "executed_qty", "status",
    "client_order_id", "correlation_id", "journal_seq", "created_at",   "updated_at"};
inline constexpr std::array<const char*, 14> kTradeColumns = {
    "trade_id",       "symbol",           "price",          "qty",
    "maker_order_id", "maker_account_id", "taker_order_id", "taker_account_id",
    "taker_side",     "correlation_id",   "journal_seq",    "executed_at",
    "maker_fee",      "taker_fee"};
inline constexpr std::array<const char*, 12> kLedgerColumns = {
    "journal_seq", "n",        "account_id", "asset",     "delta_free",     "delta_locked",
    "cause",       "order_id", "trade_id",   "reference", "correlation_id", "created_at"};
inline constexpr std::array<const char*, 5> kAccountColumns = {"account_id", "name", "key_hash",
                                                               "correlation_id", "created_at"};
}  // namespace sql

// The statements the projector sends.
//
// A batch of fewer than postgres.copy_min_rows new rows is one statement (kWriteBatch):
// $1 the new checkpoint, $2 the checkpoint it starts after, then the columns of
// order_params ($3..$17: new and changed orders alike), fill_params ($18..$22),
// trade_params ($23..$36), account_params ($37..$41), ledger_params ($42..$53) and
// balance_params ($54..$59), an array per column. It returns 1 row: 1 if the batch was
// written, 0 if the checkpoint was not at $2 (nothing written).
//
// A larger batch is one transaction: kMoveCheckpoint ($1 the new checkpoint, $2 the one
// it starts after; 0 rows affected: not written, roll back), COPY of the new orders,
// trades, accounts and ledger rows (*_copy_row), then kWriteChanges for the rows that
// may exist already: order_params of the changed orders ($1..$15), fill_params
// ($16..$20) and balance_params ($21..$26).
//
// A dead letter's replay (store/dead_letters.h) is kReplayRows: the same upsert, fill
// update and inserts without a checkpoint: order_params ($1..$15), fill_params
// ($16..$20), trade_params ($21..$34), account_params ($35..$39), ledger_params
// ($40..$51), balance_params ($52..$57).
namespace sql {
extern const char* const kReadCheckpoint;
extern const std::string kWriteBatch;
extern const char* const kMoveCheckpoint;
extern const std::string kWriteChanges;
extern const std::string kReplayRows;
}  // namespace sql

std::vector<std::string> order_params(const std::vector<OrderRow>& rows,
                                      const SymbolTable& symbols);
std::vector<std::string> fill_params(const std::vector<OrderFillRow>& rows,
                                     const SymbolTable& symbols);
std::vector<std::string> trade_params(const std::vector<TradeRow>& rows,
                                      const SymbolTable& symbols);
std::vector<std::string> account_params(const std::vector<AccountRow>& rows);
std::vector<std::string> ledger_params(const std::vector<LedgerRow>& rows,
                                       const SymbolTable& symbols);
std::vector<std::string> balance_params(const std::vector<BalanceRow>& rows,
                                        const SymbolTable& symbols);
// The smallest unit of the asset a trade's buyer (base) or seller (quote) receives: the
// unit of its fee.
Decimal fee_step(const SymbolSpec& spec, bool buyer);

// Rows for COPY ... FROM STDIN in the text format: fields separated by tabs, rows by
// newlines, NULL as \N, and the escapes for backslash, tab, newline and carriage return
// (the only bytes the format reserves, so UTF-8 text passes through unchanged). Built
// straight into one buffer, which the writer sends in chunks: the projector's batches
// and the benchmark's plain COPY format rows with this one writer.
class CopyText {
 public:
  void add(std::uint64_t v);
  void add_text(std::string_view v);
  void add_text_or_null(std::string_view v);  // empty is NULL, as the projector stores it
  void add_null();
  void add_decimal(std::int64_t steps, Decimal step);
  void add_timestamp_us(std::int64_t us);  // as timestamp_text
  void end_row();

  // Complete rows so far, each ending in a newline.
  const std::string& text() const { return text_; }
  std::size_t size() const { return text_.size(); }
  void clear();

 private:
  void separate();

  std::string text_;
  bool first_ = true;
};

// One row per column list of sql::k*Columns.
void add_copy_row(CopyText& out, const OrderRow& row, const SymbolTable& symbols);
void add_copy_row(CopyText& out, const TradeRow& row, const SymbolTable& symbols);
void add_copy_row(CopyText& out, const AccountRow& row);
void add_copy_row(CopyText& out, const LedgerRow& row, const SymbolTable& symbols);

// µs since the Unix epoch as the text of a timestamptz in UTC
// ("2026-12-01 09:30:00.000125+00"): the same instant the unnest statements compute
// as timestamptz 'epoch' + us * interval '1 microsecond'.
std::string timestamp_text(std::int64_t us);

}  // namespace spot
