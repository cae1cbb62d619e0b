// TcpServer: the binary order-entry protocol of docs/tcp-protocol.md over Asio.
// Each session runs on its own strand, answers in request order, pauses reading when
// too many requests are unanswered, and cuts a client that does not read its replies.
// Orders, cancels and balance queries are admitted through the gateway like every
// other protocol's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "spot/engine/symbol.h"
#include "spot/gateway/fill_router.h"
#include "spot/gateway/gateway.h"

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace spot {

struct TcpOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 9090;
  std::size_t max_frame_bytes = 256;
  std::size_t max_connections = 1'000;
  std::size_t max_inflight_per_connection = 4'096;
  std::size_t max_outbound_bytes = 4 * 1024 * 1024;  // unsent bytes before a slow reader is cut
  std::int64_t login_timeout_ms = 5'000;
  std::int64_t heartbeat_interval_ms = 1'000;  // of silence from the server
  std::int64_t idle_timeout_ms = 10'000;
  // Balance messages in one answer to a BalanceQuery for all assets; more assets come
  // in further pages (BalanceEnd's `next`). Bounds the bytes one query can queue.
  std::size_t max_balances_per_reply = 256;
};

class TcpServer {
 public:
  // Binds and listens at once; throws boost::system::system_error if it cannot.
  // Logged-in sessions subscribe to `fills` for their account's maker fills.
  TcpServer(boost::asio::io_context& ioc, TcpOptions options, Gateway& gateway, FillRouter& fills,
            const SymbolTable& symbols, prometheus::Gauge* connections);
  ~TcpServer();

  std::uint16_t port() const;
  // Counts the connections closed to make room at the limit (Listener; may be null).
  void set_evicted_counter(prometheus::Counter* evicted);
  void start();
  void stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace spot
