#include "spot/engine/balances.h"

#include "spot/core/assert.h"

namespace spot {

std::string_view to_string(LedgerCause cause) {
  switch (cause) {
    case LedgerCause::Deposit:
      return "DEPOSIT";
    case LedgerCause::Withdrawal:
      return "WITHDRAWAL";
    case LedgerCause::Lock:
      return "LOCK";
    case LedgerCause::Release:
      return "RELEASE";
    case LedgerCause::TradeDebit:
      return "TRADE_DEBIT";
    case LedgerCause::TradeCredit:
      return "TRADE_CREDIT";
    case LedgerCause::Fee:
      return "FEE";
  }
  return "UNKNOWN";
}

AssetId Balances::add_asset(const std::string& name, int decimals) {
  if (const auto known = find_asset(name)) return *known;
  SPOT_ASSERT(rows_ == 1, "balances: assets are registered before accounts");
  SPOT_ASSERT(assets_.size() < 0xFFFF, "balances: assets fit an AssetId");
  assets_.push_back(name);
  columns_ = assets_.size();
  decimals_.push_back(decimals);
  fees_.push_back(0);
  deposited_.push_back(0);
  withdrawn_.push_back(0);
  rows_of_.assign(assets_.size(), Balance{});  // row 0: the fee account's, unused
  return static_cast<AssetId>(assets_.size() - 1);
}

std::optional<AssetId> Balances::find_asset(std::string_view name) const {
  for (std::size_t a = 0; a < assets_.size(); ++a) {
    if (assets_[a] == name) return static_cast<AssetId>(a);
  }
  return std::nullopt;
}

void Balances::resize_accounts(std::uint64_t count) {
  if (count <= rows_) return;
  rows_ = count;
  rows_of_.resize(rows_ * assets_.size());
}

Balance Balances::balance(AccountId account, AssetId asset) const {
  if (asset >= assets_.size()) return {};
  if (account.value == 0) return Balance{fees_[asset], 0};
  if (account.value >= rows_) return {};
  return row(account.value, asset);
}

void Balances::report(AccountId account, AssetId asset, std::int64_t delta_free,
                      std::int64_t delta_locked, LedgerCause cause, OrderId order, TradeId trade,
                      std::string_view reference) {
  LedgerEntry e;
  e.account = account;
  e.asset = asset;
  e.delta_free = delta_free;
  e.delta_locked = delta_locked;
  e.cause = cause;
  e.order_id = order;
  e.trade_id = trade;
  e.reference = reference;
  e.after = balance(account, asset);
  sink_->append(e);
}

std::int64_t Balances::receive(AccountId account, AssetId asset, std::int64_t amount,
                               std::int32_t fee_bps, OrderId order, TradeId trade) {
  // Fees round down: never more than the rate. A 128-bit division is a library call, so
  // it is kept for amounts whose product with the rate could pass int64 (fee_bps is at
  // most 10,000, config.cpp), and a symbol without fees does no division at all.
  SPOT_ASSERT(fee_bps >= 0 && fee_bps <= 10'000 && amount >= 0,
              "balances: a fee rate is 0..10,000 bps of a non-negative amount");
  std::int64_t fee = 0;
  if (fee_bps != 0) {
    fee = amount <= INT64_MAX / 10'000
              ? amount * fee_bps / 10'000
              : static_cast<std::int64_t>(static_cast<Int128>(amount) * fee_bps / 10'000);
  }
  Balance& b = row(account.value, asset);
  b.free += amount;
  note(account, asset, amount, 0, LedgerCause::TradeCredit, order, trade);
  if (fee != 0) {
    b.free -= fee;
    note(account, asset, -fee, 0, LedgerCause::Fee, order, trade);
    fees_[asset] += fee;
    note(AccountId{0}, asset, fee, 0, LedgerCause::Fee, order, trade);
  }
  return fee;
}

TradeFees Balances::settle(const TradeMoney& t) {
  Balance& buyer_quote = row(t.buyer.value, t.quote);
  Balance& seller_base = row(t.seller.value, t.base);
  SPOT_ASSERT(buyer_quote.locked >= t.quote_units && seller_base.locked >= t.base_units,
              "balances: a trade moves money that was locked for it");
  buyer_quote.locked -= t.quote_units;
  note(t.buyer, t.quote, 0, -t.quote_units, LedgerCause::TradeDebit, t.buyer_order, t.trade);
  seller_base.locked -= t.base_units;
  note(t.seller, t.base, 0, -t.base_units, LedgerCause::TradeDebit, t.seller_order, t.trade);
  TradeFees fees;
  fees.buyer = receive(t.buyer, t.base, t.base_units, t.buyer_fee_bps, t.buyer_order, t.trade);
  fees.seller =
      receive(t.seller, t.quote, t.quote_units, t.seller_fee_bps, t.seller_order, t.trade);
  return fees;
}

RejectReason Balances::deposit(AccountId account, AssetId asset, std::int64_t amount,
                               std::string_view reference) {
  SPOT_ASSERT(amount > 0 && account.value != 0 && account.value < rows_,
              "balances: a deposit is positive, to a known account");
  // Every balance is at most what came in, so no sum of balances can overflow.
  if (static_cast<Int128>(deposited_[asset]) + amount > INT64_MAX) return RejectReason::BadRequest;
  row(account.value, asset).free += amount;
  deposited_[asset] += amount;
  note(account, asset, amount, 0, LedgerCause::Deposit, OrderId{}, TradeId{}, reference);
  return RejectReason::None;
}

RejectReason Balances::withdraw(AccountId account, AssetId asset, std::int64_t amount,
                                std::string_view reference) {
  SPOT_ASSERT(amount > 0 && account.value != 0 && account.value < rows_,
              "balances: a withdrawal is positive, from a known account");
  Balance& b = row(account.value, asset);
  if (amount > b.free) return RejectReason::InsufficientBalance;
  b.free -= amount;
  withdrawn_[asset] += amount;
  note(account, asset, -amount, 0, LedgerCause::Withdrawal, OrderId{}, TradeId{}, reference);
  return RejectReason::None;
}

std::vector<AssetTotals> Balances::asset_totals() const {
  std::vector<AssetTotals> out(assets_.size());
  for (AssetId a = 0; a < assets_.size(); ++a) {
    out[a].asset = assets_[a];
    out[a].fees = fees_[a];
    out[a].deposited = deposited_[a];
    out[a].withdrawn = withdrawn_[a];
  }
  for (std::uint64_t account = 1; account < rows_; ++account) {
    for (AssetId a = 0; a < assets_.size(); ++a) {
      const Balance& b = row(account, a);
      out[a].held += b.free + b.locked;
      out[a].locked += b.locked;
    }
  }
  return out;
}

void Balances::restore_balance(std::uint64_t account, AssetId asset, Balance balance) {
  SPOT_ASSERT(account < rows_ && asset < assets_.size(), "balances: restore a known row");
  row(account, asset) = balance;
}

void Balances::restore_totals(AssetId asset, std::int64_t fees, std::int64_t deposited,
                              std::int64_t withdrawn) {
  fees_[asset] = fees;
  deposited_[asset] = deposited;
  withdrawn_[asset] = withdrawn;
}

bool Balances::check_invariants(std::string* why) const {
  auto fail = [why](std::string msg) {
    if (why != nullptr) *why = std::move(msg);
    return false;
  };
  for (std::uint64_t account = 1; account < rows_; ++account) {
    for (AssetId a = 0; a < assets_.size(); ++a) {
      const Balance& b = row(account, a);
      if (b.free < 0 || b.locked < 0) {
        return fail("account " + std::to_string(account) + " has a negative balance of " +
                    assets_[a]);
      }
    }
  }
  for (AssetId a = 0; a < assets_.size(); ++a) {
    if (fees_[a] < 0) return fail("the fee account has a negative balance of " + assets_[a]);
  }
  // Summed in 128 bits: the state checked may come from a damaged snapshot, where the
  // int64 sums asset_totals() relies on need not fit.
  for (AssetId a = 0; a < assets_.size(); ++a) {
    Int128 held = 0;
    for (std::uint64_t account = 1; account < rows_; ++account) {
      const Balance& b = row(account, a);
      held += static_cast<Int128>(b.free) + b.locked;
    }
    if (deposited_[a] < 0 || withdrawn_[a] < 0 ||
        held + fees_[a] != static_cast<Int128>(deposited_[a]) - withdrawn_[a]) {
      return fail(assets_[a] + " is not conserved: held " + int128_to_string(held) + " + fees " +
                  std::to_string(fees_[a]) + " != deposited " + std::to_string(deposited_[a]) +
                  " - withdrawn " + std::to_string(withdrawn_[a]));
    }
  }
  return true;
}

}  // namespace spot
