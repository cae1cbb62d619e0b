// Balances: the money of every account, per asset, and the one place it moves.
//
// Each account holds, per asset, `free` and `locked` in the asset's smallest unit
// (int64). An order locks what it may spend, a trade moves locked money from payer to
// receiver less the receiver's fee (paid to the fee account, id 0), a cancel or the
// unused part of a lock is released, and operators deposit and withdraw. Money is
// conserved: per asset, free + locked over every account plus the fees taken equals
// what was deposited minus what was withdrawn (check_invariants()).
//
// Every change can be reported, one LedgerEntry per balance it touches, to a
// LedgerSink: the projector's replica attaches one to write the ledger table. With no
// sink attached (the live matching engine) a change costs one untaken branch more.
//
// Pure, single-threaded and deterministic like the book: no I/O, no clock, and no
// allocation on lock, release or settle once the accounts are sized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spot/core/assert.h"
#include "spot/core/reject_reason.h"
#include "spot/core/types.h"
#include "spot/engine/commands.h"

namespace spot {

using AssetId = std::uint16_t;

// One asset's money over the whole engine, for the conservation check: what the
// accounts hold plus the fees taken always equals what came in minus what went out.
struct AssetTotals {
  std::string asset;
  std::int64_t held = 0;    // free + locked over every account
  std::int64_t locked = 0;  // locked over every account
  std::int64_t fees = 0;
  std::int64_t deposited = 0;
  std::int64_t withdrawn = 0;
  bool conserved() const { return held + fees == deposited - withdrawn; }
};

// Why a balance changed. The values are stored (ledger.cause in PostgreSQL by name);
// append only.
enum class LedgerCause : std::uint8_t {
  Deposit = 0,      // an operator's deposit: + free
  Withdrawal = 1,   // an operator's withdrawal: - free
  Lock = 2,         // a new order locks what it may spend: - free, + locked
  Release = 3,      // a cancel, an expiry, or a lock the order did not need: + free, - locked
  TradeDebit = 4,   // a trade takes the payer's locked money: - locked
  TradeCredit = 5,  // a trade pays the receiver, before its fee: + free
  Fee = 6,          // the receiver's fee (- free), and the fee account's income (+ free)
};
inline constexpr int kLedgerCauses = 7;
std::string_view to_string(LedgerCause cause);

// One change of one balance.
struct LedgerEntry {
  AccountId account;  // 0: the fee account
  AssetId asset = 0;
  std::int64_t delta_free = 0;
  std::int64_t delta_locked = 0;
  LedgerCause cause = LedgerCause::Deposit;
  OrderId order_id;  // the order that locked, released, paid or received; 0 for a transfer
  TradeId trade_id;  // TradeDebit, TradeCredit, Fee; 0 otherwise
  // Deposit, Withdrawal: the transfer's reference. Valid only during LedgerSink::append.
  std::string_view reference;
  Balance after;  // the balance once this change is made
};

// Told of every balance change, in the order the changes are made, on the thread that
// makes them. Must not call back into the Balances.
class LedgerSink {
 public:
  virtual ~LedgerSink() = default;
  virtual void append(const LedgerEntry& entry) = 0;
};

// One trade's money: the buyer's locked `quote_units` go to the seller, the seller's
// locked `base_units` to the buyer, each receiver paying its fee from what it receives.
struct TradeMoney {
  AssetId base = 0;
  AssetId quote = 0;
  std::int64_t base_units = 0;
  std::int64_t quote_units = 0;
  AccountId buyer;
  OrderId buyer_order;
  std::int32_t buyer_fee_bps = 0;
  AccountId seller;
  OrderId seller_order;
  std::int32_t seller_fee_bps = 0;
  TradeId trade;
};

// The fees a trade took, each in the asset its payer received.
struct TradeFees {
  std::int64_t buyer = 0;   // in the base asset
  std::int64_t seller = 0;  // in the quote asset
};

class Balances {
 public:
  // Assets: registered once, before any account (the engine registers the assets its
  // symbols name). The id of `name`, registering it with `decimals` if it is new.
  AssetId add_asset(const std::string& name, int decimals);
  std::optional<AssetId> find_asset(std::string_view name) const;
  const std::vector<std::string>& assets() const { return assets_; }
  std::size_t asset_count() const { return assets_.size(); }
  int decimals(AssetId asset) const { return decimals_[asset]; }

  // Room for accounts 1 .. count-1 (0 is the fee account); never shrinks.
  void resize_accounts(std::uint64_t count);
  std::uint64_t account_rows() const { return rows_; }

  // REQUIRES: `sink` outlives the Balances or is detached (nullptr) first.
  void set_ledger(LedgerSink* sink) { sink_ = sink; }
  LedgerSink* ledger() const { return sink_; }

  // An account's balance of an asset (zero for an unknown account or asset); account 0
  // is the fee account, whose whole balance is free.
  Balance balance(AccountId account, AssetId asset) const;

  // Starts loading one balance into the cache, for a caller that already knows which
  // balance a later change will touch (the next command of a batch): a balance is a
  // random row of a table larger than the L1 cache, and its miss is most of what a
  // lock or a release costs. No effect on the state; ignored for an unknown row.
  void prefetch(AccountId account, AssetId asset) const {
    if (account.value < rows_ && asset < columns_) {
      __builtin_prefetch(&row(account.value, asset), 1);
    }
  }

