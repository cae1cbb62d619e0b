#include "bench/load/null_server.h"

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "spot/proto/tcp.h"

namespace spot::bench::load {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::size_t kReadChunk = 64 * 1024;

// The symbols of config/spotd.toml, as spotd's exchangeInfo lists them.
constexpr std::string_view kExchangeInfo =
    R"({"symbols":[)"
    R"({"index":0,"lotSize":"0.001","symbol":"BTC-USDT","tickSize":"0.01"},)"
    R"({"index":1,"lotSize":"0.001","symbol":"ETH-USDT","tickSize":"0.01"},)"
    R"({"index":2,"lotSize":"0.001","symbol":"SOL-USDT","tickSize":"0.01"},)"
    R"({"index":3,"lotSize":"0.001","symbol":"XRP-USDT","tickSize":"0.01"},)"
    R"({"index":4,"lotSize":"0.001","symbol":"ADA-USDT","tickSize":"0.01"},)"
    R"({"index":5,"lotSize":"0.001","symbol":"DOGE-USDT","tickSize":"0.01"},)"
    R"({"index":6,"lotSize":"0.001","symbol":"DOT-USDT","tickSize":"0.01"},)"
    R"({"index":7,"lotSize":"0.001","symbol":"LTC-USDT","tickSize":"0.01"}]})";

// The body of spotd's 201 to a resting LIMIT order, cut at the order id (the generator
// reads the id, so the id is the one thing that varies).
constexpr std::string_view kOrderBodyHead =
    R"({"clientOrderId":"w1","executedQty":"0.000","fills":[],"orderId":)";
constexpr std::string_view kOrderBodyTail =
    R"(,"origQty":"0.500","price":"100.25","side":"BUY","status":"NEW","symbol":"BTC-USDT",)"
    R"("timeInForce":"GTC","type":"LIMIT"})";
constexpr std::string_view kCancelBodyHead =
    R"({"clientOrderId":"w1","executedQty":"0.000","orderId":)";
constexpr std::string_view kCancelBodyTail =
    R"(,"origQty":"0.500","price":"100.25","side":"BUY","status":"CANCELED",)"
    R"("symbol":"BTC-USDT","timeInForce":"GTC","type":"LIMIT"})";

struct Shared {
  NullServerOptions options;
  std::atomic<std::uint64_t> next_order_id{1};
  std::atomic<std::uint64_t> answered{0};
  std::atomic<std::size_t> connections{0};
};

void append_number(std::string& out, std::uint64_t n) {
  std::array<char, 24> digits{};
  const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), n);
  out.append(digits.data(), r.ptr);
}

void http_reply(std::string& out, std::string_view status_line, std::string_view head,
                std::uint64_t id, std::string_view tail) {
  out += status_line;
  out += "Content-Type: application/json\r\nContent-Length: ";
  std::string body;
  body.reserve(head.size() + 20 + tail.size());
  body += head;
  if (!tail.empty()) {
    append_number(body, id);
    body += tail;
  }
  append_number(out, body.size());
  out += "\r\n\r\n";
  out += body;
}

