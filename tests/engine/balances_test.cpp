// Balances alone: each operation's effect on the balances and the ledger entries it
// reports. The randomized run against a naive reference with an engine around it is in
// tests/book/differential_test.cpp.
#include "spot/engine/balances.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spot/engine/symbol_money.h"

namespace spot {
namespace {

struct Recorded {
  std::uint64_t account;
  AssetId asset;
  std::int64_t delta_free;
  std::int64_t delta_locked;
  LedgerCause cause;
  std::uint64_t order_id;
  std::uint64_t trade_id;
  std::string reference;
  Balance after;
  bool operator==(const Recorded&) const = default;
};

class Recorder : public LedgerSink {
 public:
  void append(const LedgerEntry& e) override {
    entries.push_back(Recorded{e.account.value, e.asset, e.delta_free, e.delta_locked, e.cause,
                               e.order_id.value, e.trade_id.value, std::string(e.reference),
                               e.after});
  }
  std::vector<Recorded> entries;
};

constexpr AssetId kBtc = 0;
constexpr AssetId kUsdt = 1;

Balances two_accounts() {
  Balances b;
  EXPECT_EQ(b.add_asset("BTC", 8), kBtc);
  EXPECT_EQ(b.add_asset("USDT", 6), kUsdt);
  EXPECT_EQ(b.add_asset("BTC", 8), kBtc);  // known: the same id
  b.resize_accounts(3);
  return b;
}

TEST(Balances, DepositLockSettleWithFeesAndTheirLedger) {
  Balances b = two_accounts();
  Recorder ledger;
  b.set_ledger(&ledger);
  const AccountId buyer{1};
  const AccountId seller{2};
  ASSERT_EQ(b.deposit(buyer, kUsdt, 1'000'000, "d1"), RejectReason::None);
  ASSERT_EQ(b.deposit(seller, kBtc, 500, "d2"), RejectReason::None);
  EXPECT_EQ(b.lock(buyer, kUsdt, 1'000'001, OrderId{7}), RejectReason::InsufficientBalance);
  ASSERT_EQ(b.lock(buyer, kUsdt, 600'000, OrderId{7}), RejectReason::None);
  ASSERT_EQ(b.lock(seller, kBtc, 300, OrderId{8}), RejectReason::None);
  TradeMoney t;
  t.base = kBtc;
  t.quote = kUsdt;
  t.base_units = 300;
  t.quote_units = 600'000;
  t.buyer = buyer;
  t.buyer_order = OrderId{7};
  t.buyer_fee_bps = 25;  // 300 * 25 / 10000 = 0.75: rounds down to 0
  t.seller = seller;
  t.seller_order = OrderId{8};
  t.seller_fee_bps = 10;  // 600000 * 10 / 10000 = 600
  t.trade = TradeId{3};
  const TradeFees fees = b.settle(t);
  EXPECT_EQ(fees.buyer, 0);
  EXPECT_EQ(fees.seller, 600);
  EXPECT_EQ(b.balance(buyer, kBtc), (Balance{300, 0}));
  EXPECT_EQ(b.balance(buyer, kUsdt), (Balance{400'000, 0}));
  EXPECT_EQ(b.balance(seller, kUsdt), (Balance{599'400, 0}));
  EXPECT_EQ(b.balance(seller, kBtc), (Balance{200, 0}));
  EXPECT_EQ(b.balance(AccountId{0}, kUsdt), (Balance{600, 0}));
  std::string why;
  EXPECT_TRUE(b.check_invariants(&why)) << why;

  using C = LedgerCause;
  const std::vector<Recorded> want = {
      {1, kUsdt, 1'000'000, 0, C::Deposit, 0, 0, "d1", {1'000'000, 0}},
      {2, kBtc, 500, 0, C::Deposit, 0, 0, "d2", {500, 0}},
      {1, kUsdt, -600'000, 600'000, C::Lock, 7, 0, "", {400'000, 600'000}},
      {2, kBtc, -300, 300, C::Lock, 8, 0, "", {200, 300}},
      {1, kUsdt, 0, -600'000, C::TradeDebit, 7, 3, "", {400'000, 0}},
      {2, kBtc, 0, -300, C::TradeDebit, 8, 3, "", {200, 0}},
      {1, kBtc, 300, 0, C::TradeCredit, 7, 3, "", {300, 0}},
      {2, kUsdt, 600'000, 0, C::TradeCredit, 8, 3, "", {600'000, 0}},
      {2, kUsdt, -600, 0, C::Fee, 8, 3, "", {599'400, 0}},
      {0, kUsdt, 600, 0, C::Fee, 8, 3, "", {600, 0}},
  };
  EXPECT_EQ(ledger.entries, want);
}

TEST(Balances, ReleaseWithdrawAndRefusalsChangeWhatTheySay) {
  Balances b = two_accounts();
  Recorder ledger;
  b.set_ledger(&ledger);
  const AccountId a{1};
  ASSERT_EQ(b.deposit(a, kUsdt, 100, "d"), RejectReason::None);
  ASSERT_EQ(b.lock(a, kUsdt, 60, OrderId{1}), RejectReason::None);
  EXPECT_EQ(b.withdraw(a, kUsdt, 41, "w"), RejectReason::InsufficientBalance);
  b.release(a, kUsdt, 0, OrderId{1});  // nothing to report
  b.release(a, kUsdt, 60, OrderId{1});
  ASSERT_EQ(b.withdraw(a, kUsdt, 41, "w"), RejectReason::None);
  EXPECT_EQ(b.deposit(a, kUsdt, INT64_MAX, "big"), RejectReason::BadRequest);
  EXPECT_EQ(b.balance(a, kUsdt), (Balance{59, 0}));
  EXPECT_EQ(b.deposited(kUsdt), 100);
  EXPECT_EQ(b.withdrawn(kUsdt), 41);
  EXPECT_EQ(b.balance(AccountId{9}, kUsdt), Balance{});  // unknown account
  ASSERT_EQ(ledger.entries.size(), 4u);
  EXPECT_EQ(ledger.entries[2].cause, LedgerCause::Release);
  EXPECT_EQ(ledger.entries[3].cause, LedgerCause::Withdrawal);
  EXPECT_EQ(ledger.entries[3].reference, "w");
  const std::vector<AssetTotals> totals = b.asset_totals();
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(totals[kUsdt].held, 59);
  EXPECT_TRUE(totals[kUsdt].conserved());
}

TEST(Balances, WithoutASinkNothingIsReported) {
  Balances b = two_accounts();
  Recorder ledger;
  b.set_ledger(&ledger);
  b.set_ledger(nullptr);
  ASSERT_EQ(b.deposit(AccountId{1}, kBtc, 5, "d"), RejectReason::None);
  EXPECT_TRUE(ledger.entries.empty());
  EXPECT_EQ(b.ledger(), nullptr);
}

TEST(Balances, InvariantsCatchMoneyMadeFromNothing) {
  Balances b = two_accounts();
  b.restore_balance(2, kBtc, Balance{5, 0});
  std::string why;
  EXPECT_FALSE(b.check_invariants(&why));
  EXPECT_NE(why.find("BTC is not conserved"), std::string::npos) << why;
  b.restore_totals(kBtc, 0, 5, 0);
  EXPECT_TRUE(b.check_invariants(&why)) << why;
  b.restore_balance(1, kBtc, Balance{-1, 0});
  b.restore_totals(kBtc, 1, 5, 0);
  EXPECT_FALSE(b.check_invariants(&why));
  EXPECT_NE(why.find("negative"), std::string::npos) << why;
  EXPECT_EQ(to_string(LedgerCause::TradeCredit), "TRADE_CREDIT");
}

// BTC-USDT with a tick of 0.01 and a lot of 0.001, both assets in 8 decimals: a lot is
// 100,000 satoshi-like base units, a tick-lot 0.01 x 0.001 = 1,000 quote units.
TEST(SymbolMoney, ABuyPaysQuoteAndASellPaysBase) {
  SymbolSpec spec;
  spec.name = "BTC-USDT";
  spec.maker_fee_bps = 2;
  spec.taker_fee_bps = 7;
  const SymbolMoney m = money_of(spec, kBtc, kUsdt);
  EXPECT_EQ(m.base_per_lot, 100'000);
  EXPECT_EQ(m.quote_per_tick_lot, 1'000);
  EXPECT_EQ(m.maker_fee_bps, 2);
  EXPECT_EQ(m.taker_fee_bps, 7);
  EXPECT_EQ(m.paying(Side::Buy), kUsdt);
  EXPECT_EQ(m.paying(Side::Sell), kBtc);
  // 3 lots at 250 ticks: a buy locks 250 x 3 tick-lots of USDT, a sell 3 lots of BTC
  // whatever its price.
  EXPECT_EQ(m.lock_of(Side::Buy, 250, 3), Int128{750'000});
  EXPECT_EQ(m.lock_of(Side::Sell, 250, 3), Int128{300'000});
  EXPECT_EQ(m.lock_of(Side::Sell, 0, 3), Int128{300'000});
  EXPECT_EQ(m.held_by(Side::Buy, 250, 3), 750'000);
  EXPECT_EQ(m.held_by(Side::Sell, 250, 3), 300'000);
  EXPECT_EQ(m.held_by(Side::Buy, 250, 0), 0);
}

TEST(SymbolMoney, AnOrderTooDearForInt64IsLockedExactlyIn128Bits) {
  SymbolSpec spec;
  spec.name = "BTC-USDT";
  const SymbolMoney m = money_of(spec, kBtc, kUsdt);
  const Ticks price = std::int64_t{1} << 40;
  const Int128 qty = std::int64_t{1} << 40;
  // 2^40 x 2^40 x 1,000 overflows int64; the lock, exact, is refused by any balance.
  EXPECT_EQ(m.lock_of(Side::Buy, price, qty), (static_cast<Int128>(1) << 80) * 1'000);
  EXPECT_GT(m.lock_of(Side::Buy, price, qty), static_cast<Int128>(INT64_MAX));
  EXPECT_EQ(m.lock_of(Side::Sell, price, qty), (static_cast<Int128>(1) << 40) * 100'000);
  // A sell holds base whatever its price, even one whose price x tick-lot would not fit
  // int64 (UBSan checks that nothing overflows on the way).
  EXPECT_EQ(m.held_by(Side::Sell, INT64_MAX / 2, 3), 300'000);
}

}  // namespace
}  // namespace spot
