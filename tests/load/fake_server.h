// A tiny in-process stand-in for spotd, for the load generator's end-to-end tests only:
// it speaks just enough HTTP/1.1 (exchangeInfo, POST/DELETE orders) or just enough of
// the binary TCP protocol, on 127.0.0.1 with an ephemeral port, on its own thread.
#pragma once

#include <boost/asio.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "spot/proto/tcp.h"

namespace spot::bench::load::testing {

struct FakeBehaviour {
  bool tcp = false;
  // Hold every response from request number `stall_from_request` (counting from 0, over
  // all connections) on until `stall` after that request arrived.
  std::chrono::milliseconds stall{0};
  std::uint64_t stall_from_request = 0;
  bool never_answer = false;
  int order_status = 201;  // HTTP status for POST /api/v1/orders (e.g. 429)
  std::string api_key = "k";
};

struct FakeStats {
  std::uint64_t orders = 0;
  std::uint64_t cancels = 0;
  std::uint64_t cancel_unknown = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t logins = 0;
  std::vector<std::string> order_bodies;         // HTTP
  std::vector<std::uint64_t> client_ids;         // TCP
  std::set<std::uint16_t> tcp_symbols;           // TCP
  std::vector<std::string> bad;                  // anything the fake did not understand
  std::vector<std::uint64_t> requests_per_read;  // orders and cancels parsed, by read
};

class FakeServer {
 public:
  explicit FakeServer(FakeBehaviour behaviour)
      : behaviour_(std::move(behaviour)),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeServer() { stop(); }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Stops the server; the stats are stable afterwards.
  const FakeStats& stop() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
    return stats_;
  }

 private:
  using tcp = boost::asio::ip::tcp;
  using Clock = std::chrono::steady_clock;

  struct Session : std::enable_shared_from_this<Session> {
    Session(FakeServer& s, tcp::socket sock)
        : server(s), socket(std::move(sock)), timer(socket.get_executor()) {}

    void read() {
      auto self = shared_from_this();
      socket.async_read_some(boost::asio::buffer(chunk),
                             [self](boost::system::error_code ec, std::size_t n) {
                               if (ec) return;
                               self->in.append(self->chunk.data(), n);
                               FakeStats& stats = self->server.stats_;
                               const std::uint64_t before = stats.orders + stats.cancels;
                               if (self->server.behaviour_.tcp) {
                                 self->parse_tcp();
                               } else {
                                 self->parse_http();
                               }
                               const std::uint64_t parsed = stats.orders + stats.cancels - before;
                               if (parsed > 0) stats.requests_per_read.push_back(parsed);
                               self->release();
                               self->read();
                             });
    }

    void parse_http() {
      for (;;) {
        const std::size_t end = in.find("\r\n\r\n");
        if (end == std::string::npos) return;
        const std::string head = in.substr(0, end);
        std::size_t length = 0;
        const std::size_t cl = head.find("Content-Length: ");
        if (cl != std::string::npos) length = std::stoul(head.substr(cl + 16));
        if (in.size() < end + 4 + length) return;
        const std::string body = in.substr(end + 4, length);
        in.erase(0, end + 4 + length);
        server.on_http(head, body, out);
      }
    }

    void parse_tcp() {
      const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(in.data()),
                                               in.size());
      std::size_t used = 0;
      for (;;) {
        proto::tcp::Frame f;
        if (proto::tcp::next_frame(data.subspan(used), 256, f) !=
            proto::tcp::FrameStatus::Complete) {
          break;
        }
        used += f.frame_bytes;
        server.on_tcp(f, out);
      }
      in.erase(0, used);
    }

