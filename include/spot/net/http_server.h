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
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include "spot/engine/commands.h"

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace spot {

class Metrics;

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
// Turns the engine's reply to a request into its response. Runs on the session's
// strand. A Refused reply never reaches it: the session answers that with
// refusal_response. A render that cannot answer yet (the reply sends it on to the read
// path) calls answer_later() on the request's Responder and returns nullopt: the
// request is then answered through that completion.
using RenderReply = std::function<std::optional<HttpResponse>(Reply&&)>;

struct HttpOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 16 * 1024;
  std::size_t max_connections = 10'000;
  std::size_t max_inflight_per_connection = 64;
  std::size_t max_request_id_bytes = 64;  // a longer X-Request-ID is replaced
  std::int64_t read_timeout_ms = 10'000;  // to receive one whole request, idle included
  std::int64_t write_timeout_ms = 10'000;
};

// A JSON response with the house headers.
HttpResponse json_response(unsigned status, std::string body);
// {"code":code,"msg":msg} with the given HTTP status.
HttpResponse error_response(unsigned status, int code, std::string_view msg);
// The error response for a refused command (429 with Retry-After when rate limited).
HttpResponse refusal_response(const Refused& refused);

// One request's way back to its connection. A handler either answers at once, or
// passes the completion from reply_to() to the gateway: the engine's reply then comes
// back to the session's strand, where `render` turns it into the response. Exactly
// one of the two must happen.
class Responder {
 public:
  struct Line;  // the session's side (http_server.cpp)

  Responder(std::shared_ptr<Line> line, std::size_t slot) : line_(std::move(line)), slot_(slot) {}

  // Names the route template the request matched: its response, whenever and however
  // it is made, is counted under it in spot_http_requests_total (a request never
  // named is not counted). REQUIRES: `name` lives as long as the server (a literal).
  void route(std::string_view name);
  // Answers now. Only on the session's strand, i.e. inside HttpHandler::handle.
  void answer(HttpResponse&& response);
  // The completion for Gateway::submit. It may run on any thread and only hands the
  // reply to the session's strand; `render` runs there (and may call answer_later()).
  ReplyCallback reply_to(RenderReply render);
  // For a response made elsewhere (a handler whose work blocks runs it on a thread of
  // its own): the completion takes the finished response. It may run on any thread and
  // must run exactly once.
  std::function<void(HttpResponse&&)> answer_later();

  // A Responder that does not keep its connection alive: what a render may capture (a
  // render is kept by the connection, so a Responder in it would be a cycle that never
  // frees the connection).
  class Weak {
   public:
    // The Responder, while its connection exists (always, inside its render).
    std::optional<Responder> lock() const {
      if (auto line = line_.lock()) return Responder(std::move(line), slot_);
      return std::nullopt;
    }

   private:
    friend class Responder;
    Weak(std::weak_ptr<Line> line, std::size_t slot) : line_(std::move(line)), slot_(slot) {}
    std::weak_ptr<Line> line_;
    std::size_t slot_;
  };
  Weak weak() const { return Weak(line_, slot_); }

 private:
  std::shared_ptr<Line> line_;
  std::size_t slot_;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called on the session's strand with a complete request and its correlation id.
  virtual void handle(HttpRequest& request, const std::string& request_id, Responder responder) = 0;
};

class HttpServer {
 public:
  // Binds and listens at once; throws boost::system::system_error if it cannot.
  // `metrics` (may be null) counts the responses of named routes; `connections` (may
  // be null) follows the open connections. `draining` tells when new requests get 503
  // and connections close after answering.
  HttpServer(boost::asio::io_context& ioc, HttpOptions options, HttpHandler& handler,
             Metrics* metrics, prometheus::Gauge* connections, std::function<bool()> draining);
  ~HttpServer();

  std::uint16_t port() const { return port_; }
  // Counts the connections closed to make room at the limit (Listener; may be null).
  void set_evicted_counter(prometheus::Counter* evicted);
  void start();
  // Stops accepting. Open sessions finish what they have and close.
  void stop();

  struct State;  // shared with the sessions

 private:
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

}  // namespace spot
