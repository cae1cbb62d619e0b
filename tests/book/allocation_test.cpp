// Counts heap allocations while the W1 op stream runs: once the book has reached its
// working size, matching allocates nothing per order.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "bench/workload/workload.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace spot::bench {
namespace {

std::uint64_t allocations_while(const Workload& w, Matcher& matcher, std::size_t from,
                                std::size_t to, EventBuffer& events) {
  const std::uint64_t before = g_allocations.load();
  for (std::size_t i = from; i < to; ++i) {
    events.clear();
    apply(matcher, w.ops[i], events);
  }
  return g_allocations.load() - before;
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

TEST(Allocation, CounterSeesAllocations) {
  // Guards the test above against a counter that never counts.
  const std::uint64_t before = g_allocations.load();
  auto* p = new std::vector<int>(100);
  delete p;
  EXPECT_GE(g_allocations.load() - before, 2u);
}

}  // namespace
}  // namespace spot::bench
