#include "bench/load/driver.h"

#include <boost/asio.hpp>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <deque>
#include <memory>
#include <span>

#include "bench/load/reply.h"
#include "bench/load/schedule.h"
#include "spot/proto/tcp.h"

namespace spot::bench::load {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunkBytes = 64 * 1024;
constexpr std::size_t kMaxSendBufferBytes = 32 * 1024 * 1024;  // per connection
// Ops dispatched per scheduler turn before reads get a chance to run.
constexpr std::size_t kMaxDispatchBatch = 1024;
constexpr std::size_t kPrefillWindowPerConnection = 64;  // prefill requests in flight
constexpr int kMaxReconnects = 5;                        // per connection and run
constexpr std::int64_t kReconnectDelayNs = 100'000'000;
constexpr std::int64_t kHeartbeatIdleNs = 1'000'000'000;  // tcp.heartbeat_interval_ms
constexpr std::int64_t kHeartbeatCheckNs = 250'000'000;
constexpr std::int64_t kScheduleLeadNs = 2'000'000;  // start of the schedule after "now"
constexpr std::size_t kMaxTcpFrameBytes = 256;
constexpr std::int64_t kShutdownNs = 1'000'000'000;  // to let aborted handlers run
constexpr std::uint32_t kDepthLevels = 20;           // levels a mixed-mode depth read asks for

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

Clock::time_point time_point_of(std::int64_t ns) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

std::int64_t seconds_to_ns(double s) { return static_cast<std::int64_t>(s * 1e9); }

struct Pending {
  std::uint32_t op_index = 0;
  RequestKind kind = RequestKind::Order;
  bool measured = false;
  std::int64_t intended_ns = 0;
};

struct Connection {
  enum class State : std::uint8_t { Connecting, LoggingIn, Up, Down, Failed };

  explicit Connection(asio::io_context& io) : socket(io), timer(io), chunk(kReadChunkBytes) {}

  tcp::socket socket;
  asio::steady_timer timer;  // connect deadline while connecting, reconnect delay when down
  State state = State::Down;
  std::uint64_t generation = 0;  // bumped on every failure: handlers of older sockets ignore
  std::string out;               // appended to while a write is in flight
  std::string out_inflight;      // the buffer of the write in flight
  bool writing = false;
  std::string in;  // received, not yet parsed
  std::vector<char> chunk;
  std::deque<Pending> pending;  // requests awaiting their first response, in send order
  std::int64_t last_send_ns = 0;
  int reconnects = 0;
};

class Driver {
 public:
  // Plays the workload's ops, or `reads` instead when not null (then `workload` is empty).
  Driver(const DriverConfig& config, const Workload& workload, std::vector<std::uint64_t>* acks,
         const std::vector<ReadOp>* reads = nullptr)
      : config_(config),
        opts_(config.options),
        workload_(workload),
        reads_(reads),
        op_count_(reads != nullptr ? reads->size() : workload.ops.size()),
        acks_(acks),
        work_(asio::make_work_guard(io_)),
        pump_timer_(io_),
        heartbeat_timer_(io_),
        schedule_(0, config.rate) {}

  RunResult run();
  // The per-kind side of a run of reads. REQUIRES: run() has returned.
  std::array<ReadKindResult, kReadKinds> read_results();

 private:
  enum class Phase : std::uint8_t { Connect, Prefill, Measure, Drain, Done };

  template <class Pred>
  bool run_until(Pred done, std::int64_t deadline_ns);

  void start_connect(Connection& c);
  void on_connect(Connection& c, std::uint64_t gen, const boost::system::error_code& ec);
  void mark_up(Connection& c);
  // Drops the connection: its unanswered requests count as io errors; `cause` (if any)
  // is counted once. Reconnects later when `retry` and the budget allows.
  void fail(Connection& c, std::optional<ErrorKind> cause, bool retry);

  void do_read(Connection& c);
  void on_read(Connection& c, std::uint64_t gen, const boost::system::error_code& ec,
               std::size_t n);
  // Both return false when they failed the connection.
  bool parse_http(Connection& c, std::int64_t arrival_ns);
  bool parse_tcp(Connection& c, std::int64_t arrival_ns);
  void on_answer(Connection& c, const Reply& reply, std::int64_t arrival_ns);

