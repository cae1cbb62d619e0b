// Counts heap allocations while the W1 op stream runs: once the book has reached its
// working size, matching allocates nothing per order.
#include <gtest/gtest.h>

#include "bench/workload/workload.h"
#include "support/allocation_counter.h"

namespace spot::bench {
namespace {

std::uint64_t allocations_while(const Workload& w, Matcher& matcher, std::size_t from,
                                std::size_t to, EventBuffer& events) {
  const std::uint64_t before = test::allocations();
  for (std::size_t i = from; i < to; ++i) {
    events.clear();
    apply(matcher, w.ops[i], events);
  }
  return test::allocations() - before;
}

TEST(Allocation, SteadyStateMatchingAllocatesNothing) {
  const Workload w = generate_w1({7, 400'000, 1'000});
  Matcher matcher = make_matcher(w);
  EventBuffer events;
  events.reserve(4096);
  const std::size_t half = w.prefill_ops() + (w.ops.size() - w.prefill_ops()) / 2;
  // Warm-up: pools and indexes grow to the working size here.
  allocations_while(w, matcher, 0, half, events);
  // Steady state: 200,000 more ops of the same flow.
  EXPECT_EQ(allocations_while(w, matcher, half, w.ops.size(), events), 0u);
}

// Engine submits allocate for their replies (fills, records); checking, locking and
// settling balances must add nothing to that: the same ops through a pure-book engine
// and a checking one allocate exactly as often.
// `execute`: through Engine::execute with a time, as the matching loop runs them, so
// that the public market data (trades, buckets, update ids) is fed too.
std::uint64_t engine_allocations(const Workload& w, bool balances, bool execute = false) {
  EngineLimits limits;
  limits.book_capacity = book_capacity(w);
  limits.max_open_orders_per_account = 1u << 30;
  limits.check_balances = balances;
  Engine engine(w1b_symbol_specs(w), limits);
  for (std::uint64_t a = 1; a <= kW1bAccounts; ++a) {
    engine.create_account(CreateAccount{"a", "h"});
    for (const std::string& asset : engine.assets()) {
      engine.deposit(Deposit{{AccountId{a}, asset, kW1bFunds, asset + std::to_string(a)}});
    }
  }
  const std::string rid;
  SubmitOrder order;
  std::int64_t time_ns = 1'704'067'200'000'000'000;
  auto play = [&](const Op& op) {
    const AccountId owner{1 + op.id.value % kW1bAccounts};
    time_ns += 1'000'000;  // a thousand commands a second: every minute's bucket is used
    if (op.kind == OpKind::Cancel) {
      if (execute) {
        engine.execute(CancelRequest{owner, op.id}, rid, time_ns);
      } else {
        engine.cancel(CancelRequest{owner, op.id});
      }
      return;
    }
    order.account = owner;
    order.symbol = op.symbol;
    order.side = op.side;
    order.type = op.kind == OpKind::Market ? OrderType::Market : OrderType::Limit;
    order.tif = op.kind == OpKind::GtcLimit ? TimeInForce::Gtc : TimeInForce::Ioc;
    order.price = op.price;
    order.qty = op.qty;
    if (execute) {
      engine.execute(order, rid, time_ns);
    } else {
      engine.submit(order, rid);
    }
  };
  const std::size_t half = w.prefill_ops() + (w.ops.size() - w.prefill_ops()) / 2;
  for (std::size_t i = 0; i < half; ++i) play(w.ops[i]);
  const std::uint64_t before = test::allocations();
  for (std::size_t i = half; i < w.ops.size(); ++i) play(w.ops[i]);
  return test::allocations() - before;
}

TEST(Allocation, BalanceChecksAllocateNothing) {
  const Workload w = generate_w1({7, 200'000, 1'000});
  EXPECT_EQ(engine_allocations(w, true), engine_allocations(w, false));
}

// The ring of recent trades and the minute buckets are preallocated: feeding them adds
// no allocation to an order's.
TEST(Allocation, MarketDataAllocatesNothing) {
  const Workload w = generate_w1({7, 200'000, 1'000});
  EXPECT_EQ(engine_allocations(w, true, true), engine_allocations(w, true, false));
}

TEST(Allocation, CounterSeesAllocations) {
  // Guards the test above against a counter that never counts.
  const std::uint64_t before = test::allocations();
  // Through a volatile pointer, so the compiler cannot elide the pair (it may, C++14).
  static std::vector<int>* volatile escaped = nullptr;
  escaped = new std::vector<int>(100);
  delete escaped;
  EXPECT_GE(test::allocations() - before, 2u);
}

}  // namespace
}  // namespace spot::bench
