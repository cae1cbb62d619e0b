#include "spot/net/tcp_server.h"

#include <deque>
#include <map>
#include <mutex>

#include <prometheus/gauge.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "spot/metrics/metrics.h"
#include "spot/net/listener.h"
#include "spot/net/log.h"
#include "spot/proto/tcp.h"

namespace spot {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
namespace wire = proto::tcp;

class TcpSession;

struct TcpServer::State {
  State(const Config::Tcp& c, Intake& in, const Matcher& s) : config(c), intake(in), symbols(s) {}

  void add_session(AccountId account, const std::shared_ptr<TcpSession>& session);

  Config::Tcp config;
  Intake& intake;
  const Matcher& symbols;
  std::unique_ptr<Listener> listener;
  std::mutex sessions_mutex;
  std::multimap<std::uint64_t, std::weak_ptr<TcpSession>> sessions_by_account;
};

namespace {

wire::OrderStatusCode status_code(OrderStatus s) {
  switch (s) {
    case OrderStatus::New:
      return wire::OrderStatusCode::New;
    case OrderStatus::PartiallyFilled:
      return wire::OrderStatusCode::PartiallyFilled;
    case OrderStatus::Filled:
      return wire::OrderStatusCode::Filled;
    case OrderStatus::Canceled:
      return wire::OrderStatusCode::Canceled;
    default:
      return wire::OrderStatusCode::Expired;
  }
}

std::string render_order_reply(const OrderReply& reply, std::uint64_t client_token) {
  std::string out;
  if (reply.reject != RejectReason::None) {
    wire::encode(wire::Rejected{client_token, 0, static_cast<std::uint8_t>('O'), reply.reject},
                 out);
    return out;
  }
  const OrderRecord& o = reply.order;
  wire::encode(wire::Accepted{o.client_token, o.id.value, o.symbol, o.side, o.type, o.tif,
                              status_code(o.status), o.price, o.qty, o.executed},
               out);
  if (reply.replayed) return out;
  for (const Fill& f : reply.fills) {
    wire::encode(
        wire::Executed{o.client_token, o.id.value, f.trade_id.value, f.price, f.qty, f.leaves, 'T'},
        out);
  }
  if (o.status == OrderStatus::Expired) {
    wire::encode(wire::Canceled{o.client_token, o.id.value, o.qty - o.executed,
                                wire::CancelReasonCode::Expired},
                 out);
  }
  return out;
}

}  // namespace

class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(tcp::socket&& socket, std::shared_ptr<TcpServer::State> server, Listener::Slot slot)
      : socket_(std::move(socket)),
        server_(std::move(server)),
        slot_(std::move(slot)),
        login_timer_(socket_.get_executor()),
        idle_timer_(socket_.get_executor()),
        heartbeat_timer_(socket_.get_executor()) {
    inbuf_.resize(std::max<std::size_t>(4096, server_->config.max_frame_bytes * 16));
  }