    // Writes what is due, unless the server is stalling.
    void release() {
      if (server.behaviour_.never_answer || writing || out.empty()) return;
      const auto now = Clock::now();
      if (now < server.release_at_) {
        if (!timer_armed) {
          timer_armed = true;
          timer.expires_at(server.release_at_);
          timer.async_wait([self = shared_from_this()](boost::system::error_code) {
            self->timer_armed = false;
            self->release();
          });
        }
        return;
      }
      writing = true;
      inflight.swap(out);
      out.clear();
      boost::asio::async_write(
          socket, boost::asio::buffer(inflight),
          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            self->writing = false;
            self->inflight.clear();
            if (!ec) self->release();
          });
    }

    FakeServer& server;
    tcp::socket socket;
    boost::asio::steady_timer timer;
    bool timer_armed = false;
    bool writing = false;
    std::array<char, 16384> chunk{};
    std::string in, out, inflight;
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(*this, std::move(socket))->read();
      accept();
    });
  }

  void note_request() {
    if (requests_++ == behaviour_.stall_from_request) {
      release_at_ = Clock::now() + behaviour_.stall;
    }
  }

  static void http_reply(int status, const std::string& body, std::string& out) {
    out += "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n";
    if (status == 429) out += "Retry-After: 1\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  void on_http(const std::string& head, const std::string& body, std::string& out) {
    note_request();
    if (head.rfind("GET /api/v1/exchangeInfo ", 0) == 0) {
      http_reply(
          200,
          R"({"symbols":[{"symbol":"BTC-USDT","index":0,"tickSize":"0.01","lotSize":"0.001"},)"
          R"({"symbol":"ETH-USDT","index":1,"tickSize":"0.5","lotSize":"1"},)"
          R"({"symbol":"SOL-USDT","index":2,"tickSize":"1","lotSize":"0.1"}]})",
          out);
    } else if (head.rfind("POST /api/v1/orders ", 0) == 0) {
      if (head.find("X-API-Key: " + behaviour_.api_key + "\r\n") == std::string::npos) {
        http_reply(401, R"({"code":-1002,"msg":"unauthorized"})", out);
        return;
      }
      ++stats_.orders;
      stats_.order_bodies.push_back(body);
      if (behaviour_.order_status != 201) {
        http_reply(behaviour_.order_status, R"({"code":-1003,"msg":"no"})", out);
        return;
      }
      const std::uint64_t id = next_order_id_++;
      live_.insert(id);
      http_reply(201,
                 R"({"symbol":"X","clientOrderId":"c","orderId":)" + std::to_string(id) +
                     R"(,"status":"NEW"})",
                 out);
    } else if (head.rfind("DELETE /api/v1/orders/", 0) == 0) {
      ++stats_.cancels;
      const std::uint64_t id = std::stoull(head.substr(22));
      if (live_.erase(id) == 1) {
        http_reply(200, R"({"orderId":)" + std::to_string(id) + R"(,"status":"CANCELED"})", out);
      } else {
        ++stats_.cancel_unknown;
        http_reply(404, R"({"code":-2013,"msg":"unknown order"})", out);
      }
    } else {
      stats_.bad.push_back(head);
      http_reply(400, "{}", out);
    }
  }

  void on_tcp(const proto::tcp::Frame& f, std::string& out) {
    namespace p = proto::tcp;
    switch (static_cast<p::MsgType>(f.type)) {
      case p::MsgType::Login: {
        p::Login login;
        ++stats_.logins;
        if (!decode(f, login) || login.api_key != behaviour_.api_key) {
          p::encode(p::Rejected{0, 0, f.type, RejectReason::Unauthorized}, out);
          return;
        }
        p::encode(p::LoginAccepted{7}, out);
        p::encode_heartbeat(out);  // unsolicited: must be ignored for matching
        return;
      }
      case p::MsgType::Heartbeat:
        ++stats_.heartbeats;
        return;
      case p::MsgType::EnterOrder: {
        note_request();
        p::EnterOrder m;
        if (!decode(f, m)) {
          stats_.bad.push_back("EnterOrder");
          return;
        }
        ++stats_.orders;
        stats_.client_ids.push_back(m.client_order_id);
        stats_.tcp_symbols.insert(m.symbol);
        const std::uint64_t id = next_order_id_++;
        p::Accepted a;
        a.client_order_id = m.client_order_id;
        a.order_id = id;
        a.symbol = m.symbol;
        a.qty = m.qty;
        a.price = m.price;
        p::encode(a, out);
        if (m.tif == TimeInForce::Gtc) {
          live_.insert(id);
        } else {
          // An IOC "fills" partly and expires: Executed then Canceled(expired) follow.
          p::encode(p::Executed{m.client_order_id, id, 1, m.price, 1, m.qty - 1, 'T'}, out);
          p::encode(p::Canceled{m.client_order_id, id, m.qty - 1, p::CancelReasonCode::Expired},
                    out);
        }
        return;
      }
      case p::MsgType::CancelOrder: {
        note_request();
        p::CancelOrderMsg m;
        decode(f, m);
        ++stats_.cancels;
        if (live_.erase(m.order_id) == 1) {
          p::encode(p::Canceled{0, m.order_id, 1, p::CancelReasonCode::Requested}, out);
        } else {
          ++stats_.cancel_unknown;
          p::encode(p::Rejected{0, m.order_id, f.type, RejectReason::UnknownOrder}, out);
        }
        return;
      }
      default:
        stats_.bad.push_back("type " + std::to_string(f.type));
    }
  }

  FakeBehaviour behaviour_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  FakeStats stats_;
  std::uint64_t requests_ = 0;
  Clock::time_point release_at_{};
  std::uint64_t next_order_id_ = 1000;
  std::set<std::uint64_t> live_;
};

}  // namespace spot::bench::load::testing
