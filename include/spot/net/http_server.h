// HttpServer: a Beast HTTP/1.1 listener and its sessions, shared by the trader API and
// the admin listener. Each session reads like the Beast async examples (do_read /
// on_read, do_write / on_write, every error_code checked where it arrives), runs on
// its own strand, keeps the connection alive, and pipelines: it reads the next
// request while earlier ones are being answered (up to max_inflight) and writes the
// responses in request order.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

namespace prometheus {
class Gauge;
}

namespace spot {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
// Hands a response back to its session. May be called from any thread, exactly once.
using Respond = std::function<void(HttpResponse&&)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called on the session's strand with a complete request and its correlation id.
  virtual void handle(HttpRequest& request, const std::string& request_id, Respond respond) = 0;
};

struct HttpLimits {
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 16 * 1024;
  std::size_t max_connections = 10'000;
  std::size_t max_inflight_per_connection = 64;
  std::int64_t read_timeout_ms = 10'000;
  std::int64_t write_timeout_ms = 10'000;
};

// A JSON response with the house headers.
HttpResponse json_response(unsigned status, std::string body);
// {"code":code,"msg":msg} with the given HTTP status.
HttpResponse error_response(unsigned status, int code, std::string_view msg);

class HttpServer {
 public:
  // Binds and listens at once; throws boost::system::system_error if it cannot.
  HttpServer(boost::asio::io_context& ioc, const std::string& address, std::uint16_t port,
             HttpLimits limits, HttpHandler& handler, prometheus::Gauge* connections,
             std::function<bool()> draining);
  ~HttpServer();

  std::uint16_t port() const { return port_; }
  void start();
  // Stops accepting. Open sessions finish what they have and close.
  void stop();

  struct State;  // shared with the sessions

 private:
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

}  // namespace spot