  // Moves `amount` of free to locked for `order`: InsufficientBalance (changing
  // nothing) if the account has less free. REQUIRES: 0 <= amount, a known account.
  // A lock or a release of 0 changes nothing and tells the ledger nothing.
  RejectReason lock(AccountId account, AssetId asset, Int128 amount, OrderId order);
  // Moves `amount` of locked back to free. REQUIRES: 0 <= amount <= locked.
  void release(AccountId account, AssetId asset, std::int64_t amount, OrderId order);
  // Settles one trade; fees round down (never more than the rate) and go to the fee
  // account. REQUIRES: each payer has its part locked.
  TradeFees settle(const TradeMoney& trade);

  // An operator's transfer. deposit: BadRequest if the asset's total deposits would
  // pass int64 (so that no sum of balances can overflow). withdraw:
  // InsufficientBalance above the free balance. Either changes nothing when refused.
  // REQUIRES: amount > 0, a known account.
  RejectReason deposit(AccountId account, AssetId asset, std::int64_t amount,
                       std::string_view reference);
  RejectReason withdraw(AccountId account, AssetId asset, std::int64_t amount,
                        std::string_view reference);

  std::int64_t fees(AssetId asset) const { return fees_[asset]; }
  std::int64_t deposited(AssetId asset) const { return deposited_[asset]; }
  std::int64_t withdrawn(AssetId asset) const { return withdrawn_[asset]; }
  std::vector<AssetTotals> asset_totals() const;

  // Rebuilding from a snapshot: set as they were, reported to no ledger.
  // REQUIRES: account < account_rows(), asset < asset_count().
  void restore_balance(std::uint64_t account, AssetId asset, Balance balance);
  void restore_totals(AssetId asset, std::int64_t fees, std::int64_t deposited,
                      std::int64_t withdrawn);

  // No balance is negative, and every asset is conserved. (That locked equals what the
  // live orders lock is the engine's to check: it knows the orders.)
  bool check_invariants(std::string* why = nullptr) const;

 private:
  Balance& row(std::uint64_t account, AssetId asset) {
    return rows_of_[account * columns_ + asset];
  }
  const Balance& row(std::uint64_t account, AssetId asset) const {
    return rows_of_[account * columns_ + asset];
  }
  // Credits `amount` to the receiver, then takes its fee at `fee_bps` for the fee
  // account; returns the fee.
  std::int64_t receive(AccountId account, AssetId asset, std::int64_t amount, std::int32_t fee_bps,
                       OrderId order, TradeId trade);
  // Tells the ledger sink, if one is attached, of a change just made. Inline, so that
  // with none attached a change costs one untaken branch and no call.
  void note(AccountId account, AssetId asset, std::int64_t delta_free, std::int64_t delta_locked,
            LedgerCause cause, OrderId order, TradeId trade, std::string_view reference = {}) {
    if (sink_ != nullptr) {
      report(account, asset, delta_free, delta_locked, cause, order, trade, reference);
    }
  }
  // The same for a lock or a release: `delta_free` moved between free and locked. One of
  // nothing (a market buy locking on an empty book, an order resting whole) changed
  // nothing and is not reported. Callers lock and release such amounts rather than
  // branch on them: whether a release is empty is a coin toss to a branch predictor,
  // and the sink is tested first, which with none attached is always taken the same way.
  void note_move(AccountId account, AssetId asset, std::int64_t delta_free, LedgerCause cause,
                 OrderId order) {
    if (sink_ != nullptr && delta_free != 0) {
      report(account, asset, delta_free, -delta_free, cause, order, TradeId{}, {});
    }
  }
  void report(AccountId account, AssetId asset, std::int64_t delta_free, std::int64_t delta_locked,
              LedgerCause cause, OrderId order, TradeId trade, std::string_view reference);

  std::vector<std::string> assets_;
  std::size_t columns_ = 0;  // assets_.size(), kept apart: a row's address needs it on every change
  std::vector<int> decimals_;
  std::uint64_t rows_ = 1;        // accounts with a row, the fee account's (unused) row 0 included
  std::vector<Balance> rows_of_;  // row per account id, one column per asset
  std::vector<std::int64_t> fees_;  // the fee account, by asset
  std::vector<std::int64_t> deposited_;
  std::vector<std::int64_t> withdrawn_;
  LedgerSink* sink_ = nullptr;
};

// Lock and release run for most orders: inline, like the book's hot paths.

inline RejectReason Balances::lock(AccountId account, AssetId asset, Int128 amount, OrderId order) {
  SPOT_ASSERT(amount >= 0 && account.value != 0 && account.value < rows_,
              "balances: a lock is of a known account, and not negative");
  Balance& b = row(account.value, asset);
  if (amount > b.free) return RejectReason::InsufficientBalance;
  const auto units = static_cast<std::int64_t>(amount);
  b.free -= units;
  b.locked += units;
  note_move(account, asset, -units, LedgerCause::Lock, order);
  return RejectReason::None;
}

inline void Balances::release(AccountId account, AssetId asset, std::int64_t amount,
                              OrderId order) {
  Balance& b = row(account.value, asset);
  SPOT_ASSERT(amount >= 0 && amount <= b.locked, "balances: a release frees what is locked");
  b.locked -= amount;
  b.free += amount;
  note_move(account, asset, amount, LedgerCause::Release, order);
}

}  // namespace spot