  void flush(Connection& c);
  void flush_dirty();
  void on_write(Connection& c, std::uint64_t gen, const boost::system::error_code& ec);

  Connection* pick_connection();
  void dispatch(std::size_t op_index, std::int64_t intended_ns, bool measured);
  void dispatch_read(std::size_t read_index, std::int64_t intended_ns);
  void top_up_prefill();
  void pump();
  void arm_heartbeat();
  void shutdown();

  const DriverConfig& config_;
  const LoadOptions& opts_;
  const Workload& workload_;
  const std::vector<ReadOp>* reads_;
  std::size_t op_count_;  // workload ops, or reads
  std::vector<std::uint64_t>* acks_;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer pump_timer_;
  asio::steady_timer heartbeat_timer_;
  tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<Connection*> dirty_;  // connections with unsent output and no write in flight
  std::size_t round_robin_ = 0;
  Connection* sticky_ = nullptr;  // while set (and up), pick_connection's answer
  std::size_t up_ = 0;            // connections in state Up
  std::size_t pending_ = 0;       // connections connecting, logging in, or waiting to reconnect

  Phase phase_ = Phase::Connect;
  Schedule schedule_;
  std::size_t prefill_ops_ = 0;
  std::size_t prefill_next_ = 0;
  std::size_t next_op_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t measured_in_flight_ = 0;
  std::vector<std::uint64_t> server_id_;  // workload order id -> server order id (0: none)

