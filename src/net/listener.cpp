#include "spot/net/listener.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <chrono>
#include <limits>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>

#include "spot/log/log.h"

namespace spot {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Slot::Slot(std::shared_ptr<Count> count) : count_(std::move(count)) {
  if (count_->gauge != nullptr) count_->gauge->Increment();
}

Listener::Slot::Slot(Slot&& other) noexcept
    : count_(std::move(other.count_)), entry_(other.entry_), registered_(other.registered_) {
  other.registered_ = false;
}

Listener::Slot& Listener::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    count_ = std::move(other.count_);
    entry_ = other.entry_;
    registered_ = other.registered_;
    other.registered_ = false;
  }
  return *this;
}

Listener::Slot::~Slot() { release(); }

void Listener::Slot::evictable(std::function<void()> evict) {
  if (!count_ || registered_) return;
  std::lock_guard<std::mutex> lock(count_->mutex);
  entry_ = count_->evictable.emplace(count_->evictable.end());
  entry_->evict = std::move(evict);
  registered_ = true;
}

void Listener::Slot::idle() {
  if (!registered_) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  entry_->idle_since_ns.store(now == 0 ? 1 : now, std::memory_order_relaxed);
}

void Listener::Slot::busy() {
  if (registered_) entry_->idle_since_ns.store(0, std::memory_order_relaxed);
}

void Listener::Slot::release() {
  if (!count_) return;
  if (registered_) {
    std::lock_guard<std::mutex> lock(count_->mutex);
    count_->evictable.erase(entry_);
    registered_ = false;
  }
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
    } else if (count->open.fetch_add(1, std::memory_order_acq_rel) >= max_connections &&
               !evict_idlest()) {
      count->open.fetch_sub(1, std::memory_order_acq_rel);
      refused(std::move(socket));
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      accepted(std::move(socket), Slot(count));
    }
    do_accept();
  }

  // At the limit: closes the connection idle longest to make room for the new one,
  // which is let in at once (the count stays above the limit only until the closed
  // one's session ends, as soon as its executor runs). False if none is idle.
  bool evict_idlest() {
    std::function<void()> evict;
    {
      std::lock_guard<std::mutex> lock(count->mutex);
      Evictable* idlest = nullptr;
      std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
      for (Evictable& e : count->evictable) {
        const std::int64_t since = e.idle_since_ns.load(std::memory_order_relaxed);
        if (since != 0 && !e.evicting && since < oldest) {
          oldest = since;
          idlest = &e;
        }
      }
      if (idlest == nullptr) return false;
      idlest->evicting = true;
      evict = idlest->evict;
    }
    evict();
    if (prometheus::Counter* c = count->evicted.load(std::memory_order_relaxed)) c->Increment();
    log::debug(name + ": at the connection limit, closed the connection idle longest");
    return true;
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

void Listener::set_evicted_counter(prometheus::Counter* evicted) {
  state_->count->evicted.store(evicted, std::memory_order_relaxed);
}

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
