// RingOrderQueue: the bounded MPSC ring between the gateway and the matching thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "spot/engine/order_queue.h"

namespace spot {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

Command make_command(const std::string& request_id, std::uint64_t token = 0) {
  Command c;
  SubmitOrder order;
  order.account = AccountId{7};
  order.client_token = token;
  c.body = order;
  c.request_id = request_id;
  c.received_ns = 42;
  return c;
}

std::vector<std::string> pop_ids(RingOrderQueue& q, std::size_t max) {
  std::vector<Command> out;
  q.pop_batch(out, max);
  std::vector<std::string> ids;
  for (const Command& c : out) ids.push_back(c.request_id);
  return ids;
}

TEST(RingOrderQueue, CapacityIsTheRequestedPowerOfTwo) {
  for (const std::size_t capacity : {2u, 4u, 64u, 1024u}) {
    RingOrderQueue q(capacity);
    EXPECT_EQ(q.capacity(), capacity);
    EXPECT_EQ(q.size(), 0u);
  }
}

TEST(RingOrderQueue, DeliversInFifoOrder) {
  RingOrderQueue q(8);
  for (int i = 0; i < 5; ++i) {
    Command c = make_command(std::to_string(i));
    ASSERT_TRUE(q.try_push(c));
  }
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(pop_ids(q, 100), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(q.size(), 0u);
}

TEST(RingOrderQueue, KeepsFifoOrderAcrossManyWrapArounds) {
  RingOrderQueue q(4);
  int next_push = 0;
  int next_pop = 0;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 3; ++i) {
      Command c = make_command(std::to_string(next_push++));
      ASSERT_TRUE(q.try_push(c));
    }
    for (const std::string& id : pop_ids(q, 3)) EXPECT_EQ(id, std::to_string(next_pop++));
  }
  EXPECT_EQ(next_pop, 300);
}

TEST(RingOrderQueue, FullQueueRefusesAndLeavesTheCommandIntact) {
  RingOrderQueue q(4);
  for (int i = 0; i < 4; ++i) {
    Command c = make_command(std::to_string(i));
    ASSERT_TRUE(q.try_push(c));
  }
  EXPECT_EQ(q.size(), 4u);

  bool called = false;
  Command extra = make_command("extra", 99);
  extra.done = [&called](Reply&&) { called = true; };
  EXPECT_FALSE(q.try_push(extra));
  EXPECT_EQ(extra.request_id, "extra");
  EXPECT_EQ(extra.received_ns, 42);
  ASSERT_TRUE(std::holds_alternative<SubmitOrder>(extra.body));
  EXPECT_EQ(std::get<SubmitOrder>(extra.body).client_token, 99u);
  ASSERT_TRUE(static_cast<bool>(extra.done));
  extra.done(OrderReply{});
  EXPECT_TRUE(called);

  // Space again after one pop; the refused command can then be pushed as it is.
  EXPECT_EQ(pop_ids(q, 1), std::vector<std::string>{"0"});
  EXPECT_TRUE(q.try_push(extra));
  EXPECT_EQ(pop_ids(q, 10), (std::vector<std::string>{"1", "2", "3", "extra"}));
}

TEST(RingOrderQueue, PopBatchRespectsMaxAndAppends) {
  RingOrderQueue q(8);
  for (int i = 0; i < 6; ++i) {
    Command c = make_command(std::to_string(i));
    ASSERT_TRUE(q.try_push(c));
  }
  std::vector<Command> out;
  out.push_back(make_command("already-there"));
  EXPECT_EQ(q.pop_batch(out, 4), 4u);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].request_id, "already-there");
  EXPECT_EQ(out[1].request_id, "0");
  EXPECT_EQ(out[4].request_id, "3");
  EXPECT_EQ(q.size(), 2u);

  EXPECT_EQ(q.pop_batch(out, 0), 0u);
  EXPECT_EQ(q.pop_batch(out, 10), 2u);
  EXPECT_EQ(out.back().request_id, "5");
  EXPECT_EQ(q.pop_batch(out, 10), 0u);
  EXPECT_EQ(out.size(), 7u);
}