  LatencyRecorder latency_;
  RunResult result_;
  std::array<LatencyRecorder, kReadKinds> read_latency_;
  std::array<ReadKindResult, kReadKinds> reads_by_kind_{};
};

template <class Pred>
bool Driver::run_until(Pred done, std::int64_t deadline_ns) {
  while (!done()) {
    const std::int64_t now = now_ns();
    if (now >= deadline_ns) return false;
    io_.run_one_for(std::chrono::nanoseconds(deadline_ns - now));
  }
  return true;
}

RunResult Driver::run() {
  const bool http = config_.protocol == Protocol::Http;
  result_.mode = http ? "http" : "tcp";
  result_.offered_rate = config_.rate;
  result_.duration_s = config_.duration_s;
  result_.connections = opts_.connections;
  prefill_ops_ = workload_.prefill_ops();
  assert(op_count_ >= prefill_ops_ + config_.warmup_ops);
  result_.ops = op_count_ - prefill_ops_ - config_.warmup_ops;
  latency_.reserve(result_.ops);
  // Order ids are 1, 2, ... over non-cancel ops, so they stay below ops.size() + 1.
  server_id_.assign(workload_.ops.size() + 1, 0);

  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints = resolver.resolve(opts_.host, std::to_string(opts_.port), ec);
  if (ec || endpoints.empty()) {
    result_.fatal = "cannot resolve " + opts_.host + ": " + ec.message();
    return result_;
  }
  endpoint_ = endpoints.begin()->endpoint();

  // Connect (and log in) every connection.
  for (int i = 0; i < opts_.connections; ++i) {
    conns_.push_back(std::make_unique<Connection>(io_));
    start_connect(*conns_.back());
  }
  run_until([&] { return pending_ == 0; }, now_ns() + seconds_to_ns(opts_.connect_timeout_s));
  if (up_ == 0) {
    result_.fatal = "no connection to " + opts_.host + ":" + std::to_string(opts_.port) +
                    " could be established";
    shutdown();
    return result_;
  }
  if (!http) arm_heartbeat();

  // Prefill: as fast as the window allows, not measured.
  phase_ = Phase::Prefill;
  top_up_prefill();
  run_until(
      [&] {
        return (prefill_next_ == prefill_ops_ && in_flight_ == 0) || (up_ == 0 && pending_ == 0);
      },
      now_ns() + seconds_to_ns(opts_.prefill_timeout_s));

  // The open-loop schedule: warmup ops, then measured ops.
  phase_ = Phase::Measure;
  schedule_ = Schedule(now_ns() + kScheduleLeadNs, config_.rate);
  next_op_ = prefill_ops_;
  const std::size_t scheduled = op_count_ - prefill_ops_;
  const std::int64_t schedule_end_ns = schedule_.intended_ns(scheduled == 0 ? 0 : scheduled - 1);
  const std::int64_t drain_end_ns = schedule_end_ns + seconds_to_ns(opts_.drain_s);
  pump();
  run_until([&] { return next_op_ == op_count_; }, drain_end_ns);
  for (std::size_t i = next_op_; i < op_count_; ++i) {
    if (i - prefill_ops_ >= config_.warmup_ops) result_.errors.add(ErrorKind::Unsent);
  }

  phase_ = Phase::Drain;
  run_until([&] { return measured_in_flight_ == 0; }, drain_end_ns);

  for (auto& c : conns_) {
    for (const Pending& p : c->pending) {
      if (p.measured) result_.errors.add(ErrorKind::Timeout);
    }
  }
  shutdown();
  result_.latency = summarize(latency_);
  return result_;
}

void Driver::shutdown() {
  phase_ = Phase::Done;
  boost::system::error_code ignored;
  pump_timer_.cancel();
  heartbeat_timer_.cancel();
  for (auto& c : conns_) {
    c->timer.cancel();
    c->socket.close(ignored);
    ++c->generation;
  }
  work_.reset();
  io_.run_for(std::chrono::nanoseconds(kShutdownNs));
}

void Driver::start_connect(Connection& c) {
  c.state = Connection::State::Connecting;
  ++pending_;
  const std::uint64_t gen = ++c.generation;
  c.socket = tcp::socket(io_);
  c.socket.async_connect(
      endpoint_, [this, &c, gen](const boost::system::error_code& ec) { on_connect(c, gen, ec); });
  c.timer.expires_after(std::chrono::nanoseconds(seconds_to_ns(opts_.connect_timeout_s)));
  c.timer.async_wait([this, &c, gen](const boost::system::error_code& ec) {
    if (ec || gen != c.generation || phase_ == Phase::Done) return;
    if (c.state == Connection::State::Connecting || c.state == Connection::State::LoggingIn) {
      fail(c, ErrorKind::Connect, /*retry=*/false);
    }
  });
}

void Driver::on_connect(Connection& c, std::uint64_t gen, const boost::system::error_code& ec) {
  if (gen != c.generation || phase_ == Phase::Done) return;
  if (ec) {
    fail(c, ErrorKind::Connect, /*retry=*/true);
    return;
  }
  boost::system::error_code ignored;
  c.socket.set_option(tcp::no_delay(true), ignored);
  do_read(c);
  if (config_.protocol == Protocol::Http) {
    mark_up(c);
    return;
  }
  c.state = Connection::State::LoggingIn;
  proto::tcp::encode(proto::tcp::Login{opts_.api_key}, c.out);
  flush(c);
}

void Driver::mark_up(Connection& c) {
  c.state = Connection::State::Up;
  c.timer.cancel();
  --pending_;
  ++up_;
  if (phase_ == Phase::Prefill) top_up_prefill();
}

void Driver::fail(Connection& c, std::optional<ErrorKind> cause, bool retry) {
  using State = Connection::State;
  if (c.state == State::Down || c.state == State::Failed || phase_ == Phase::Done) return;
  if (c.state == State::Up) {
    --up_;
  } else {
    --pending_;
  }
  if (cause) result_.errors.add(*cause);
  for (const Pending& p : c.pending) {
    --in_flight_;
    if (p.measured) {
      --measured_in_flight_;
      result_.errors.add(ErrorKind::Io);
    }
  }
  c.pending.clear();
  boost::system::error_code ignored;
  c.socket.close(ignored);
  c.timer.cancel();
  const std::uint64_t gen = ++c.generation;
  c.out.clear();
  c.out_inflight.clear();
  c.writing = false;
  c.in.clear();
  if (!retry || c.reconnects >= kMaxReconnects) {
    c.state = State::Failed;
    return;
  }
  ++c.reconnects;
  c.state = State::Down;
  ++pending_;
  c.timer.expires_after(std::chrono::nanoseconds(kReconnectDelayNs));
  c.timer.async_wait([this, &c, gen](const boost::system::error_code& ec) {
    if (ec || gen != c.generation || phase_ == Phase::Done) return;
    --pending_;  // start_connect counts it again
    start_connect(c);
  });
}

void Driver::do_read(Connection& c) {
  const std::uint64_t gen = c.generation;
  c.socket.async_read_some(asio::buffer(c.chunk),
                           [this, &c, gen](const boost::system::error_code& ec, std::size_t n) {
                             on_read(c, gen, ec, n);
                           });
}

void Driver::on_read(Connection& c, std::uint64_t gen, const boost::system::error_code& ec,
                     std::size_t n) {
  if (gen != c.generation || phase_ == Phase::Done) return;
  if (ec) {
    // EOF or reset: the requests on it are lost (counted as io), the connection retried.
    fail(c, std::nullopt, /*retry=*/true);
    return;
  }
  c.in.append(c.chunk.data(), n);
  const std::int64_t arrival_ns = now_ns();
  const bool alive =
      config_.protocol == Protocol::Http ? parse_http(c, arrival_ns) : parse_tcp(c, arrival_ns);
  if (alive) do_read(c);
}

bool Driver::parse_http(Connection& c, std::int64_t arrival_ns) {
  std::size_t used = 0;
  for (;;) {
    HttpResponse response;
    const HttpParse status =
        parse_http_response(std::string_view(c.in).substr(used), config_.http_limits, response);
    if (status == HttpParse::NeedMore) break;
    if (status == HttpParse::Bad || c.pending.empty()) {
      fail(c, ErrorKind::BadResponse, /*retry=*/true);
      return false;
    }
    used += response.size_bytes;
    Reply reply;
    reply.type = Reply::Type::Http;
    reply.http_status = response.status;
    if (response.status >= 200 && response.status < 300) {
      reply.order_id = find_order_id(response.body).value_or(0);
    }
    on_answer(c, reply, arrival_ns);
    if (response.close) {
      fail(c, std::nullopt, /*retry=*/true);
      return false;
    }
  }
  c.in.erase(0, used);
  return true;
}

bool Driver::parse_tcp(Connection& c, std::int64_t arrival_ns) {
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(c.in.data()),
                                           c.in.size());
  std::size_t used = 0;
  for (;;) {
    proto::tcp::Frame frame;
    const proto::tcp::FrameStatus status =
        proto::tcp::next_frame(data.subspan(used), kMaxTcpFrameBytes, frame);
    if (status == proto::tcp::FrameStatus::NeedMore) break;
    if (status == proto::tcp::FrameStatus::BadLength) {
      fail(c, ErrorKind::BadResponse, /*retry=*/true);
      return false;
    }
    used += frame.frame_bytes;
    const TcpMessage message = interpret(frame);
    switch (message.kind) {
      case TcpMessage::Kind::Ignored:
        break;
      case TcpMessage::Kind::Bad:
        result_.errors.add(ErrorKind::BadResponse);
        break;
      case TcpMessage::Kind::LoginAccepted:
        if (c.state == Connection::State::LoggingIn) mark_up(c);
        break;
      case TcpMessage::Kind::Answer:
        if (c.state == Connection::State::LoggingIn) {
          fail(c, ErrorKind::Login, /*retry=*/false);  // a wrong key stays wrong
          return false;
        }
        if (c.pending.empty() || !answers(c.pending.front().kind, message.reply)) {
          result_.errors.add(ErrorKind::BadResponse);
        } else {
          on_answer(c, message.reply, arrival_ns);
        }
        break;
    }
  }
  c.in.erase(0, used);
  return true;
}

