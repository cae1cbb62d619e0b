#include "spot/net/tcp_server.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <variant>

#include <prometheus/gauge.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "spot/log/log.h"
#include "spot/net/cross_thread_post.h"
#include "spot/net/listener.h"
#include "spot/net/reply_inbox.h"
#include "spot/proto/tcp.h"

namespace spot {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
namespace wire = proto::tcp;

class TcpSession;

struct TcpServer::State {
  State(TcpOptions o, Gateway& g, FillRouter& f, const SymbolTable& s)
      : options(std::move(o)), gateway(g), fills(f), symbols(s) {}

  TcpOptions options;
  Gateway& gateway;
  FillRouter& fills;
  const SymbolTable& symbols;
  std::unique_ptr<Listener> listener;
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

// `type`: the message that entered the order (EnterOrder or EnterQuoteOrder), named in
// a Rejected.
// Appends the reply's messages to `out`.
void render_order_reply(const OrderReply& reply, std::uint64_t client_token, std::uint8_t type,
                        std::string& out) {
  if (reply.reject != RejectReason::None) {
    wire::encode(wire::Rejected{client_token, 0, type, reply.reject}, out);
    return;
  }
  if (reply.replayed && reply.forgotten) {
    // A resend of an order whose record has left memory: there is no record to send
    // again, only the original order's id.
    wire::encode(wire::Rejected{client_token, reply.order.id.value, type,
                                RejectReason::DuplicateClientOrderId},
                 out);
    return;
  }
  const OrderRecord& o = reply.order;
  wire::encode(wire::Accepted{o.client_token, o.id.value, o.symbol, o.side, o.type, o.tif,
                              status_code(o.status), o.price, o.qty, o.executed},
               out);
  if (reply.replayed) return;
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
}

}  // namespace

class TcpSession : public FillSubscriber, public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(tcp::socket&& socket, std::shared_ptr<TcpServer::State> server, Listener::Slot slot)
      : socket_(std::move(socket)),
        server_(std::move(server)),
        slot_(std::move(slot)),
        login_timer_(socket_.get_executor()),
        idle_timer_(socket_.get_executor()),
        heartbeat_timer_(socket_.get_executor()),
        session_id_(next_session_id()) {
    inbuf_.resize(std::max<std::size_t>(4096, options().max_frame_bytes * 16));
  }

