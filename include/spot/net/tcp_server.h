// TcpServer: the binary order-entry protocol of docs/tcp-protocol.md over Asio.
// Each session runs on its own strand, answers in request order, pauses reading when
// too many requests are unanswered, and cuts a client that does not read its replies.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "spot/app/config.h"
#include "spot/engine/commands.h"
#include "spot/engine/matcher.h"
#include "spot/net/intake.h"

namespace prometheus {
class Gauge;
}

namespace spot {

class TcpServer {
 public:
  // Binds and listens at once; throws boost::system::system_error if it cannot.
  TcpServer(boost::asio::io_context& ioc, const Config::Tcp& config, Intake& intake,
            const Matcher& symbols, prometheus::Gauge* connections);
  ~TcpServer();

  std::uint16_t port() const;
  void start();
  void stop();

  // Sends Executed (liquidity 'M') to every logged-in session of each maker's
  // account. Thread-safe; called from the matching thread.
  void notify_maker_fills(const std::vector<MakerFill>& fills);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace spot