void Driver::on_answer(Connection& c, const Reply& reply, std::int64_t arrival_ns) {
  const Pending p = c.pending.front();
  c.pending.pop_front();
  --in_flight_;
  const Classified k = classify(p.kind, reply);
  if (k.outcome == Outcome::Accepted) {
    server_id_[workload_.ops[p.op_index].id.value] = k.order_id;
    if (acks_ != nullptr) acks_->push_back(k.order_id);
    if (p.op_index < prefill_ops_) ++result_.prefill_acked;
  }
  if (phase_ == Phase::Prefill) top_up_prefill();
  if (!p.measured) return;
  --measured_in_flight_;
  ++result_.answered;
  latency_.record(arrival_ns - p.intended_ns);
  if (reads_ != nullptr) {
    const auto kind = static_cast<std::size_t>((*reads_)[p.op_index].kind);
    read_latency_[kind].record(arrival_ns - p.intended_ns);
    if (k.outcome == Outcome::Read) ++reads_by_kind_[kind].ok;
    if (k.outcome == Outcome::ReadNotFound) ++reads_by_kind_[kind].not_found;
  }
  switch (k.outcome) {
    case Outcome::Accepted:
    case Outcome::Canceled:
      ++result_.acked;
      break;
    case Outcome::CancelUnknown:
      ++result_.acked;
      ++result_.cancel_unknown;
      break;
    case Outcome::Read:
    case Outcome::ReadNotFound:
      ++result_.acked;
      break;
    case Outcome::Error:
      result_.errors.add(k.error);
      if (k.error == ErrorKind::Rejected) {
        ++result_.errors.rejected_by_reason[static_cast<std::size_t>(k.reason)];
      }
      break;
  }
}

