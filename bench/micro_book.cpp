// Google Benchmark micro-benchmarks of the order book: add, cancel, match.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "bench/workload/workload.h"
#include "spot/book/order_book.h"

namespace {

using spot::AccountId;
using spot::EventBuffer;
using spot::OrderBook;
using spot::OrderId;
using spot::OrderRequest;
using spot::OrderType;
using spot::Side;
using spot::TimeInForce;

OrderRequest limit(std::uint64_t id, Side side, spot::Ticks price, spot::Lots qty,
                   TimeInForce tif = TimeInForce::Gtc) {
  return OrderRequest{{AccountId{1}, 0, side, OrderType::Limit, tif, price, qty}, OrderId{id}};
}

// A resting order on a book of ~1,000 orders over 100 levels per side; the book is
// rebuilt (untimed) when it has grown by 100,000 orders.
void BM_AddResting(benchmark::State& state) {
  spot::bench::SplitMix64 rng(1);
  EventBuffer events;
  events.reserve(64);
  std::uint64_t id = 0;
  auto book = std::make_unique<OrderBook>(0, spot::BookCapacity{1 << 18, 1024});
  std::size_t added = 0;
  for (auto _ : state) {
    if (added == 100'000) {
      state.PauseTiming();
      book = std::make_unique<OrderBook>(0, spot::BookCapacity{1 << 18, 1024});
      added = 0;
      state.ResumeTiming();
    }
    events.clear();
    const Side side = rng.uniform(2) == 0 ? Side::Buy : Side::Sell;
    const auto off = static_cast<spot::Ticks>(1 + rng.uniform(100));
    book->submit(limit(++id, side, side == Side::Buy ? 10'000 - off : 10'000 + off, 100), events);
    ++added;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AddResting);

// Cancel of a random resting order; the canceled order is replaced (untimed cost is
// included: one add per cancel), so the book size stays at 10,000.
void BM_CancelAndReplace(benchmark::State& state) {
  spot::bench::SplitMix64 rng(2);
  EventBuffer events;
  events.reserve(64);
  OrderBook book(0, spot::BookCapacity{1 << 15, 1024});
  std::vector<std::uint64_t> live;
  std::uint64_t id = 0;
  auto add = [&] {
    const Side side = rng.uniform(2) == 0 ? Side::Buy : Side::Sell;
    const auto off = static_cast<spot::Ticks>(1 + rng.uniform(100));
    book.submit(limit(++id, side, side == Side::Buy ? 10'000 - off : 10'000 + off, 100), events);
    return id;
  };
  for (int i = 0; i < 10'000; ++i) live.push_back(add());
  for (auto _ : state) {
    events.clear();
    const std::size_t k = rng.uniform(live.size());
    book.cancel(OrderId{live[k]}, events);
    live[k] = add();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CancelAndReplace);

// An IOC taker that fills one whole resting order at the best level, and the maker's
// replacement at the back of the queue.
void BM_MatchOneFill(benchmark::State& state) {
  EventBuffer events;
  events.reserve(64);
  OrderBook book(0, spot::BookCapacity{1 << 12, 1024});
  std::uint64_t id = 0;
  for (int level = 0; level < 50; ++level) {
    for (int i = 0; i < 10; ++i) book.submit(limit(++id, Side::Sell, 10'001 + level, 100), events);
  }
  for (auto _ : state) {
    events.clear();
    book.submit(limit(++id, Side::Buy, 10'001, 100, TimeInForce::Ioc), events);
    book.submit(limit(++id, Side::Sell, 10'001, 100), events);
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchOneFill);

// A taker sweeping 10 levels (100 makers), then the 100 makers added back (timed too:
// pausing the timer costs more than the work).
void BM_SweepTenLevelsAndRefill(benchmark::State& state) {
  EventBuffer events;
  events.reserve(256);
  OrderBook book(0, spot::BookCapacity{1 << 12, 1024});
  std::uint64_t id = 0;
  auto refill = [&] {
    for (int level = 0; level < 10; ++level) {
      for (int i = 0; i < 10; ++i)
        book.submit(limit(++id, Side::Sell, 10'001 + level, 100), events);
    }
  };
  refill();
  for (auto _ : state) {
    events.clear();
    book.submit(limit(++id, Side::Buy, 10'010, 10'000, TimeInForce::Ioc), events);
    refill();
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations() * 101);
}
BENCHMARK(BM_SweepTenLevelsAndRefill);

}  // namespace

BENCHMARK_MAIN();