  void run() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->arm_login_timer();
      self->arm_idle_timer();
      self->arm_heartbeat();
      self->do_read();
    });
  }

  // Appends a server-initiated message after everything already queued.
  void push_unsolicited(std::string bytes) {
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), bytes = std::move(bytes)]() mutable {
                 auto slot = std::make_shared<Slot>();
                 slot->bytes = std::move(bytes);
                 slot->ready = true;
                 self->pending_.push_back(slot);
                 self->flush();
               });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    login_timer_.cancel();
    idle_timer_.cancel();
    heartbeat_timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  struct Slot {
    std::string bytes;
    bool ready = false;
  };

  const Config::Tcp& config() const { return server_->config; }

  void arm_login_timer() {
    login_timer_.expires_after(std::chrono::milliseconds(config().login_timeout_ms));
    login_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && !self->account_.valid()) {
        log::debug("tcp login timeout");
        self->close();
      }
    });
  }

  void arm_idle_timer() {
    idle_timer_.expires_after(std::chrono::milliseconds(config().idle_timeout_ms));
    idle_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) {
        log::debug("tcp idle timeout");
        self->close();
      }
    });
  }

  void arm_heartbeat() {
    heartbeat_timer_.expires_after(std::chrono::milliseconds(config().heartbeat_interval_ms));
    heartbeat_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->closed_) return;
      if (!self->sent_since_heartbeat_ && self->account_.valid()) {
        std::string hb;
        wire::encode_heartbeat(hb);
        self->enqueue_ready(std::move(hb));
      }
      self->sent_since_heartbeat_ = false;
      self->arm_heartbeat();
    });
  }

  void do_read() {
    // Not while on_read is still parsing the buffer the next read would write into.
    if (reading_ || parsing_ || closed_ || read_closed_ ||
        pending_.size() >= config().max_inflight_per_connection) {
      return;
    }
    if (inbuf_used_ == inbuf_.size()) return;  // cannot happen: frames are bounded
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(inbuf_.data() + inbuf_used_, inbuf_.size() - inbuf_used_),
        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, std::size_t n) {
    reading_ = false;
    if (ec) {
      read_closed_ = true;
      if (pending_.empty() || ec != asio::error::eof) close();
      return;
    }
    inbuf_used_ += n;
    arm_idle_timer();
    parsing_ = true;
    std::size_t offset = 0;
    while (!read_closed_) {
      wire::Frame frame;
      const auto data = std::span<const std::uint8_t>(inbuf_.data() + offset, inbuf_used_ - offset);
      const auto status = wire::next_frame(data, config().max_frame_bytes, frame);
      if (status == wire::FrameStatus::NeedMore) break;
      if (status == wire::FrameStatus::BadLength) {
        protocol_error(data.size() >= 3 ? data[2] : 0, "bad frame length");
        break;
      }
      offset += frame.frame_bytes;
      handle(frame);
    }
    std::memmove(inbuf_.data(), inbuf_.data() + offset, inbuf_used_ - offset);
    inbuf_used_ -= offset;
    parsing_ = false;
    do_read();
  }

  // A framing error: reject, send what is queued, close. The stream cannot be trusted.
  void protocol_error(std::uint8_t type, const char* why) {
    log::info("tcp protocol error", {}, {{"detail", why}});
    std::string out;
    wire::encode(wire::Rejected{0, 0, type, RejectReason::BadRequest}, out);
    enqueue_ready(std::move(out));
    read_closed_ = true;
    close_after_flush_ = true;
    flush();
  }

  void reject(std::uint8_t type, RejectReason reason, std::uint64_t client_token = 0,
              std::uint64_t order_id = 0) {
    std::string out;
    wire::encode(wire::Rejected{client_token, order_id, type, reason}, out);
    enqueue_ready(std::move(out));
  }

  void handle(const wire::Frame& frame) {
    const auto expected = wire::payload_size(frame.type);
    if (!expected) return reject(frame.type, RejectReason::BadRequest);
    if (*expected != frame.payload.size()) return protocol_error(frame.type, "wrong size for type");
    switch (static_cast<wire::MsgType>(frame.type)) {
      case wire::MsgType::Heartbeat:
        return;
      case wire::MsgType::Login: {
        wire::Login login;
        wire::decode(frame, login);
        return on_login(login);
      }
      case wire::MsgType::EnterOrder: {
        if (!account_.valid()) return reject(frame.type, RejectReason::Unauthorized);
        wire::EnterOrder order;
        if (!wire::decode(frame, order)) return reject(frame.type, RejectReason::BadRequest);
        return on_enter(order);
      }
      case wire::MsgType::CancelOrder: {
        if (!account_.valid()) return reject(frame.type, RejectReason::Unauthorized);
        wire::CancelOrderMsg cancel;
        wire::decode(frame, cancel);
        return on_cancel(cancel);
      }
      default:
        return reject(frame.type, RejectReason::BadRequest);  // a server message type
    }
  }

  void on_login(const wire::Login& login) {
    if (account_.valid()) return reject('L', RejectReason::BadRequest);
    const auto account = server_->intake.accounts().find_by_key(login.api_key);
    if (!account) {
      log::info("tcp login rejected");
      std::string out;
      wire::encode(wire::Rejected{0, 0, 'L', RejectReason::Unauthorized}, out);
      enqueue_ready(std::move(out));
      read_closed_ = true;
      close_after_flush_ = true;
      flush();
      return;
    }
    account_ = *account;
    login_timer_.cancel();
    server_->add_session(account_, shared_from_this());
    std::string out;
    wire::encode(wire::LoginAccepted{account_.value}, out);
    enqueue_ready(std::move(out));
  }

  bool admit(std::uint8_t type, std::uint64_t client_token, std::uint64_t order_id) {
    Intake& intake = server_->intake;
    if (!intake.ready()) {
      reject(type, RejectReason::NotReady, client_token, order_id);
      return false;
    }
    if (!intake.limiter().allow(account_)) {
      intake.metrics().order_rejected(RejectReason::RateLimited);
      reject(type, RejectReason::RateLimited, client_token, order_id);
      return false;
    }
    return true;
  }

  void submit(CommandBody body, std::uint8_t type, std::uint64_t client_token,
              std::uint64_t order_id, std::function<std::string(Reply&&)> render) {
    auto slot = std::make_shared<Slot>();
    Command command;
    command.body = std::move(body);
    command.request_id = correlation_id({});
    command.received_ns = server_->intake.clock().monotonic_ns();
    Intake* intake = &server_->intake;
    command.done = [self = shared_from_this(), slot, intake,
                    render = std::move(render)](Reply&& r) {
      std::string bytes = render(std::move(r));
      asio::post(self->socket_.get_executor(), [self, slot, bytes = std::move(bytes)]() mutable {
        slot->bytes = std::move(bytes);
        slot->ready = true;
        self->flush();
      });
      intake->reply_delivered();
    };
    pending_.push_back(slot);
    if (!server_->intake.push(command)) {
      server_->intake.metrics().order_rejected(RejectReason::Overloaded);
      wire::encode(wire::Rejected{client_token, order_id, type, RejectReason::Overloaded},
                   slot->bytes);
      slot->ready = true;
      flush();
    }
  }

  void on_enter(const wire::EnterOrder& m) {
    server_->intake.metrics().order_received();
    if (!admit('O', m.client_order_id, 0)) return;
    if (m.symbol >= server_->symbols.symbol_count()) {
      return reject('O', RejectReason::UnknownSymbol, m.client_order_id);
    }
    SubmitOrder order;
    order.account = account_;
    order.symbol = m.symbol;
    order.side = m.side;
    order.type = m.type;
    order.tif = m.tif;
    order.price = m.price;
    order.qty = m.qty;
    order.client_token = m.client_order_id;
    const std::uint64_t token = m.client_order_id;
    submit(order, 'O', token, 0,
           [token](Reply&& r) { return render_order_reply(std::get<OrderReply>(r), token); });
  }

  void on_cancel(const wire::CancelOrderMsg& m) {
    if (!admit('X', 0, m.order_id)) return;
    const std::uint64_t id = m.order_id;
    submit(CancelRequest{account_, OrderId{id}}, 'X', 0, id, [id](Reply&& r) {
      const auto& reply = std::get<OrderReply>(r);
      std::string out;
      if (reply.reject != RejectReason::None) {
        const RejectReason reason =
            reply.reject == RejectReason::NotOwner ? RejectReason::UnknownOrder : reply.reject;
        wire::encode(wire::Rejected{0, id, static_cast<std::uint8_t>('X'), reason}, out);
      } else {
        const OrderRecord& o = reply.order;
        wire::encode(wire::Canceled{o.client_token, o.id.value, o.qty - o.executed,
                                    wire::CancelReasonCode::Requested},
                     out);
      }
      return out;
    });
  }

  void enqueue_ready(std::string bytes) {
    auto slot = std::make_shared<Slot>();
    slot->bytes = std::move(bytes);
    slot->ready = true;
    pending_.push_back(slot);
    flush();
  }

  // Moves the ready prefix of pending_ to the outbound buffer and writes it.
  void flush() {
    if (closed_) return;
    while (!pending_.empty() && pending_.front()->ready) {
      outbuf_ += pending_.front()->bytes;
      pending_.pop_front();
    }
    if (outbuf_.size() > config().max_outbound_bytes) {
      log::warn("tcp client too slow to read its replies, disconnecting", {},
                {{"queued_bytes", std::to_string(outbuf_.size())}});
      return close();
    }
    do_write();
    do_read();  // reading may have paused at the in-flight limit
  }

  void do_write() {
    if (writing_ || closed_) return;
    if (outbuf_.empty()) {
      if (close_after_flush_ && pending_.empty()) close();
      return;
    }
    writing_ = true;
    sent_since_heartbeat_ = true;
    writebuf_.swap(outbuf_);
    outbuf_.clear();
    asio::async_write(socket_, asio::buffer(writebuf_),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->close();
                        self->writebuf_.clear();
                        self->do_write();
                        if (self->read_closed_ && self->pending_.empty() && self->outbuf_.empty() &&
                            !self->writing_) {
                          self->close();
                        }
                      });
  }

  tcp::socket socket_;
  std::shared_ptr<TcpServer::State> server_;
  Listener::Slot slot_;
  asio::steady_timer login_timer_;
  asio::steady_timer idle_timer_;
  asio::steady_timer heartbeat_timer_;
  std::vector<std::uint8_t> inbuf_;
  std::size_t inbuf_used_ = 0;
  std::deque<std::shared_ptr<Slot>> pending_;
  std::string outbuf_;
  std::string writebuf_;
  AccountId account_;
  bool reading_ = false;
  bool parsing_ = false;
  bool writing_ = false;
  bool read_closed_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
  bool sent_since_heartbeat_ = false;
};