TEST(RingOrderQueue, CloseRefusesPushesAndDrainsBeforeWaitFails) {
  RingOrderQueue q(8);
  for (int i = 0; i < 2; ++i) {
    Command c = make_command(std::to_string(i));
    ASSERT_TRUE(q.try_push(c));
  }
  q.close();

  Command late = make_command("late", 5);
  EXPECT_FALSE(q.try_push(late));
  EXPECT_EQ(late.request_id, "late");
  EXPECT_EQ(std::get<SubmitOrder>(late.body).client_token, 5u);

  // Closed but not empty: the consumer still gets what was queued.
  EXPECT_TRUE(q.wait(milliseconds(0)));
  EXPECT_EQ(pop_ids(q, 10), (std::vector<std::string>{"0", "1"}));

  // Closed and empty: wait fails at once rather than sleeping out its timeout.
  const auto start = Clock::now();
  EXPECT_FALSE(q.wait(milliseconds(5'000)));
  EXPECT_LT(Clock::now() - start, milliseconds(1'000));
}

TEST(RingOrderQueue, WaitReturnsTrueAtOnceWhenNotEmpty) {
  RingOrderQueue q(8);
  Command c = make_command("x");
  ASSERT_TRUE(q.try_push(c));
  const auto start = Clock::now();
  EXPECT_TRUE(q.wait(milliseconds(5'000)));
  EXPECT_LT(Clock::now() - start, milliseconds(1'000));
}

TEST(RingOrderQueue, WaitOnAnOpenEmptyQueueTimesOutWithTrue) {
  RingOrderQueue q(8);
  const auto start = Clock::now();
  EXPECT_TRUE(q.wait(milliseconds(20)));
  EXPECT_LT(Clock::now() - start, milliseconds(2'000));
  EXPECT_EQ(q.size(), 0u);
}

TEST(RingOrderQueue, WaitWakesPromptlyWhenAnotherThreadPushes) {
  for (int round = 0; round < 5; ++round) {
    RingOrderQueue q(8);
    std::atomic<bool> waiting{false};
    Clock::duration waited{};
    bool result = false;
    std::thread consumer([&] {
      waiting.store(true);
      const auto start = Clock::now();
      result = q.wait(milliseconds(10'000));
      waited = Clock::now() - start;
    });
    while (!waiting.load()) std::this_thread::yield();
    std::this_thread::sleep_for(milliseconds(20));
    Command c = make_command("wake");
    ASSERT_TRUE(q.try_push(c));
    consumer.join();
    EXPECT_TRUE(result);
    EXPECT_LT(waited, milliseconds(2'000)) << "round " << round;
    EXPECT_EQ(pop_ids(q, 10), std::vector<std::string>{"wake"});
  }
}

TEST(RingOrderQueue, CloseWakesASleepingConsumer) {
  RingOrderQueue q(8);
  std::atomic<bool> waiting{false};
  Clock::duration waited{};
  bool result = true;
  std::thread consumer([&] {
    waiting.store(true);
    const auto start = Clock::now();
    result = q.wait(milliseconds(10'000));
    waited = Clock::now() - start;
  });
  while (!waiting.load()) std::this_thread::yield();
  std::this_thread::sleep_for(milliseconds(20));
  q.close();
  consumer.join();
  EXPECT_FALSE(result);
  EXPECT_LT(waited, milliseconds(2'000));
}

// 4 producers x 50,000 commands, one consumer: every command arrives exactly once and
// each producer's commands arrive in the order it pushed them.
TEST(RingOrderQueue, MultiProducerStressDeliversEverythingOnceInPerProducerOrder) {
  constexpr int kProducers = 4;
  constexpr std::uint64_t kPerProducer = 50'000;
  RingOrderQueue q(1024);

  std::vector<std::uint64_t> next(kProducers, 0);
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t malformed = 0;
  std::thread consumer([&] {
    std::vector<Command> batch;
    while (q.wait(milliseconds(10))) {
      batch.clear();
      q.pop_batch(batch, 256);
      for (const Command& c : batch) {
        const auto colon = c.request_id.find(':');
        if (colon == std::string::npos) {
          ++malformed;
          continue;
        }
        const int producer = std::stoi(c.request_id.substr(0, colon));
        const std::uint64_t seq = std::stoull(c.request_id.substr(colon + 1));
        if (producer < 0 || producer >= kProducers ||
            std::get<SubmitOrder>(c.body).client_token != seq) {
          ++malformed;
          continue;
        }
        if (seq != next[producer]) ++out_of_order;
        next[producer] = seq + 1;
        ++received;
      }
    }
  });

  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q, p] {
      for (std::uint64_t seq = 0; seq < kPerProducer; ++seq) {
        Command c = make_command(std::to_string(p) + ":" + std::to_string(seq), seq);
        while (!q.try_push(c)) std::this_thread::yield();
      }
    });
  }
  for (std::thread& t : producers) t.join();
  q.close();
  consumer.join();

  EXPECT_EQ(malformed, 0u);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(received, kProducers * kPerProducer);
  for (int p = 0; p < kProducers; ++p) EXPECT_EQ(next[p], kPerProducer) << "producer " << p;
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace spot
