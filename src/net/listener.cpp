#include "spot/net/listener.h"

#include <prometheus/gauge.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>

#include "spot/log/log.h"

namespace spot {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Slot::Slot(std::shared_ptr<Count> count) : count_(std::move(count)) {
  if (count_->gauge != nullptr) count_->gauge->Increment();
}

Listener::Slot& Listener::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    count_ = std::move(other.count_);
  }
  return *this;
}

Listener::Slot::~Slot() { release(); }

void Listener::Slot::release() {
  if (!count_) return;
  count_->open.fetch_sub(1, std::memory_order_acq_rel);
  if (count_->gauge != nullptr) count_->gauge->Decrement();
  count_.reset();
}

struct Listener::State : std::enable_shared_from_this<Listener::State> {
  State(asio::io_context& io, std::size_t max, prometheus::Gauge* gauge, std::string n, Accepted a,
        Refused r)
      : ioc(io),
        acceptor(asio::make_strand(io)),
        max_connections(max),
        count(std::make_shared<Count>()),
        name(std::move(n)),
        accepted(std::move(a)),
        refused(std::move(r)) {
    count->gauge = gauge;
  }

  void do_accept() {
    acceptor.async_accept(
        asio::make_strand(ioc),
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          self->on_accept(ec, std::move(socket));
        });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      log::warn(name + " accept failed", {}, {{"error", ec.message()}});
    } else if (count->open.fetch_add(1, std::memory_order_acq_rel) >= max_connections) {
      count->open.fetch_sub(1, std::memory_order_acq_rel);
      refused(std::move(socket));
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      accepted(std::move(socket), Slot(count));
    }
    do_accept();
  }

  asio::io_context& ioc;
  tcp::acceptor acceptor;
  std::size_t max_connections;
  std::shared_ptr<Count> count;
  std::string name;
  Accepted accepted;
  Refused refused;
  bool stopped = false;  // on the acceptor's strand
};

Listener::Listener(asio::io_context& ioc, const std::string& address, std::uint16_t port,
                   std::size_t max_connections, prometheus::Gauge* gauge, std::string name,
                   Accepted accepted, Refused refused)
    : state_(std::make_shared<State>(ioc, max_connections, gauge, std::move(name),
                                     std::move(accepted), std::move(refused))) {
  const tcp::endpoint endpoint(asio::ip::make_address(address), port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(asio::socket_base::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = state_->acceptor.local_endpoint().port();
}

Listener::~Listener() = default;

void Listener::start() {
  asio::dispatch(state_->acceptor.get_executor(), [s = state_] { s->do_accept(); });
}

void Listener::stop() {
  asio::dispatch(state_->acceptor.get_executor(), [s = state_] {
    s->stopped = true;
    boost::system::error_code ignored;
    s->acceptor.close(ignored);
  });
}

}  // namespace spot
