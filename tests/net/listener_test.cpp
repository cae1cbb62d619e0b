// The shared Listener on a real loopback socket: connections within the limit are
// handed over with a slot, the one over it is refused (unless an idle connection makes
// room), and a freed slot lets the next connection in.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "spot/net/listener.h"

namespace spot {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Seen {
  std::mutex mutex;
  std::vector<std::pair<Listener::Socket, Listener::Slot>> accepted;
  int refused = 0;

  std::size_t accepted_count() {
    std::lock_guard<std::mutex> lock(mutex);
    return accepted.size();
  }
  int refused_count() {
    std::lock_guard<std::mutex> lock(mutex);
    return refused;
  }
};

template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(Listener, LimitsConnectionsAndFreesASlotWhenAConnectionEnds) {
  asio::io_context ioc;
  Seen seen;
  Listener listener(
      ioc, "127.0.0.1", 0, 2, nullptr, "test",
      [&seen](Listener::Socket s, Listener::Slot slot) {
        std::lock_guard<std::mutex> lock(seen.mutex);
        seen.accepted.emplace_back(std::move(s), std::move(slot));
      },
      [&seen](Listener::Socket s) {
        std::lock_guard<std::mutex> lock(seen.mutex);
        ++seen.refused;
        s.close();
      });
  ASSERT_NE(listener.port(), 0);
  listener.start();
  std::thread io([&ioc] {
    auto guard = asio::make_work_guard(ioc);
    ioc.run();
  });

  asio::io_context client_ctx;
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), listener.port());
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(client_ctx);
    clients.back().connect(at);
  }
  EXPECT_TRUE(eventually([&] { return seen.accepted_count() == 2 && seen.refused_count() == 1; }));

  {  // The first connection ends: its slot goes with it.
    std::lock_guard<std::mutex> lock(seen.mutex);
    seen.accepted.erase(seen.accepted.begin());
  }
  clients.emplace_back(client_ctx);
  clients.back().connect(at);
  EXPECT_TRUE(eventually([&] { return seen.accepted_count() == 2; }));
  EXPECT_EQ(seen.refused_count(), 1);

  listener.stop();
  {
    std::lock_guard<std::mutex> lock(seen.mutex);
    seen.accepted.clear();  // sockets belong to ioc: close them before it stops
  }
  ioc.stop();
  io.join();
}

// At the limit, the connection idle longest is closed to make room for the new one; a
// busy one never is, and with none idle the new one is refused as before.
TEST(Listener, AtTheLimitTheConnectionIdleLongestMakesRoom) {
  asio::io_context ioc;
  Seen seen;
  std::vector<int> evicted;  // under seen.mutex
  Listener listener(
      ioc, "127.0.0.1", 0, 2, nullptr, "test",
      [&](Listener::Socket s, Listener::Slot slot) {
        std::lock_guard<std::mutex> lock(seen.mutex);
        const int i = static_cast<int>(seen.accepted.size());
        slot.evictable([&, i] {
          std::lock_guard<std::mutex> evict_lock(seen.mutex);
          evicted.push_back(i);
        });
        // The first two wait for work (idle, the first one longer); later ones work.
        if (i < 2) slot.idle();
        seen.accepted.emplace_back(std::move(s), std::move(slot));
      },
      [&seen](Listener::Socket s) {
        std::lock_guard<std::mutex> lock(seen.mutex);
        ++seen.refused;
        s.close();
      });
  listener.start();
  std::thread io([&ioc] {
    auto guard = asio::make_work_guard(ioc);
    ioc.run();
  });
  const auto evicted_now = [&] {
    std::lock_guard<std::mutex> lock(seen.mutex);
    return evicted;
  };
  const auto end = [&](int i) {  // connection i's session ends: its slot goes
    std::lock_guard<std::mutex> lock(seen.mutex);
    seen.accepted[static_cast<std::size_t>(i)].second = Listener::Slot();
  };

  asio::io_context client_ctx;
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), listener.port());
  std::vector<tcp::socket> clients;
  const auto connect = [&] {
    clients.emplace_back(client_ctx);
    clients.back().connect(at);
  };
  connect();
  ASSERT_TRUE(eventually([&] { return seen.accepted_count() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // 0 is idle longer than 1
  connect();
  ASSERT_TRUE(eventually([&] { return seen.accepted_count() == 2; }));

  connect();  // at the limit: 0, idle longest, makes room
  EXPECT_TRUE(eventually([&] { return seen.accepted_count() == 3; }));
  EXPECT_EQ(evicted_now(), std::vector<int>{0});
  end(0);
  connect();  // then 1, the only idle one left
  EXPECT_TRUE(eventually([&] { return seen.accepted_count() == 4; }));
  EXPECT_EQ(evicted_now(), (std::vector<int>{0, 1}));
  end(1);
  connect();  // 2 and 3 are busy: refused
  EXPECT_TRUE(eventually([&] { return seen.refused_count() == 1; }));
  EXPECT_EQ(seen.accepted_count(), 4u);
  EXPECT_EQ(evicted_now().size(), 2u);

  listener.stop();
  {
    std::lock_guard<std::mutex> lock(seen.mutex);
    seen.accepted.clear();
  }
  ioc.stop();
  io.join();
}

}  // namespace
}  // namespace spot