  // A number per connection since start, for correlation ids.
  static std::uint64_t next_session_id() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  void run() {
    // Until it logs in, the listener may close it to make room at its limit.
    slot_.evictable([weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        asio::post(self->socket_.get_executor(), [self] {
          log::debug("tcp connection closed before login to make room at the connection limit");
          self->close();
        });
      }
    });
    slot_.idle();
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->arm_login_timer();
      self->last_read_ = std::chrono::steady_clock::now();
      self->arm_idle_timer(std::chrono::milliseconds(self->options().idle_timeout_ms));
      self->last_send_ = std::chrono::steady_clock::now();
      self->arm_heartbeat(std::chrono::milliseconds(self->options().heartbeat_interval_ms));
      self->do_read();
    });
  }

  // FillSubscriber: from the thread that ran the fsync; only hands the fill to the strand.
  void on_maker_fill(const MakerFill& fill) override { hand_over(fill); }

 private:
  struct Slot;
  // Appends a reply's messages to the output (a refusal of it is rendered by rejected()).
  using Render = void (*)(const Reply&, const Slot&, std::string& out);

  // What a BalanceQuery asked for, kept until its reply is rendered.
  struct BalancePage {
    wire::BalanceQuery query;
    std::size_t limit = 0;  // tcp.max_balances_per_reply
  };

  // One request's (or one unsolicited message's) place in the line of output.
  struct Slot {
    std::string bytes;
    bool ready = false;
    Render render = nullptr;
    std::uint8_t type = 0;
    std::uint64_t client_token = 0;  // the client's token of an order, or a query's id
    std::uint64_t order_id = 0;
    std::unique_ptr<BalancePage> balances = nullptr;  // BalanceQuery only
  };
  struct Delivery {
    std::size_t slot;
    Reply reply;
  };
  using Item = std::variant<Delivery, MakerFill>;

  const TcpOptions& options() const { return server_->options; }
  Gateway& gateway() { return server_->gateway; }

  void hand_over(Item item) {
    if (inbox_.push(std::move(item))) {
      // From the matching thread, once per group commit: no heap allocation.
      post_across_threads(socket_.get_executor(),
                          [self = shared_from_this()] { self->on_inbox(); });
    }
  }

  // On the strand: renders every reply and fill handed over since the last time. The
  // reply of the first slot in line (replies come in the order of their requests, so
  // nearly all) and a fill with nothing waiting before it go straight into the
  // outbound buffer; only a reply that overtook an earlier one waits in its slot.
  void on_inbox() {
    inbox_.take(taken_);
    for (Item& item : taken_) {
      if (auto* d = std::get_if<Delivery>(&item)) {
        const bool first = d->slot == first_slot_;
        Slot& slot = at(d->slot);
        if (!first) slot.bytes = spare_bytes();
        std::string& out = first ? outbuf_ : slot.bytes;
        if (const auto* refused = std::get_if<Refused>(&d->reply)) {
          rejected(slot, refused->reason, out);
        } else {
          slot.render(d->reply, slot, out);
        }
        slot.ready = true;
        if (first) {
          slot.bytes.clear();
          move_ready_to_outbuf();
        }
      } else {
        const MakerFill& f = std::get<MakerFill>(item);
        const wire::Executed executed{f.client_token,
                                      f.order_id.value,
                                      f.fill.trade_id.value,
                                      f.fill.price,
                                      f.fill.qty,
                                      f.fill.leaves,
                                      'M'};
        if (pending_.empty()) {
          wire::encode(executed, outbuf_);
        } else {
          std::string bytes = spare_bytes();
          wire::encode(executed, bytes);
          enqueue_ready(std::move(bytes), false);
        }
      }
    }
    taken_.clear();
    flush();
  }

  static void rejected(const Slot& slot, RejectReason reason, std::string& out) {
    wire::encode(wire::Rejected{slot.client_token, slot.order_id, slot.type, reason}, out);
  }

  Slot& at(std::size_t slot) { return pending_[slot - first_slot_]; }

  std::size_t add_slot(Slot slot) {
    pending_.push_back(std::move(slot));
    return first_slot_ + pending_.size() - 1;
  }

  void arm_login_timer() {
    login_timer_.expires_after(std::chrono::milliseconds(options().login_timeout_ms));
    login_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && !self->account_.valid()) {
        log::debug("tcp login timeout");
        self->close();
      }
    });
  }

  // The connection closes after idle_timeout_ms without a read. Reads only note when
  // they came; the timer, when it fires, waits out the rest of the timeout since the
  // last read (as the heartbeat does), so the hot path never touches the timer.
  void arm_idle_timer(std::chrono::steady_clock::duration delay) {
    idle_timer_.expires_after(delay);
    idle_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->closed_) return;
      const auto timeout = std::chrono::milliseconds(self->options().idle_timeout_ms);
      const auto idle = std::chrono::steady_clock::now() - self->last_read_;
      if (idle < timeout) return self->arm_idle_timer(timeout - idle);
      log::debug("tcp idle timeout");
      self->close();
    });
  }

  // The heartbeat goes out after heartbeat_interval_ms without any other send. Writes
  // only note when they went out; the timer, when it fires, waits out the rest of the
  // interval since the last send, so the hot path never touches the timer.
  void arm_heartbeat(std::chrono::steady_clock::duration delay) {
    heartbeat_timer_.expires_after(delay);
    heartbeat_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->closed_) return;
      const auto interval = std::chrono::milliseconds(self->options().heartbeat_interval_ms);
      const auto silent = std::chrono::steady_clock::now() - self->last_send_;
      if (silent < interval) return self->arm_heartbeat(interval - silent);
      if (self->account_.valid()) {
        std::string hb;
        wire::encode_heartbeat(hb);
        self->enqueue_ready(std::move(hb));
      }
      self->arm_heartbeat(interval);
    });
  }

  void do_read() {
    // Not while on_read is still parsing the buffer the next read would write into.
    if (reading_ || parsing_ || closed_ || read_closed_ ||
        pending_.size() >= options().max_inflight_per_connection) {
      return;
    }
    if (inbuf_used_ == inbuf_.size()) return;  // cannot happen: frames are bounded
    reading_ = true;
    // The operation's memory from CrossThreadPool: its completion may run on the other
    // network thread, where Asio's per-thread recycling would miss and allocate.
    socket_.async_read_some(
        asio::buffer(inbuf_.data() + inbuf_used_, inbuf_.size() - inbuf_used_),
        asio::bind_allocator(
            CrossThreadAllocator<char>(),
            [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); }));
  }

  void on_read(error_code ec, std::size_t n) {
    reading_ = false;
    if (ec) {
      read_closed_ = true;
      if (pending_.empty() || ec != asio::error::eof) close();
      return;
    }
    inbuf_used_ += n;
    last_read_ = std::chrono::steady_clock::now();  // the idle timer counts from here
    parsing_ = true;
    std::size_t offset = 0;
    while (!read_closed_) {
      wire::Frame frame;
      const auto data = std::span<const std::uint8_t>(inbuf_.data() + offset, inbuf_used_ - offset);
      const auto status = wire::next_frame(data, options().max_frame_bytes, frame);
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
    reject(type, RejectReason::BadRequest);
    read_closed_ = true;
    close_after_flush_ = true;
    flush();
  }

  // A reject the session gives itself, for messages that are not requests to the engine.
  void reject(std::uint8_t type, RejectReason reason) {
    std::string out;
    wire::encode(wire::Rejected{0, 0, type, reason}, out);
    enqueue_ready(std::move(out));
  }

  void handle(const wire::Frame& frame) {
    const auto expected = wire::payload_size(frame.type);
    if (!expected) return reject(frame.type, RejectReason::BadRequest);
    if (*expected != frame.payload.size()) return protocol_error(frame.type, "wrong size for type");
    switch (static_cast<wire::MsgType>(frame.type)) {
      case wire::MsgType::Heartbeat:
        // Anything before login but Login itself is rejected.
        if (!account_.valid()) reject(frame.type, RejectReason::Unauthorized);
        return;
      case wire::MsgType::Login: {
        wire::Login login;
        wire::decode(frame, login);
        return on_login(login);
      }
      case wire::MsgType::EnterOrder: {
        wire::EnterOrder order;
        const bool valid = wire::decode(frame, order);  // sets client_order_id even if not
        return on_enter(order, valid);
      }
      case wire::MsgType::EnterQuoteOrder: {
        wire::EnterQuoteOrder order;
        const bool valid = wire::decode(frame, order);  // sets client_order_id even if not
        return on_enter_quote(order, valid);
      }
      case wire::MsgType::CancelOrder: {
        wire::CancelOrderMsg cancel;
        wire::decode(frame, cancel);
        return on_cancel(cancel);
      }
      case wire::MsgType::BalanceQuery: {
        wire::BalanceQuery query;
        const bool valid = wire::decode(frame, query);  // sets query_id even if not
        return on_balance_query(std::move(query), valid);
      }
      default:
        return reject(frame.type, RejectReason::BadRequest);  // a server message type
    }
  }

  void on_login(const wire::Login& login) {
    if (account_.valid()) return reject('L', RejectReason::BadRequest);
    const auto account = gateway().authenticate(login.api_key);
    if (!account) {
      log::info("tcp login rejected");
      reject('L', RejectReason::Unauthorized);
      read_closed_ = true;
      close_after_flush_ = true;
      flush();
      return;
    }
    account_ = *account;
    slot_.busy();  // for good: a trader's session is never closed to make room
    login_timer_.cancel();
    // Which account a session is, so a trader's complaint ("account A, token n") leads to
    // the correlation ids tcp-<session>-<n> of its records and rows.
    log::info(
        "tcp login", "tcp-" + std::to_string(session_id_),
        {{"session", std::to_string(session_id_)}, {"account", std::to_string(account_.value)}});
    server_->fills.subscribe(account_, weak_from_this());
    std::string out;
    wire::encode(wire::LoginAccepted{account_.value}, out);
    enqueue_ready(std::move(out));
  }

  // Admits a request through the gateway; its reply is rendered into its slot.
  void submit(Gateway::Request request, Slot slot) {
    // "tcp-<session>-<n>": n is the client's own token of a new order, else the
    // session's request count; the same id goes to the journal and the database rows.
    ++requests_;
    const auto* order = std::get_if<SubmitOrder>(&request.body);
    const std::uint64_t n =
        order != nullptr && order->client_token != 0 ? order->client_token : requests_;
    request.request_id = "tcp-" + std::to_string(session_id_) + "-" + std::to_string(n);
    const std::size_t index = add_slot(std::move(slot));
    auto on_reply = [self = shared_from_this(), index](Reply&& reply) {
      self->hand_over(Delivery{index, std::move(reply)});
    };
    if (const auto refused = gateway().submit(std::move(request), std::move(on_reply))) {
      Slot& s = at(index);
      rejected(s, refused->reason, s.bytes);
      s.ready = true;
      flush();
    }
  }

  std::optional<AccountId> account() const {
    return account_.valid() ? std::optional<AccountId>(account_) : std::nullopt;
  }

  void on_enter(const wire::EnterOrder& m, bool valid) {
    SubmitOrder order{m, {}, m.client_order_id, m.post_only};
    const RejectReason invalid = !valid                                ? RejectReason::BadRequest
                                 : m.symbol >= server_->symbols.size() ? RejectReason::UnknownSymbol
                                                                       : RejectReason::None;
    submit({std::move(order), {}, account(), invalid},
           Slot{{}, false, &render_order, 'O', m.client_order_id, 0});
  }

  // A MARKET order by quote amount: the engine's quoteOrderQty order (qty 0; the
  // engine sets it to what the amount buys), answered like any EnterOrder.
  void on_enter_quote(const wire::EnterQuoteOrder& m, bool valid) {
    SubmitOrder order;
    order.symbol = m.symbol;
    order.side = m.side;
    order.type = OrderType::Market;
    order.tif = TimeInForce::Ioc;
    order.client_token = m.client_order_id;
    order.quote_qty = m.quote_qty;
    const RejectReason invalid = !valid                                ? RejectReason::BadRequest
                                 : m.symbol >= server_->symbols.size() ? RejectReason::UnknownSymbol
                                 : m.quote_qty <= 0                    ? RejectReason::BadQuantity
                                                                       : RejectReason::None;
    submit({std::move(order), {}, account(), invalid},
           Slot{{}, false, &render_order, 'Q', m.client_order_id, 0});
  }

  void on_cancel(const wire::CancelOrderMsg& m) {
    submit({CancelRequest{{}, OrderId{m.order_id}}, {}, account(), RejectReason::None},
           Slot{{}, false, &render_cancel, 'X', 0, m.order_id});
  }

  // The same GetBalances as GET /api/v1/account, through the same gateway checks; the
  // session picks the asked-for asset or page out of the engine's answer.
  void on_balance_query(wire::BalanceQuery m, bool valid) {
    const std::uint64_t id = m.query_id;
    Slot slot{{}, false, &render_balances, 'B', id, 0};
    slot.balances =
        std::make_unique<BalancePage>(BalancePage{std::move(m), options().max_balances_per_reply});
    submit({GetBalances{account_},
            {},
            account(),
            valid ? RejectReason::None : RejectReason::BadRequest},
           std::move(slot));
  }

  static void render_order(const Reply& r, const Slot& slot, std::string& out) {
    render_order_reply(std::get<OrderReply>(r), slot.client_token, slot.type, out);
  }

  static void render_balances(const Reply& r, const Slot& slot, std::string& out) {
    const auto& reply = std::get<BalancesReply>(r);
    if (reply.reject != RejectReason::None) return rejected(slot, reply.reject, out);
    const wire::BalanceQuery& q = slot.balances->query;
    const auto& all = reply.balances;
    std::size_t begin = q.first;
    std::size_t end = std::min(all.size(), begin + slot.balances->limit);
    if (!q.asset.empty()) {
      begin = 0;
      while (begin < all.size() && all[begin].asset != q.asset) ++begin;
      if (begin == all.size()) return rejected(slot, RejectReason::UnknownAsset, out);
      end = begin + 1;
    }
    std::uint16_t count = 0;
    for (std::size_t i = begin; i < end; ++i, ++count) {
      const AssetBalance& b = all[i];
      wire::encode(
          wire::BalanceMsg{q.query_id, static_cast<std::uint16_t>(i), b.asset,
                           static_cast<std::uint8_t>(b.decimals), b.balance.free, b.balance.locked},
          out);
    }
    const bool more = q.asset.empty() && end < all.size();
    wire::encode(wire::BalanceEnd{q.query_id, count,
                                  more ? static_cast<std::uint16_t>(end) : std::uint16_t{0}},
                 out);
  }

  static void render_cancel(const Reply& r, const Slot& slot, std::string& out) {
    const auto& reply = std::get<OrderReply>(r);
    if (reply.reject != RejectReason::None) {
      const RejectReason reason =
          reply.reject == RejectReason::NotOwner ? RejectReason::UnknownOrder : reply.reject;
      wire::encode(wire::Rejected{0, slot.order_id, static_cast<std::uint8_t>('X'), reason}, out);
    } else {
      const OrderRecord& o = reply.order;
      wire::encode(wire::Canceled{o.client_token, o.id.value, o.qty - o.executed,
                                  wire::CancelReasonCode::Requested},
                   out);
    }
  }

  void enqueue_ready(std::string bytes, bool flush_now = true) {
    Slot slot;
    slot.bytes = std::move(bytes);
    slot.ready = true;
    add_slot(std::move(slot));
    if (flush_now) flush();
  }

  // Moves the ready prefix of pending_ to the outbound buffer. A slot's buffer is kept
  // for a later slot (spare_bytes): a reply that waits in its slot allocates nothing.
  void move_ready_to_outbuf() {
    while (!pending_.empty() && pending_.front().ready) {
      std::string& bytes = pending_.front().bytes;
      outbuf_ += bytes;
      if (bytes.capacity() > std::string().capacity() && spare_bytes_.size() < kSpareBytes) {
        bytes.clear();
        spare_bytes_.push_back(std::move(bytes));
      }
      pending_.pop_front();
      ++first_slot_;
    }
  }

  // An empty buffer for a slot's bytes: a kept one if there is one.
  std::string spare_bytes() {
    if (spare_bytes_.empty()) return {};
    std::string bytes = std::move(spare_bytes_.back());
    spare_bytes_.pop_back();
    return bytes;
  }

  // Moves the ready prefix of pending_ to the outbound buffer and writes it.
  void flush() {
    if (closed_) return;
    move_ready_to_outbuf();
    if (outbuf_.size() > options().max_outbound_bytes) {
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
    last_send_ = std::chrono::steady_clock::now();  // silence is counted from here
    writebuf_.swap(outbuf_);
    outbuf_.clear();
    asio::async_write(socket_, asio::buffer(writebuf_),
                      asio::bind_allocator(CrossThreadAllocator<char>(),  // as do_read's
                                           [self = shared_from_this()](error_code ec, std::size_t) {
                                             self->on_written(ec);
                                           }));
  }

  void on_written(error_code ec) {
    writing_ = false;
    if (ec) return close();
    writebuf_.clear();
    do_write();
    if (read_closed_ && pending_.empty() && outbuf_.empty() && !writing_) close();
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

  tcp::socket socket_;
  std::shared_ptr<TcpServer::State> server_;
  Listener::Slot slot_;
  asio::steady_timer login_timer_;
  asio::steady_timer idle_timer_;
  asio::steady_timer heartbeat_timer_;
  std::chrono::steady_clock::time_point last_send_;
  std::chrono::steady_clock::time_point last_read_;
  std::vector<std::uint8_t> inbuf_;
  std::size_t inbuf_used_ = 0;
  std::deque<Slot> pending_;
  std::size_t first_slot_ = 0;  // the number of pending_.front()
  ReplyInbox<Item> inbox_;
  std::vector<Item> taken_;  // what on_inbox took from inbox_, reused
  std::string outbuf_;
  std::string writebuf_;
  static constexpr std::size_t kSpareBytes = 16;
  std::vector<std::string> spare_bytes_;  // buffers of slots that left the line
  AccountId account_;
  const std::uint64_t session_id_;
  std::uint64_t requests_ = 0;  // admitted through submit() so far
  bool reading_ = false;
  bool parsing_ = false;
  bool writing_ = false;
  bool read_closed_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
};

TcpServer::TcpServer(asio::io_context& ioc, TcpOptions options, Gateway& gateway, FillRouter& fills,
                     const SymbolTable& symbols, prometheus::Gauge* connections)
    : state_(std::make_shared<State>(std::move(options), gateway, fills, symbols)) {
  const TcpOptions& o = state_->options;
  state_->listener = std::make_unique<Listener>(
      ioc, o.address, o.port, o.max_connections, connections, "tcp",
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

void TcpServer::set_evicted_counter(prometheus::Counter* evicted) {
  state_->listener->set_evicted_counter(evicted);
}

std::uint16_t TcpServer::port() const { return state_->listener->port(); }

void TcpServer::start() { state_->listener->start(); }

void TcpServer::stop() { state_->listener->stop(); }

}  // namespace spot
