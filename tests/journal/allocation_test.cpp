// Counts heap allocations while a steady stream of orders is journaled, as the matching
// loop journals them: each record's payload encoded into one reused buffer, framed
// straight into the writer's buffer, and a completion as large as the matching loop's
// held inline. Once the buffers have grown to the stream's batches, neither the
// submitting thread nor the writer thread allocates per entry.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "spot/journal/codec.h"
#include "spot/journal/file_system.h"
#include "spot/journal/journal.h"
#include "support/allocation_counter.h"
#include "support/temp_dir.h"

namespace spot {
namespace {

using test::TempDir;

// Submits `rounds` rounds of `per_round` orders, each round waiting until all its
// completions have run (so no batch is larger than a round), and returns the
// allocations the whole process made meanwhile.
std::uint64_t allocations_while_journaling(JournalWriter& writer, std::string& payload, int rounds,
                                           int per_round, std::uint64_t& next_id) {
  std::atomic<int> completed{0};
  // What the matching loop's completion holds beside its pointers: a reply.
  std::array<char, sizeof(Reply)> reply_sized{};
  const std::string request_id = "tcp-1-12345";  // short enough to stay inline
  const std::uint64_t before = test::allocations();
  for (int r = 0; r < rounds; ++r) {
    completed.store(0, std::memory_order_relaxed);
    for (int k = 0; k < per_round; ++k) {
      SubmitOrder order;
      order.account = AccountId{1};
      order.symbol = 0;
      order.side = (next_id & 1) != 0 ? Side::Buy : Side::Sell;
      order.price = 100 + static_cast<Ticks>(next_id % 7);
      order.qty = 1;
      order.client_token = next_id++;
      const CommandBody body = std::move(order);
      payload.clear();
      journal::encode_command(body, request_id, 1'700'000'000'000'000'000, payload);
      EXPECT_GT(writer.wait_for_room(1, std::chrono::seconds(10)), 0u);
      const bool submitted = writer.submit(payload, [&completed, reply_sized](bool durable) {
        EXPECT_TRUE(durable);
        EXPECT_EQ(reply_sized[0], 0);
        completed.fetch_add(1, std::memory_order_release);
      });
      EXPECT_TRUE(submitted);
    }
    while (completed.load(std::memory_order_acquire) < per_round) std::this_thread::yield();
  }
  return test::allocations() - before;
}

TEST(Allocation, JournalingAnOrderAllocatesNothing) {
  TempDir dir{"spot-journal-alloc"};
  PosixFileSystem posix;
  JournalOptions options;
  options.dir = dir.path();
  JournalWriter writer(posix, options, 1, nullptr);
  writer.start();
  std::string payload;
  std::uint64_t id = 1;
  // Warm-up: the first segment is opened, the buffers grow to a round's size.
  allocations_while_journaling(writer, payload, 200, 100, id);
  // Steady state: 50,000 more entries. A buffer may still double once or twice (a
  // round split differently between the two batch buffers), never once per entry.
  const std::uint64_t allocations = allocations_while_journaling(writer, payload, 500, 100, id);
  EXPECT_LE(allocations, 8u) << "allocations for 50,000 journaled orders";
  writer.stop();
  EXPECT_EQ(writer.durable_seq(), id - 1);
}

}  // namespace
}  // namespace spot
