// A listening socket with a connection limit: what the HTTP and TCP servers share. It
// accepts on its own strand, hands each connection within the limit to `accepted`
// (with TCP_NODELAY set: small replies must not wait for Nagle's algorithm) together
// with a Slot that holds its place, and each connection over the limit to `refused`.
//
// At the limit, a new connection first makes room by closing the connection that has
// been idle longest, if any is (Slot::evictable: an HTTP connection waiting for its next
// request, a TCP one not logged in yet). Otherwise a flood of connections that never
// send anything would lock every honest client out until the read or login timeout;
// this way the flood's own connections go first (an idle keep-alive connection, older,
// may go too, as at any idle timeout). Connections at work are never closed for this.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace spot {

class Listener {
 public:
  // A connection the listener may close to make room (see Slot::evictable).
  struct Evictable {
    // Monotonic ns since when the connection has waited with nothing to do; 0: busy.
    std::atomic<std::int64_t> idle_since_ns{0};
    std::function<void()> evict;
    bool evicting = false;  // under Count::mutex
  };

  struct Count {
    std::atomic<std::size_t> open{0};
    prometheus::Gauge* gauge = nullptr;
    std::atomic<prometheus::Counter*> evicted{nullptr};
    std::mutex mutex;  // guards `evictable` (the list, and each entry's `evicting`)
    std::list<Evictable> evictable;
  };

  // One accepted connection's place under the limit; freed when the Slot is destroyed
  // (the session that owns it ends).
  class Slot {
   public:
    Slot() = default;
    explicit Slot(std::shared_ptr<Count> count);
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&&) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

    // Lets the listener close this connection, while it is idle, to make room for a new
    // one at the limit: `evict` runs at most once, on the listener's strand, and must
    // only post the close to the connection's own executor. Call once, then mark the
    // connection idle() or busy() as it goes (it starts busy); cheap, no lock.
    void evictable(std::function<void()> evict);
    void idle();
    void busy();

   private:
    void release();
    std::shared_ptr<Count> count_;
    std::list<Evictable>::iterator entry_;
    bool registered_ = false;
  };

  using Socket = boost::asio::ip::tcp::socket;
  using Accepted = std::function<void(Socket, Slot)>;
  using Refused = std::function<void(Socket)>;

  // Binds and listens at once; throws boost::system::system_error if it cannot.
  // `gauge` (may be null) follows the number of open connections; `name` is for logs.
  Listener(boost::asio::io_context& ioc, const std::string& address, std::uint16_t port,
           std::size_t max_connections, prometheus::Gauge* gauge, std::string name,
           Accepted accepted, Refused refused);
  ~Listener();

  std::uint16_t port() const { return port_; }
  // Counts the connections closed to make room (may be null; set before start()).
  void set_evicted_counter(prometheus::Counter* evicted);
  void start();
  // Stops accepting; open connections are not touched.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

}  // namespace spot