void TcpServer::State::add_session(AccountId account, const std::shared_ptr<TcpSession>& session) {
  std::lock_guard<std::mutex> lock(sessions_mutex);
  // Drop entries of closed sessions of this account while we are here.
  auto range = sessions_by_account.equal_range(account.value);
  for (auto it = range.first; it != range.second;) {
    it = it->second.expired() ? sessions_by_account.erase(it) : std::next(it);
  }
  sessions_by_account.emplace(account.value, session);
}

TcpServer::TcpServer(asio::io_context& ioc, const Config::Tcp& config, Intake& intake,
                     const Matcher& symbols, prometheus::Gauge* connections)
    : state_(std::make_shared<State>(config, intake, symbols)) {
  state_->listener = std::make_unique<Listener>(
      ioc, config.address, config.port, config.max_connections, connections, "tcp",
      [weak = std::weak_ptr<State>(state_)](tcp::socket socket, Listener::Slot slot) {
        if (auto server = weak.lock()) {
          std::make_shared<TcpSession>(std::move(socket), server, std::move(slot))->run();
        }
      },
      [](tcp::socket socket) {
        error_code ignored;
        socket.close(ignored);
      });
}

TcpServer::~TcpServer() = default;

std::uint16_t TcpServer::port() const { return state_->listener->port(); }

void TcpServer::start() { state_->listener->start(); }

void TcpServer::stop() { state_->listener->stop(); }

void TcpServer::notify_maker_fills(const std::vector<MakerFill>& fills) {
  std::lock_guard<std::mutex> lock(state_->sessions_mutex);
  for (const MakerFill& f : fills) {
    auto range = state_->sessions_by_account.equal_range(f.account.value);
    if (range.first == range.second) continue;
    std::string bytes;
    wire::encode(wire::Executed{f.client_token, f.order_id.value, f.fill.trade_id.value,
                                f.fill.price, f.fill.qty, f.fill.leaves, 'M'},
                 bytes);
    for (auto it = range.first; it != range.second; ++it) {
      if (auto session = it->second.lock()) session->push_unsolicited(bytes);
    }
  }
}

}  // namespace spot