void Driver::flush(Connection& c) {
  using State = Connection::State;
  if (c.writing || c.out.empty() || (c.state != State::Up && c.state != State::LoggingIn)) return;
  std::swap(c.out, c.out_inflight);
  c.out.clear();
  c.writing = true;
  c.last_send_ns = now_ns();
  const std::uint64_t gen = c.generation;
  asio::async_write(
      c.socket, asio::buffer(c.out_inflight),
      [this, &c, gen](const boost::system::error_code& ec, std::size_t) { on_write(c, gen, ec); });
}

void Driver::flush_dirty() {
  for (Connection* c : dirty_) flush(*c);
  dirty_.clear();
}

void Driver::on_write(Connection& c, std::uint64_t gen, const boost::system::error_code& ec) {
  if (gen != c.generation || phase_ == Phase::Done) return;
  c.writing = false;
  c.out_inflight.clear();
  if (ec) {
    fail(c, std::nullopt, /*retry=*/true);
    return;
  }
  flush(c);
}

Connection* Driver::pick_connection() {
  if (up_ == 0) return nullptr;
  if (sticky_ != nullptr && sticky_->state == Connection::State::Up) return sticky_;
  for (std::size_t tries = 0; tries < conns_.size(); ++tries) {
    Connection& c = *conns_[round_robin_++ % conns_.size()];
    if (c.state == Connection::State::Up) return &c;
  }
  return nullptr;
}

void Driver::dispatch(std::size_t op_index, std::int64_t intended_ns, bool measured) {
  if (reads_ != nullptr) {
    dispatch_read(op_index, intended_ns);
    return;
  }
  const Op& op = workload_.ops[op_index];
  std::uint64_t target = 0;
  if (op.kind == OpKind::Cancel) {
    target = server_id_[op.id.value];
    if (target == 0) {
      if (measured) ++result_.cancel_unmapped;
      return;
    }
  }
  Connection* c = pick_connection();
  if (c == nullptr) {
    if (measured) result_.errors.add(ErrorKind::NoConnection);
    return;
  }
  if (c->out.size() >= kMaxSendBufferBytes) {
    if (measured) result_.errors.add(ErrorKind::SendOverflow);
    return;
  }
  if (c->out.empty() && !c->writing) dirty_.push_back(c);
  const std::uint64_t client_id = op.id.value + config_.client_id_offset;
  if (config_.protocol == Protocol::Http) {
    if (op.kind == OpKind::Cancel) {
      config_.http->cancel(target, c->out);
    } else {
      config_.http->order(op, client_id, c->out);
    }
  } else if (op.kind == OpKind::Cancel) {
    proto::tcp::encode(proto::tcp::CancelOrderMsg{target}, c->out);
  } else {
    proto::tcp::EnterOrder m;
    m.client_order_id = client_id;
    m.symbol = static_cast<std::uint16_t>(op.symbol % opts_.symbols);
    m.side = op.side;
    m.type = op.kind == OpKind::Market ? OrderType::Market : OrderType::Limit;
    m.tif = op.kind == OpKind::GtcLimit ? TimeInForce::Gtc : TimeInForce::Ioc;
    m.price = op.kind == OpKind::Market ? 0 : op.price;
    m.qty = op.qty;
    proto::tcp::encode(m, c->out);
  }
  c->pending.push_back({static_cast<std::uint32_t>(op_index),
                        op.kind == OpKind::Cancel ? RequestKind::Cancel : RequestKind::Order,
                        measured, intended_ns});
  ++in_flight_;
  if (op_index < prefill_ops_) ++result_.prefill_sent;
  if (measured) {
    ++measured_in_flight_;
    ++result_.sent;
  }
}

