// A listening socket with a connection limit: what the HTTP and TCP servers share. It
// accepts on its own strand, hands each connection within the limit to `accepted`
// (with TCP_NODELAY set: small replies must not wait for Nagle's algorithm) together
// with a Slot that holds its place, and each connection over the limit to `refused`.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace prometheus {
class Gauge;
}

namespace spot {

class Listener {
 public:
  struct Count {
    std::atomic<std::size_t> open{0};
    prometheus::Gauge* gauge = nullptr;
  };

  // One accepted connection's place under the limit; freed when the Slot is destroyed
  // (the session that owns it ends).
  class Slot {
   public:
    Slot() = default;
    explicit Slot(std::shared_ptr<Count> count);
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&&) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

   private:
    void release();
    std::shared_ptr<Count> count_;
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
  void start();
  // Stops accepting; open connections are not touched.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

}  // namespace spot
