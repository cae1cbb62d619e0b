// The shared Listener on a real loopback socket: connections within the limit are
// handed over with a slot, the one over it is refused, and a freed slot lets the next
// connection in.
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

}  // namespace
}  // namespace spot