void Driver::dispatch_read(std::size_t read_index, std::int64_t intended_ns) {
  const ReadOp& read = (*reads_)[read_index];
  Connection* c = pick_connection();
  if (c == nullptr) {
    result_.errors.add(ErrorKind::NoConnection);
    return;
  }
  if (c->out.size() >= kMaxSendBufferBytes) {
    result_.errors.add(ErrorKind::SendOverflow);
    return;
  }
  if (c->out.empty() && !c->writing) dirty_.push_back(c);
  RequestKind kind = RequestKind::GetOrder;
  switch (read.kind) {
    case ReadKind::GetOrder:
      config_.http->get_order(read.order_id, c->out);
      break;
    case ReadKind::OpenOrders:
      kind = RequestKind::OpenOrders;
      config_.http->open_orders(read.symbol, c->out);
      break;
    case ReadKind::Depth:
    case ReadKind::kCount:
      kind = RequestKind::Depth;
      config_.http->depth(read.symbol, kDepthLevels, c->out);
      break;
  }
  c->pending.push_back(
      {static_cast<std::uint32_t>(read_index), kind, /*measured=*/true, intended_ns});
  ++in_flight_;
  ++measured_in_flight_;
  ++result_.sent;
  ++reads_by_kind_[static_cast<std::size_t>(read.kind)].sent;
}

std::array<ReadKindResult, kReadKinds> Driver::read_results() {
  std::array<std::uint64_t, kReadKinds> planned{};
  for (const ReadOp& r : *reads_) ++planned[static_cast<std::size_t>(r.kind)];
  std::array<ReadKindResult, kReadKinds> out = reads_by_kind_;
  for (std::size_t k = 0; k < kReadKinds; ++k) {
    // Everything planned that did not come back 2xx or not-found: answered with an
    // error, lost with its connection, timed out, or never sent.
    out[k].errors = planned[k] - out[k].ok - out[k].not_found;
    out[k].latency = summarize(read_latency_[k]);
  }
  return out;
}

void Driver::top_up_prefill() {
  const std::size_t window = kPrefillWindowPerConnection * conns_.size();
  const std::int64_t now = now_ns();
  while (prefill_next_ < prefill_ops_ && in_flight_ < window && up_ > 0) {
    dispatch(prefill_next_++, now, /*measured=*/false);
  }
  flush_dirty();
}

void Driver::pump() {
  if (phase_ != Phase::Measure) return;
  const std::int64_t now = now_ns();
  std::size_t batch = 0;
  // With a send interval, what falls due together goes out together: one write on one
  // connection, the next in turn, rather than one small write on each.
  sticky_ = nullptr;
  if (opts_.send_interval_us > 0) sticky_ = pick_connection();
  while (next_op_ < op_count_ && batch < kMaxDispatchBatch) {
    const std::size_t k = next_op_ - prefill_ops_;
    const std::int64_t intended_ns = schedule_.intended_ns(k);
    if (intended_ns > now) break;
    dispatch(next_op_, intended_ns, k >= config_.warmup_ops);
    ++next_op_;
    ++batch;
  }
  sticky_ = nullptr;
  flush_dirty();
  if (next_op_ == op_count_) return;
  if (batch == kMaxDispatchBatch) {
    asio::post(io_, [this] { pump(); });
    return;
  }
  // With a send interval, what falls due before the next pump goes out with it: fewer
  // sends and timer re-arms per order at high rates (the generator shares the machine).
  const std::int64_t next_due = schedule_.intended_ns(next_op_ - prefill_ops_);
  const auto interval_ns = static_cast<std::int64_t>(opts_.send_interval_us * 1e3);
  pump_timer_.expires_at(time_point_of(std::max(next_due, now + interval_ns)));
  pump_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) pump();
  });
}

