#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bench/workload/core_balances.h"
#include "bench/workload/workload.h"

namespace spot::bench {
namespace {

TEST(SplitMix64, MatchesReferenceSequence) {
  // splitmix64 seeded with 0: the published first outputs.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(rng.next(), 0x06C45D188009454Full);
}

TEST(W1, GeneratesTheDefinedShape) {
  const Workload w = generate_w1({20240601, 10'000, 100});
  ASSERT_EQ(w.symbols, 8u);
  ASSERT_EQ(w.ops.size(), 8 * 100 + 10'000u);
  // Prefill: alternating sides, never crossing, ids 1..800 in order.
  for (std::size_t i = 0; i < w.prefill_ops(); ++i) {
    const Op& op = w.ops[i];
    EXPECT_EQ(op.id.value, i + 1);
    EXPECT_EQ(op.kind, OpKind::GtcLimit);
    EXPECT_EQ(op.symbol, i / 100);
    EXPECT_EQ(op.side, (i % 100) % 2 == 0 ? Side::Buy : Side::Sell);
    if (op.side == Side::Buy) {
      EXPECT_TRUE(op.price >= 9'950 && op.price <= 9'999);
    } else {
      EXPECT_TRUE(op.price >= 10'001 && op.price <= 10'050);
    }
    EXPECT_EQ(op.qty % 100, 0);
    EXPECT_TRUE(op.qty >= 100 && op.qty <= 1000);
  }
  // Op mix close to 40/48/8/4 and symbol 0 close to 40%.
  double kinds[5] = {};
  double symbol0 = 0;
  for (std::size_t i = w.prefill_ops(); i < w.ops.size(); ++i) {
    kinds[static_cast<int>(w.ops[i].kind)] += 1;
    if (w.ops[i].kind != OpKind::Cancel && w.ops[i].symbol == 0) symbol0 += 1;
  }
  EXPECT_NEAR(kinds[1], 4000, 300);
  EXPECT_NEAR(kinds[4], 4800, 300);
  EXPECT_NEAR(kinds[2], 800, 150);
  EXPECT_NEAR(kinds[3], 400, 100);
  EXPECT_NEAR(symbol0 / (10'000 - kinds[4]), 0.40, 0.03);
}

TEST(W1, SameSeedSameOpsDifferentSeedDifferentOps) {
  const Workload a = generate_w1({5, 5'000, 50});
  const Workload b = generate_w1({5, 5'000, 50});
  const Workload c = generate_w1({6, 5'000, 50});
  ASSERT_EQ(a.ops.size(), b.ops.size());
  bool all_same = true;
  bool any_diff = false;
  for (std::size_t i = 0; i < a.ops.size(); ++i) {
    all_same = all_same && a.ops[i].id == b.ops[i].id && a.ops[i].price == b.ops[i].price &&
               a.ops[i].qty == b.ops[i].qty && a.ops[i].kind == b.ops[i].kind;
    any_diff = any_diff || a.ops[i].price != c.ops[i].price || a.ops[i].kind != c.ops[i].kind;
  }
  EXPECT_TRUE(all_same);
  EXPECT_TRUE(any_diff);
}

TEST(W1, ReplayingTheSameOpsTwiceGivesIdenticalEvents) {
  const Workload w = generate_w1({11, 50'000, 200});
  auto play = [&w] {
    Matcher m = make_matcher(w);
    EventBuffer all;
    for (const Op& op : w.ops) apply(m, op, all);
    return all;
  };
  const EventBuffer first = play();
  const EventBuffer second = play();
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    const Event& a = first[i];
    const Event& b = second[i];
    ASSERT_TRUE(a.type == b.type && a.order_id == b.order_id && a.maker_id == b.maker_id &&
                a.price == b.price && a.qty == b.qty && a.trade_id == b.trade_id &&
                a.reason == b.reason)
        << "event " << i;
  }
}

TEST(W1, ChecksumsComeFromMatchingAndAreConsistent) {
  const Workload w = generate_w1({20240601, 100'000, 1'000});
  const Checksums sums = run(w);
  EXPECT_EQ(sums.other_rejects, 0u);
  EXPECT_GT(sums.fills, 0u);
  EXPECT_GT(sums.cancels, 0u);
  EXPECT_GT(sums.cancel_rejects, 0u);
  EXPECT_GT(sums.ioc_remainders, 0u);
  // Every cancel op is either a success or a reject.
  std::uint64_t cancel_ops = 0;
  std::uint64_t new_qty = 0;
  for (std::size_t i = w.prefill_ops(); i < w.ops.size(); ++i) {
    if (w.ops[i].kind == OpKind::Cancel) ++cancel_ops;
  }
  for (const Op& op : w.ops)
    new_qty += op.kind == OpKind::Cancel ? 0 : static_cast<std::uint64_t>(op.qty);
  EXPECT_EQ(sums.cancels + sums.cancel_rejects, cancel_ops);
  // Fills are bounded by the quantity ever entered; average price near the 10,000 mid.
  EXPECT_LT(sums.fill_qty, new_qty);
  const double avg_price = static_cast<double>(sums.notional) / static_cast<double>(sums.fill_qty);
  EXPECT_NEAR(avg_price, 10'000, 200);
  // The same run twice gives the same checksums.
  EXPECT_EQ(run(w), sums);
}

// W1-B: the same op stream through the Engine, with 1,000 funded accounts checked,
// locked and settled, gives W1's checksums and conserves every asset.
TEST(W1B, GivesTheW1ChecksumsAndConservesMoney) {
  const Workload w = generate_w1({20240601, 100'000, 1'000});
  const Checksums want = run(w);
  const EngineRun pure = play_engine(w, false);
  EXPECT_EQ(pure.sums, want);
  const EngineRun checked = play_engine(w, true);
  EXPECT_EQ(checked.sums, want);
  EXPECT_TRUE(checked.conserved);
  ASSERT_EQ(checked.totals.size(), 9u);  // B0..B7 and Q
  std::int64_t locked = 0;
  for (const AssetTotals& t : checked.totals) {
    EXPECT_EQ(t.deposited, static_cast<std::int64_t>(kW1bAccounts) * kW1bFunds) << t.asset;
    EXPECT_EQ(t.held, t.deposited) << t.asset;  // no fees
    locked += t.locked;
  }
  EXPECT_GT(locked, 0);  // the resting orders hold their locks

  // The matching core with balances (Matcher + Balances, no Engine): the same W1
  // checksums, every asset conserved, and every account's free and locked per asset
  // exactly the Engine's.
  const CoreRun core = play_core(w);
  EXPECT_EQ(core.sums, want);
  EXPECT_TRUE(core.conserved);
  std::string why;
  EXPECT_TRUE(same_balances(core.balances, checked.balances, &why)) << why;
  ASSERT_EQ(core.balances.account_rows(), kW1bAccounts + 1);

  // The cross-check is not vacuous: one unit moved from free to locked is found.
  Balances moved = core.balances;
  const AssetId q = *moved.find_asset("Q");
  Balance b = moved.balance(AccountId{kW1bAccounts}, q);
  b.free -= 1;
  b.locked += 1;
  moved.restore_balance(kW1bAccounts, q, b);
  EXPECT_FALSE(same_balances(moved, checked.balances, &why));
  EXPECT_NE(why.find("account 1000 Q"), std::string::npos) << why;
}

TEST(WorkloadFile, RoundTripsAndRejectsDamage) {
  const Workload w = generate_w1({3, 2'000, 20});
  const std::string path =
      (std::filesystem::temp_directory_path() / ("spot_wl_" + std::to_string(::getpid()))).string();
  std::string error;
  ASSERT_TRUE(write_workload(path, w, &error)) << error;
  EXPECT_EQ(std::filesystem::file_size(path), 32 + 32 * w.ops.size());
  const auto read = read_workload(path, &error);
  ASSERT_TRUE(read.has_value()) << error;
  EXPECT_EQ(read->symbols, w.symbols);
  EXPECT_EQ(read->prefill_per_symbol, w.prefill_per_symbol);
  ASSERT_EQ(read->ops.size(), w.ops.size());
  EXPECT_EQ(run(*read), run(w));

  // Truncated file.
  std::filesystem::resize_file(path, 32 + 32 * 10 + 5);
  EXPECT_FALSE(read_workload(path, &error).has_value());
  EXPECT_NE(error.find("size"), std::string::npos);
  // Bad magic.
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "NOTAWORKLOADFILE-padding-padding-";
  }
  EXPECT_FALSE(read_workload(path, &error).has_value());
  EXPECT_NE(error.find("magic"), std::string::npos);
  std::filesystem::remove(path);
  EXPECT_FALSE(read_workload(path, &error).has_value());
  EXPECT_FALSE(write_workload("/nonexistent-dir/x", w, &error));
}

}  // namespace
}  // namespace spot::bench
