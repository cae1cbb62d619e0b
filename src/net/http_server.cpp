#include "spot/net/http_server.h"

#include <cmath>
#include <deque>
#include <optional>

#include <prometheus/gauge.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include "spot/gateway/correlation.h"
#include "spot/log/log.h"
#include "spot/metrics/metrics.h"
#include "spot/net/cross_thread_post.h"
#include "spot/net/listener.h"
#include "spot/net/reply_inbox.h"
#include "spot/proto/http_json.h"

namespace spot {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpResponse json_response(unsigned status, std::string body) {
  HttpResponse res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

HttpResponse error_response(unsigned status, int code, std::string_view msg) {
  return json_response(status, proto::http::error_json(code, msg));
}

HttpResponse refusal_response(const Refused& refused) {
  const proto::http::Error e = proto::http::error_for(refused);
  HttpResponse res = error_response(e.status, e.code, e.msg);
  if (refused.reason == RejectReason::RateLimited) {
    res.set(http::field::retry_after,
            std::to_string(static_cast<long>(std::ceil(refused.retry_after_s))));
  }
  return res;
}

struct HttpServer::State {
  State(HttpOptions o, HttpHandler& h, Metrics* m, std::function<bool()> d)
      : options(std::move(o)), handler(h), metrics(m), draining(std::move(d)) {}

  HttpOptions options;
  HttpHandler& handler;
  Metrics* metrics;
  std::function<bool()> draining;
  std::unique_ptr<Listener> listener;
};

// The session's side of a Responder: its line of pending responses.
struct Responder::Line {
  virtual ~Line() = default;
  virtual void route(std::size_t slot, std::string_view name) = 0;
  virtual void answer(std::size_t slot, HttpResponse&& response) = 0;
  virtual void expect(std::size_t slot, RenderReply render) = 0;
  virtual void deliver(std::size_t slot, Reply&& reply) = 0;
};

void Responder::route(std::string_view name) { line_->route(slot_, name); }

void Responder::answer(HttpResponse&& response) { line_->answer(slot_, std::move(response)); }

ReplyCallback Responder::reply_to(RenderReply render) {
  line_->expect(slot_, std::move(render));
  return [line = line_, slot = slot_](Reply&& reply) { line->deliver(slot, std::move(reply)); };
}

std::function<void(HttpResponse&&)> Responder::answer_later() {
  // The response travels as the "reply" of a render that only hands it over; the
  // strand's post after it is written orders the two.
  auto box = std::make_shared<HttpResponse>();
  line_->expect(slot_, [box](Reply&&) { return std::move(*box); });
  return [line = line_, slot = slot_, box](HttpResponse&& response) {
    *box = std::move(response);
    line->deliver(slot, Reply{StateReply{}});
  };
}

namespace {

class Session : public Responder::Line, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<HttpServer::State> server, Listener::Slot slot)
      : stream_(std::move(socket)), server_(std::move(server)), slot_(std::move(slot)) {}

  void run() {
    // Idle while it waits for a request with nothing in flight: the listener may close
    // it then to make room at its limit.
    slot_.evictable([weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        asio::post(self->stream_.get_executor(), [self] {
          log::debug("http connection closed to make room at the connection limit");
          self->close();
        });
      }
    });
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

  // Responder::Line. route(), answer() and expect() run on the strand (inside handle()).
  void route(std::size_t slot, std::string_view name) override { at(slot).route = name; }

  void answer(std::size_t slot, HttpResponse&& response) override {
    finish(at(slot), std::move(response));
    do_write();
  }

  void expect(std::size_t slot, RenderReply render) override {
    at(slot).render = std::move(render);
  }

  // From the journal (or matching) thread: only hands the reply to the strand.
  void deliver(std::size_t slot, Reply&& reply) override {
    if (inbox_.push(Delivery{slot, std::move(reply)})) {
      // Once per group commit: no heap allocation.
      post_across_threads(stream_.get_executor(),
                          [self = shared_from_this()] { self->on_replies(); });
    }
  }

 private:
  // One request's place in the line of responses, written in request order.
  struct Slot {
    std::optional<HttpResponse> response;
    RenderReply render;
    std::string_view route;  // empty: not counted
    std::string request_id;
    unsigned version = 11;
    bool keep_alive = true;
  };
  struct Delivery {
    std::size_t slot;
    Reply reply;
  };

  const HttpOptions& options() const { return server_->options; }

  Slot& at(std::size_t slot) { return pending_[slot - first_slot_]; }

  std::size_t add_slot(std::string request_id, unsigned version, bool keep_alive) {
    pending_.push_back(Slot{std::nullopt, {}, {}, std::move(request_id), version, keep_alive});
    return first_slot_ + pending_.size() - 1;
  }

  void finish(Slot& slot, HttpResponse&& res) {
    if (!slot.route.empty() && server_->metrics != nullptr) {
      server_->metrics->http_request(std::string(slot.route), res.result_int());
    }
    res.version(slot.version);
    res.set("X-Request-ID", slot.request_id);
    res.keep_alive(slot.keep_alive && !server_->draining());
    res.prepare_payload();
    slot.response = std::move(res);
  }

  // Renders, on the strand, every reply the inbox holds, then writes what is ready.
  void on_replies() {
    inbox_.take(taken_);
    for (Delivery& d : taken_) {
      const auto* refused = std::get_if<Refused>(&d.reply);
      RenderReply render = std::move(at(d.slot).render);
      at(d.slot).render = nullptr;
      std::optional<HttpResponse> response =
          refused != nullptr ? refusal_response(*refused) : render(std::move(d.reply));
      // nullopt: the render called answer_later(), which armed the slot again.
      if (response) finish(at(d.slot), std::move(*response));
    }
    taken_.clear();
    do_write();
  }

