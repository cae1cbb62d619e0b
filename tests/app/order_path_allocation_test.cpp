// Heap allocations per order in a real spotd, by thread: spotd runs with
// bench/alloc_count.c preloaded (it counts every malloc, calloc, realloc and aligned
// allocation per thread and dumps the counts on SIGUSR2), a TCP client sends a warm-up
// and then a measured stream of orders, and the difference of two dumps is divided by
// the orders. The bounds are what the order path allocates today, with a little room:
// the goal (issue 14) is none; a change that adds an allocation per order fails here.
// Label `alloc` only: a preloaded counter cannot run beside the sanitizers' runtimes.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "integration/spotd_process.h"
#include "spot/proto/tcp.h"

namespace spot::test {
namespace {

namespace wire = proto::tcp;

// Per thread name (comm), the total allocations of the last complete dump in `path`.
std::map<std::string, double> last_dump(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, double> current;
  std::map<std::string, double> complete;
  std::string line;
  while (std::getline(in, line)) {
    if (line == "end") {
      complete = current;
      current.clear();
      continue;
    }
    std::istringstream fields(line);
    std::string kind;
    std::string tid;
    std::string comm;
    fields >> kind;
    if (kind != "thread") continue;
    fields >> tid >> comm;
    std::string word;
    double total = 0;
    while (fields >> word) {
      if (word == "total") fields >> total;
    }
    current[comm] += total;  // threads of one name (the I/O threads) together
  }
  return complete;
}

// Asks spotd for a dump and waits until it is complete.
std::map<std::string, double> dump(const SpotdProcess& spotd, const std::string& path) {
  auto count_ends = [&path] {
    std::ifstream in(path);
    std::string line;
    int ends = 0;
    while (std::getline(in, line)) ends += line == "end" ? 1 : 0;
    return ends;
  };
  const int before = count_ends();
  ::kill(spotd.pid(), SIGUSR2);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count_ends() == before) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "no allocation dump from spotd";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return last_dump(path);
}

// `count` orders in windows of 100: buys and sells around 100 that rest, cross and
// trade, as W1's limit orders do; waits for each order's answer (and its fills).
void send_orders(TcpClient& client, std::uint64_t& token, int count) {
  constexpr int kWindow = 100;
  for (int done = 0; done < count; done += kWindow) {
    std::string bytes;
    for (int k = 0; k < kWindow; ++k, ++token) {
      const Side side = token % 2 == 0 ? Side::Buy : Side::Sell;
      const Ticks price = 100 + static_cast<Ticks>(token % 5) - 2;
      wire::encode(
          wire::EnterOrder{{{}, 0, side, OrderType::Limit, TimeInForce::Gtc, price, 1}, token},
          bytes);
    }
    client.send(bytes);
    for (int answered = 0; answered < kWindow;) {
      const auto msg = client.receive_non_heartbeat();
      ASSERT_TRUE(msg.has_value()) << "no answer to an order";
      ASSERT_NE(msg->type, static_cast<std::uint8_t>('J')) << "an order was rejected";
      if (msg->type == static_cast<std::uint8_t>('A')) ++answered;
    }
  }
}

TEST(OrderPathAllocation, TcpOrdersAllocateWithinTheirBounds) {
  const std::string dir = ::testing::TempDir();
  const std::string counts = dir + "/spot-alloc-counts-" + std::to_string(::getpid()) + ".txt";
  std::remove(counts.c_str());
  ::setenv("LD_PRELOAD", ALLOC_COUNT_PATH, 1);
  ::setenv("ALLOC_COUNT_OUT", counts.c_str(), 1);
  SpotdProcess spotd;
  ::unsetenv("LD_PRELOAD");
  ::unsetenv("ALLOC_COUNT_OUT");
  const std::string key = spotd.create_account("alloc");
  TcpClient client(spotd.tcp_port());
  ASSERT_TRUE(client.login(key));
  std::uint64_t token = 1;
  // Warm-up: the book, the engine's tables and every buffer reach their working size.
  send_orders(client, token, 20'000);
  const auto before = dump(spotd, counts);
  constexpr int kOrders = 20'000;
  send_orders(client, token, kOrders);
  const auto after = dump(spotd, counts);
  auto per_order = [&](const std::string& thread) {
    const auto a = after.find(thread);
    const auto b = before.find(thread);
    const double n = (a == after.end() ? 0 : a->second) - (b == before.end() ? 0 : b->second);
    return n / kOrders;
  };
  const double net = per_order("spot-net");
  const double matching = per_order("spot-matching");
  const double journal = per_order("spot-journal");
  std::printf("allocations per TCP order: spot-net %.3f, spot-matching %.3f, spot-journal %.3f\n",
              net, matching, journal);
  ASSERT_FALSE(after.empty()) << "the counter dumped nothing";
  // Measured 2026-12-06, with a journal writer thread: net 0.719 (Asio's operations for
  // the socket's reads and writes, and the connection's line of slots), matching 0.813
  // (a crossing order's fills and its makers' fills, in vectors that travel with the
  // reply), journal 0.05 (Asio's post of a connection's replies, once per group commit).
  // Since 2026-12-07 the matching thread writes the journal itself (journal.writer_thread
  // = false): it did both (0.904 in a CI rehearsal), and spot-journal is gone. Since
  // 2026-12-08 the post takes its memory from CrossThreadPool (net/cross_thread_post.h):
  // 0.813 again, only the fills. With the post back on the heap: 0.869 and 0.890.
  EXPECT_LE(net, 0.9);
  EXPECT_LE(matching, 0.85);
  EXPECT_LE(journal, 0.2);
  EXPECT_EQ(spotd.terminate(), 0);
}

}  // namespace
}  // namespace spot::test
