// Benchmark workloads of ../shared/WORKLOADS.md: generation, the file format, and a
// runner that plays ops through a Matcher and computes the result checksums.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "spot/book/events.h"
#include "spot/engine/engine.h"
#include "spot/engine/matcher.h"

namespace spot::bench {

// splitmix64, exactly as WORKLOADS.md writes it.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t uniform(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

enum class OpKind : std::uint8_t { GtcLimit = 1, IocLimit = 2, Market = 3, Cancel = 4 };

struct Op {
  OpKind kind = OpKind::GtcLimit;
  Side side = Side::Buy;
  SymbolId symbol = 0;
  OrderId id;       // the new order's id, or the cancel's target
  Ticks price = 0;  // 0 for market and cancel
  Lots qty = 0;     // 0 for cancel
};

struct Workload {
  std::uint32_t symbols = 0;
  std::uint64_t prefill_per_symbol = 0;
  std::vector<Op> ops;  // prefill first (symbols * prefill_per_symbol ops), then the rest

  std::size_t prefill_ops() const { return symbols * prefill_per_symbol; }
};

struct W1Params {
  std::uint64_t seed = 20240601;
  std::uint64_t ops = 2'000'000;
  std::uint64_t prefill = 1'000;
};

inline constexpr std::uint32_t kW1Symbols = 8;

// REQUIRES: params.prefill >= 1.
Workload generate_w1(const W1Params& params);

// The 32-byte-record file format of WORKLOADS.md. On failure returns false / nullopt
// and sets *error.
bool write_workload(const std::string& path, const Workload& workload, std::string* error);
std::optional<Workload> read_workload(const std::string& path, std::string* error);

struct Checksums {
  std::uint64_t fills = 0;
  std::uint64_t fill_qty = 0;
  std::uint64_t notional = 0;
  std::uint64_t cancels = 0;
  std::uint64_t cancel_rejects = 0;
  std::uint64_t ioc_remainders = 0;
  std::uint64_t other_rejects = 0;  // must stay 0 for a well-formed workload
  std::uint64_t resting = 0;

  bool operator==(const Checksums&) const = default;
};

// The workload's symbols ("S0".."S7") with wide bounds, and book pools sized for it.
std::vector<SymbolSpec> symbol_specs(const Workload& workload);
BookCapacity book_capacity(const Workload& workload);

// A matcher configured with symbol_specs and book_capacity.
Matcher make_matcher(const Workload& workload);

// Plays one op. REQUIRES: events is cleared by the caller when it wants only this op's.
inline void apply(Matcher& matcher, const Op& op, EventBuffer& events) {
  if (op.kind == OpKind::Cancel) {
    matcher.cancel(CancelOrder{op.id, op.symbol, AccountId{}}, events);
    return;
  }
  OrderRequest order;
  order.id = op.id;
  order.account = AccountId{1};
  order.symbol = op.symbol;
  order.side = op.side;
  order.type = op.kind == OpKind::Market ? OrderType::Market : OrderType::Limit;
  order.tif = op.kind == OpKind::GtcLimit ? TimeInForce::Gtc : TimeInForce::Ioc;
  order.price = op.price;
  order.qty = op.qty;
  matcher.submit(order, events);
}

// Adds one op's events to the checksums (resting is computed separately).
void account(const EventBuffer& events, Checksums& sums);

// Plays prefill and ops through a fresh matcher and returns the checksums.
Checksums run(const Workload& workload);

std::string to_json(const Checksums& sums);

// W1-B (WORKLOADS.md): the op stream through the Engine, every order belonging to
// account 1 + (W1 id mod 1000); symbol s trades B<s> for Q, one lot and one tick-lot
// being one unit each. With balances, every account first gets 10^15 of each asset and
// every order is checked, locked and settled; without, the same Engine is the pure book
// (the cost of the checks is the ratio of the two).
inline constexpr std::uint64_t kW1bAccounts = 1000;
inline constexpr std::int64_t kW1bFunds = 1'000'000'000'000'000;
// The account an order of W1-B (or the target of a cancel) belongs to.
inline AccountId w1b_owner(OrderId id) { return AccountId{1 + id.value % kW1bAccounts}; }

// Times a run both ways: wall-clock seconds, and the CPU seconds of the calling thread.
// The second leaves out the time the thread waited for a core, which on this shared
// 2-core machine (builds and other benchmarks beside) is most of the drift between two
// runs of the same code; ratios between runs of one process are taken from it.
class Stopwatch {
 public:
  Stopwatch() : wall_(std::chrono::steady_clock::now()), cpu_(thread_cpu()) {}
  double wall_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
  }
  double cpu_seconds() const { return thread_cpu() - cpu_; }

 private:
  static double thread_cpu() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

struct EngineRun {
  Checksums sums;
  double seconds = 0;      // the ops after prefill, wall clock
  double cpu_seconds = 0;  // the same, on the CPU
  // Per asset (B0..B7, Q), balances only: free + locked over the accounts, and locked.
  std::vector<AssetTotals> totals;
  bool conserved = true;
  Balances balances;  // balances only: every account's at the end (the core run's cross-check)
};

std::vector<SymbolSpec> w1b_symbol_specs(const Workload& workload);
EngineRun play_engine(const Workload& workload, bool balances);
std::string to_json(const std::vector<AssetTotals>& totals);

}  // namespace spot::bench