  void do_read() {
    if (reading_ || read_closed_ || pending_.size() >= options().max_inflight_per_connection) {
      return;
    }
    reading_ = true;
    if (pending_.empty()) slot_.idle();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(options().read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    reading_ = false;
    slot_.busy();
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      read_closed_ = true;
      close_if_done();
      return;
    }
    if (ec == beast::error::timeout) {
      // Idle or too slow (slowloris): drop the connection, answered or not.
      log::debug("http read timeout, closing connection");
      return close();
    }
    if (ec == http::error::header_limit)
      return fail_request(431, -1100, "request headers too large");
    if (ec == http::error::body_limit) return fail_request(413, -1100, "request body too large");
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category() ||
          ec == http::error::partial_message) {
        return fail_request(400, -1100, "malformed HTTP request: " + ec.message());
      }
      return close();
    }

    HttpRequest request = parser_->release();
    const bool keep_alive = request.keep_alive();
    if (!keep_alive) read_closed_ = true;
    std::string request_id =
        correlation_id(request["X-Request-ID"], options().max_request_id_bytes);
    const std::size_t slot = add_slot(request_id, request.version(), keep_alive);
    if (server_->draining()) {
      read_closed_ = true;
      answer(slot, error_response(503, -1016, "server is shutting down"));
    } else {
      server_->handler.handle(request, request_id, Responder(shared_from_this(), slot));
    }
    do_read();
  }

  // Answers a request that could not be parsed, then closes: after a framing error
  // the rest of the stream cannot be trusted.
  void fail_request(unsigned status, int code, const std::string& msg) {
    read_closed_ = true;
    const std::size_t slot = add_slot(correlation_id({}), 11, false);
    answer(slot, error_response(status, code, msg));
  }

  // Writes every response that is ready at the front of the line in one send. With
  // pipelining and group commit, several replies of a connection become ready at once
  // (one fsync covers them); one write for all of them instead of one each saves a
  // system call and a handler per reply, and the kernel dominates this path.
  void do_write() {
    if (writing_ || pending_.empty() || !pending_.front().response) return;
    writing_ = true;
    out_.clear();
    writing_count_ = 0;
    writing_eof_ = false;
    {
      auto os = beast::ostream(out_);
      for (const Slot& slot : pending_) {
        if (!slot.response) break;
        os << *slot.response;
        ++writing_count_;
        if (slot.response->need_eof()) {
          writing_eof_ = true;  // nothing may follow a response that closes
          break;
        }
      }
    }
    stream_.expires_after(std::chrono::milliseconds(options().write_timeout_ms));
    asio::async_write(stream_, out_.data(),
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return close();
    for (std::size_t i = 0; i < writing_count_; ++i) {
      pending_.pop_front();
      ++first_slot_;
    }
    // Everything answered, the next request awaited (its read began while these were in
    // flight): idle from now.
    if (pending_.empty() && reading_) slot_.idle();
    if (writing_eof_) {
      read_closed_ = true;
      return close();
    }
    do_write();
    do_read();
    close_if_done();
  }

  void close_if_done() {
    if (read_closed_ && pending_.empty() && !writing_) close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpServer::State> server_;
  Listener::Slot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<Slot> pending_;
  std::size_t first_slot_ = 0;  // the number of pending_.front()
  ReplyInbox<Delivery> inbox_;
  std::vector<Delivery> taken_;  // what on_replies took from inbox_, reused
  beast::flat_buffer out_;       // the responses being written
  std::size_t writing_count_ = 0;
  bool writing_eof_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool read_closed_ = false;
  bool closed_ = false;
};

// Answers one canned response and closes; for connections over the limit.
void refuse(tcp::socket socket) {
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  static const std::string kResponse = [] {
    const std::string body = R"({"code":-1016,"msg":"too many connections"})";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Connection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  asio::async_write(*sock, asio::buffer(kResponse), [sock](beast::error_code, std::size_t) {
    beast::error_code ignored;
    sock->shutdown(tcp::socket::shutdown_both, ignored);
    sock->close(ignored);
  });
}

}  // namespace

HttpServer::HttpServer(asio::io_context& ioc, HttpOptions options, HttpHandler& handler,
                       Metrics* metrics, prometheus::Gauge* connections,
                       std::function<bool()> draining)
    : state_(std::make_shared<State>(std::move(options), handler, metrics, std::move(draining))) {
  const HttpOptions& o = state_->options;
  state_->listener = std::make_unique<Listener>(
      ioc, o.address, o.port, o.max_connections, connections, "http",
      [weak = std::weak_ptr<State>(state_)](tcp::socket socket, Listener::Slot slot) {
        if (auto server = weak.lock()) {
          std::make_shared<Session>(std::move(socket), server, std::move(slot))->run();
        }
      },
      [](tcp::socket socket) { refuse(std::move(socket)); });
  port_ = state_->listener->port();
}

HttpServer::~HttpServer() = default;

void HttpServer::set_evicted_counter(prometheus::Counter* evicted) {
  state_->listener->set_evicted_counter(evicted);
}

void HttpServer::start() { state_->listener->start(); }

void HttpServer::stop() { state_->listener->stop(); }

}  // namespace spot