void Driver::arm_heartbeat() {
  heartbeat_timer_.expires_after(std::chrono::nanoseconds(kHeartbeatCheckNs));
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || phase_ == Phase::Done) return;
    const std::int64_t now = now_ns();
    for (auto& c : conns_) {
      if (c->state == Connection::State::Up && !c->writing &&
          now - c->last_send_ns >= kHeartbeatIdleNs) {
        proto::tcp::encode_heartbeat(c->out);
        flush(*c);
      }
    }
    arm_heartbeat();
  });
}

}  // namespace

RunResult drive(const DriverConfig& config, const Workload& workload,
                std::vector<std::uint64_t>* acks) {
  auto driver = std::make_unique<Driver>(config, workload, acks);
  return driver->run();
}

ReadRunResult drive_reads(const DriverConfig& config, const std::vector<ReadOp>& reads) {
  assert(config.protocol == Protocol::Http && config.http != nullptr);
  static const Workload kNoOps;
  auto driver = std::make_unique<Driver>(config, kNoOps, nullptr, &reads);
  ReadRunResult out;
  out.run = driver->run();
  out.run.mode = "reads";
  out.by_kind = driver->read_results();
  return out;
}

std::optional<std::string> http_get(const std::string& host, std::uint16_t port,
                                    std::string_view target, double timeout_s, std::string* error,
                                    const HttpLimits& limits, std::string_view api_key) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec || endpoints.empty()) {
    *error = "cannot resolve " + host + ": " + ec.message();
    return std::nullopt;
  }
  std::string request;
  HttpRequestWriter::get(target, host + ":" + std::to_string(port), request, api_key);
  std::string in;
  std::vector<char> chunk(kReadChunkBytes);
  std::optional<std::string> body;
  std::string failure;
  bool done = false;

  auto finish = [&](std::string why) {
    failure = std::move(why);
    done = true;
  };
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk),
                           [&](const boost::system::error_code& rec, std::size_t n) {
                             if (rec) return finish("reading the response: " + rec.message());
                             in.append(chunk.data(), n);
                             HttpResponse response;
                             switch (parse_http_response(in, limits, response)) {
                               case HttpParse::NeedMore:
                                 return read_more();
                               case HttpParse::Bad:
                                 return finish("malformed HTTP response");
                               case HttpParse::Complete:
                                 if (response.status != 200) {
                                   return finish("HTTP status " + std::to_string(response.status));
                                 }
                                 body = std::string(response.body);
                                 done = true;
                                 return;
                             }
                           });
  };
  socket.async_connect(endpoints.begin()->endpoint(), [&](const boost::system::error_code& cec) {
    if (cec) return finish("connect: " + cec.message());
    asio::async_write(socket, asio::buffer(request),
                      [&](const boost::system::error_code& wec, std::size_t) {
                        if (wec) return finish("sending the request: " + wec.message());
                        read_more();
                      });
  });
  const auto deadline = Clock::now() + std::chrono::nanoseconds(seconds_to_ns(timeout_s));
  while (!done && Clock::now() < deadline) {
    io.run_one_until(deadline);
    if (io.stopped()) break;
  }
  if (!done) failure = "timed out";
  if (!body) {
    *error =
        "GET " + std::string(target) + " on " + host + ":" + std::to_string(port) + ": " + failure;
  }
  socket.close(ec);
  io.restart();
  io.poll();
  return body;
}

}  // namespace spot::bench::load