bool iequals_prefix(std::string_view line, std::string_view lower_prefix) {
  if (line.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    const char c = line[i] >= 'A' && line[i] <= 'Z' ? static_cast<char>(line[i] + 32) : line[i];
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

// The Content-Length of a request head (0 when absent); nullopt when malformed.
std::optional<std::size_t> content_length(std::string_view head) {
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos) {
    const std::size_t start = at + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (iequals_prefix(line, "content-length:")) {
      std::string_view value = line.substr(15);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      std::size_t n = 0;
      const auto r = std::from_chars(value.data(), value.data() + value.size(), n);
      if (r.ec != std::errc{} || r.ptr != value.data() + value.size()) return std::nullopt;
      return n;
    }
    at = end;
  }
  return 0;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Shared& shared, tcp::socket socket, bool binary)
      : shared_(shared),
        socket_(std::move(socket)),
        binary_(binary),
        // Room for one whole request beside a partial one: a request over the limit is
        // refused before the buffer fills.
        in_(std::max(kReadChunk, 2 * shared.options.max_request_bytes)) {
    ++shared_.connections;
  }
  ~Session() { --shared_.connections; }

  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(
        asio::buffer(in_.data() + used_, in_.size() - used_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec) return;
          self->used_ += n;
          const bool keep = self->binary_ ? self->answer_frames() : self->answer_requests();
          self->write(keep);
        });
  }

  // Answers every whole request in the buffer; false when the connection must close.
  bool answer_requests() {
    const std::string_view data(in_.data(), used_);
    std::size_t at = 0;
    bool keep = true;
    while (keep) {
      const std::size_t end = data.find("\r\n\r\n", at);
      if (end == std::string_view::npos) {
        if (used_ - at > shared_.options.max_request_bytes) keep = refuse();
        break;
      }
      const std::string_view head = data.substr(at, end - at);
      const auto length = content_length(head);
      if (!length) {
        out_ += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        keep = false;
        break;
      }
      const std::size_t total = end + 4 - at + *length;
      if (total > shared_.options.max_request_bytes) {
        keep = refuse();
        break;
      }
      if (data.size() - at < total) break;
      answer(head);
      at += total;
    }
    consume(at);
    return keep;
  }

  bool refuse() {
    out_ += "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    return false;
  }

  void answer(std::string_view head) {
    if (head.starts_with("POST /api/v1/orders ")) {
      shared_.answered.fetch_add(1, std::memory_order_relaxed);
      http_reply(out_, "HTTP/1.1 201 Created\r\n", kOrderBodyHead,
                 shared_.next_order_id.fetch_add(1, std::memory_order_relaxed), kOrderBodyTail);
    } else if (head.starts_with("DELETE /api/v1/orders/")) {
      shared_.answered.fetch_add(1, std::memory_order_relaxed);
      std::uint64_t id = 0;
      const std::string_view rest = head.substr(22);
      std::from_chars(rest.data(), rest.data() + rest.size(), id);
      http_reply(out_, "HTTP/1.1 200 OK\r\n", kCancelBodyHead, id, kCancelBodyTail);
    } else if (head.starts_with("GET /api/v1/exchangeInfo")) {
      http_reply(out_, "HTTP/1.1 200 OK\r\n", kExchangeInfo, 0, {});
    } else {
      http_reply(out_, "HTTP/1.1 404 Not Found\r\n", R"({"code":-1,"msg":"null server"})", 0, {});
    }
  }

  // Answers every whole frame in the buffer; false when the connection must close.
  bool answer_frames() {
    namespace p = proto::tcp;
    const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(in_.data()),
                                             used_);
    std::size_t at = 0;
    bool keep = true;
    while (keep) {
      p::Frame f;
      const p::FrameStatus status =
          p::next_frame(data.subspan(at), shared_.options.max_frame_bytes, f);
      if (status == p::FrameStatus::NeedMore) break;
      if (status == p::FrameStatus::BadLength) {
        keep = false;
        break;
      }
      at += f.frame_bytes;
      switch (static_cast<p::MsgType>(f.type)) {
        case p::MsgType::Login:
          p::encode(p::LoginAccepted{1}, out_);
          break;
        case p::MsgType::EnterOrder: {
          p::EnterOrder m;
          if (!p::decode(f, m)) {
            p::encode(p::Rejected{0, 0, f.type, RejectReason::BadRequest}, out_);
            break;
          }
          p::Accepted a;
          a.client_order_id = m.client_order_id;
          a.order_id = shared_.next_order_id.fetch_add(1, std::memory_order_relaxed);
          a.symbol = m.symbol;
          a.side = m.side;
          a.type = m.type;
          a.tif = m.tif;
          a.price = m.price;
          a.qty = m.qty;
          p::encode(a, out_);
          shared_.answered.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        case p::MsgType::CancelOrder: {
          p::CancelOrderMsg m;
          p::decode(f, m);
          p::encode(p::Canceled{0, m.order_id, 0, p::CancelReasonCode::Requested}, out_);
          shared_.answered.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        case p::MsgType::Heartbeat:
          break;
        default:
          p::encode(p::Rejected{0, 0, f.type, RejectReason::BadRequest}, out_);
      }
    }
    consume(at);
    return keep;
  }

  void consume(std::size_t n) {
    std::copy(in_.begin() + static_cast<std::ptrdiff_t>(n),
              in_.begin() + static_cast<std::ptrdiff_t>(used_), in_.begin());
    used_ -= n;
  }

  // Sends what the read produced, then reads again (or closes).
  void write(bool keep) {
    if (out_.empty()) {
      if (keep) read();
      return;
    }
    sending_.swap(out_);
    out_.clear();
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this(), keep](boost::system::error_code ec, std::size_t) {
                        self->sending_.clear();
                        if (ec) return;
                        if (keep) {
                          self->read();
                        } else {
                          boost::system::error_code ignored;
                          self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                        }
                      });
  }

  Shared& shared_;
  tcp::socket socket_;
  bool binary_;
  std::vector<char> in_;  // fixed size; [0, used_) holds what is not answered yet
  std::size_t used_ = 0;
  std::string out_, sending_;
};

void accept(Shared& shared, tcp::acceptor& acceptor, bool binary) {
  acceptor.async_accept(
      [&shared, &acceptor, binary](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          if (shared.connections.load() >= shared.options.max_connections) {
            socket.close(ec);  // over the limit: refused by closing
          } else {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(shared, std::move(socket), binary)->start();
          }
        }
        accept(shared, acceptor, binary);
      });
}

}  // namespace

std::string validate_options(const NullServerOptions& o) {
  if (o.threads < 1 || o.threads > 64) return "threads must be 1..64";
  if (o.duration_s < 0 || o.duration_s > 86'400) return "duration must be 0..86400 s";
  if (o.max_connections < 1 || o.max_connections > 1'000'000) {
    return "max connections must be 1..1000000";
  }
  if (o.max_request_bytes < 1024 || o.max_request_bytes > (64u << 20)) {
    return "max request bytes must be 1 KiB..64 MiB";
  }
  if (o.max_frame_bytes < 8 || o.max_frame_bytes > 65535) return "max frame bytes must be 8..65535";
  return {};
}

int run_null_server(const NullServerOptions& options) {
  if (const std::string problem = validate_options(options); !problem.empty()) {
    std::fprintf(stderr, "spot-bench null-server: %s\n", problem.c_str());
    return 2;
  }
  Shared shared;
  shared.options = options;
  asio::io_context io(options.threads);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    std::fprintf(stderr, "spot-bench null-server: bad host %s\n", options.host.c_str());
    return 2;
  }
  std::optional<tcp::acceptor> http, binary;
  try {
    http.emplace(io, tcp::endpoint(address, options.http_port));
    binary.emplace(io, tcp::endpoint(address, options.tcp_port));
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "spot-bench null-server: cannot listen: %s\n", e.what());
    return 1;
  }
  const std::uint16_t http_port = http->local_endpoint().port();
  const std::uint16_t tcp_port = binary->local_endpoint().port();
  accept(shared, *http, false);
  accept(shared, *binary, true);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
  asio::steady_timer timer(io);
  if (options.duration_s > 0) {
    timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(options.duration_s)));
    timer.async_wait([&io](boost::system::error_code e) {
      if (!e) io.stop();
    });
  }
  if (!options.ports_file.empty()) {
    std::ofstream(options.ports_file)
        << R"({"http":)" << http_port << R"(,"tcp":)" << tcp_port << "}\n";
  }
  std::printf("{\"mode\":\"null-server\",\"http_port\":%u,\"tcp_port\":%u}\n", http_port, tcp_port);
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (int i = 1; i < options.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  std::printf("{\"mode\":\"null-server\",\"answered\":%llu}\n",
              static_cast<unsigned long long>(shared.answered.load()));
  return 0;
}

}  // namespace spot::bench::load
