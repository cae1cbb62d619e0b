#include "spot/cache/cache_writer.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "spot/log/log.h"
#include "spot/metrics/metrics.h"

namespace spot {

namespace {

using SteadyClock = std::chrono::steady_clock;

void sort_unique(std::vector<std::uint64_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

CacheUpdate make_cache_update(const ProjectionBatch& batch, const Engine& replica,
                              const RedisOptions& options) {
  CacheUpdate u;
  u.first_seq = batch.first_seq();
  u.last_seq = batch.last_seq();
  u.orders = batch.new_orders();
  {
    std::vector<OrderRow> changed = batch.changed_orders();
    u.orders.insert(u.orders.end(), std::make_move_iterator(changed.begin()),
                    std::make_move_iterator(changed.end()));
  }
  // Orders of earlier batches only filled here: the batch has what changed, the replica
  // (at the batch's last record, the same state) the rest of the order.
  for (const OrderFillRow& f : batch.fills()) {
    const OrderRecord* r = replica.find(OrderId{f.order_id});
    if (r == nullptr || r->qty - r->executed != f.leaves || r->status != f.status) {
      u.forgotten_orders.push_back(f.order_id);
      continue;
    }
    OrderRow row;
    static_cast<OrderSpec&>(row) = *r;
    row.order_id = f.order_id;
    row.executed = r->executed;
    row.status = r->status;
    row.client_order_id = r->client_order_id;
    row.correlation_id = r->request_id;
    row.journal_seq = f.journal_seq;
    row.updated_us = f.updated_us;
    u.orders.push_back(std::move(row));
  }
  u.trades = batch.trades();

  std::vector<std::uint64_t> accounts;
  std::vector<std::uint64_t> symbols;
  for (const OrderRow& o : u.orders) {
    accounts.push_back(o.account.value);
    symbols.push_back(o.symbol);
  }
  for (const TradeRow& t : u.trades) {
    accounts.push_back(t.maker_account_id);
    accounts.push_back(t.taker_account_id);
    symbols.push_back(t.symbol);
  }
  sort_unique(accounts);
  sort_unique(symbols);
  u.open_orders.reserve(accounts.size());
  for (const std::uint64_t a : accounts) {
    CacheUpdate::OpenOrders open;
    open.account_id = a;
    open.order_ids = replica.open_order_ids(AccountId{a});
    if (open.order_ids.size() > options.open_orders_max_ids) {
      open.cached = false;
      open.order_ids.clear();
    }
    u.open_orders.push_back(std::move(open));
  }
  u.depth.reserve(symbols.size());
  for (const std::uint64_t s : symbols) {
    u.depth.push_back(replica.depth(GetDepth{static_cast<SymbolId>(s), options.depth_levels}));
  }
  return u;
}

std::vector<RespTransactions::Transaction> cache_commands(const CacheUpdate& update,
                                                          const CacheKeys& keys,
                                                          const SymbolTable& symbols,
                                                          const RedisOptions& options) {
  RespTransactions out(options.pipeline_max_commands);
  const auto set_ex = [&out](const std::string& key, const std::string& value, std::int64_t ttl_s) {
    out.command(5);
    out.arg(std::string_view("SET"));
    out.arg(key);
    out.arg(value);
    out.arg(std::string_view("EX"));
    out.arg(ttl_s);
  };
  for (const TradeRow& t : update.trades) {
    const std::string value = encode_trade(t, symbols.spec(t.symbol));
    for (const std::uint64_t order : {t.maker_order_id, t.taker_order_id}) {
      out.command(3);
      out.arg(std::string_view("RPUSH"));
      out.arg(keys.trades(order));
      out.arg(value);
    }
  }
  for (const OrderRow& o : update.orders) {
    set_ex(keys.order(o.order_id), encode_order(o, symbols.spec(o.symbol)), options.order_ttl_s);
    if (o.executed > 0) {
      // The trade list lives as long as its order's key.
      out.command(3);
      out.arg(std::string_view("EXPIRE"));
      out.arg(keys.trades(o.order_id));
      out.arg(options.trades_ttl_s);
    }
  }
  for (const std::uint64_t id : update.forgotten_orders) {
    out.command(3);
    out.arg(std::string_view("DEL"));
    out.arg(keys.order(id));
    out.arg(keys.trades(id));
  }
  for (const CacheUpdate::OpenOrders& open : update.open_orders) {
    if (open.cached) {
      set_ex(keys.open_orders(open.account_id), encode_open_orders(update.last_seq, open.order_ids),
             options.open_orders_ttl_s);
    } else {
      out.command(2);
      out.arg(std::string_view("DEL"));
      out.arg(keys.open_orders(open.account_id));
    }
  }
  for (const DepthReply& d : update.depth) {
    const SymbolSpec& spec = symbols.spec(d.symbol);
    set_ex(keys.depth(spec.name), encode_depth(update.last_seq, d, spec), options.depth_ttl_s);
  }
  const std::int64_t longest = std::max(
      {options.order_ttl_s, options.trades_ttl_s, options.open_orders_ttl_s, options.depth_ttl_s});
  set_ex(keys.seq(), std::to_string(update.last_seq), longest);
  return out.take();
}

CacheWriter::CacheWriter(RedisOptions options, std::vector<SymbolSpec> symbols, Metrics* metrics,
                         const Clock& clock)
    : options_(std::move(options)),
      symbols_(std::move(symbols)),
      metrics_(metrics),
      clock_(clock),
      session_(options_),
      breaker_(options_.breaker, clock, [this](BreakerState from, BreakerState to) {
        if (metrics_ != nullptr) {
          metrics_->breaker_transition("redis", std::string(to_string(to)),
                                       static_cast<double>(to));
        }
        log::warn("redis circuit breaker", {},
                  {{"from", std::string(to_string(from))}, {"to", std::string(to_string(to))}});
        accepting_.store(to != BreakerState::Open, std::memory_order_release);
        set_health([to](CacheHealth& h) {
          h.breaker = to;
          if (to == BreakerState::Open) h.state = "down";
        });
      }) {
  health_.state = "connecting";
}

CacheWriter::~CacheWriter() { stop(std::chrono::milliseconds(0)); }

void CacheWriter::start() {
  thread_ = std::thread([this] {
    log::set_component("cache");
    run();
  });
}

void CacheWriter::stop(std::chrono::milliseconds drain) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!thread_.joinable()) return;
  if (!stopping_) {
    stopping_ = true;
    stop_deadline_ = SteadyClock::now() + drain;
  }
  wake_.notify_all();
  if (!wake_.wait_until(lock, stop_deadline_, [this] { return health_.state == "stopped"; })) {
    lock.unlock();
    session_.abort();  // cut off a round trip still in progress
  } else {
    lock.unlock();
  }
  thread_.join();
}

CacheHealth CacheWriter::health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  CacheHealth h = health_;
  h.epoch = epoch();
  h.queued_rows = queued_rows_;
  return h;
}

void CacheWriter::set_health(const std::function<void(CacheHealth&)>& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  change(health_);
}

void CacheWriter::sealed(const ProjectionBatch& batch, const Engine& replica) {
  pending_valid_ = false;
  // Work that would only be dropped is not done: while the breaker is open, or while the
  // queue is full.
  if (!accepting_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queued_rows_ >= options_.queue_max_rows) return;
  }
  pending_ = make_cache_update(batch, replica, options_);
  pending_valid_ = true;
}

void CacheWriter::committed(const ProjectionBatch& batch) {
  if (!pending_valid_ || pending_.first_seq != batch.first_seq() ||
      pending_.last_seq != batch.last_seq()) {
    drop(accepting_.load(std::memory_order_acquire) ? "queue_full" : "unavailable", 1);
    return;
  }
  pending_valid_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A batch larger than the whole queue is taken only into an empty queue.
    if (!queue_.empty() && queued_rows_ + pending_.rows() > options_.queue_max_rows) {
      health_.dropped_batches += 1;
      if (metrics_ != nullptr) metrics_->cache_dropped("queue_full", 1);
      return;
    }
    queued_rows_ += pending_.rows();
    queue_.push_back(std::move(pending_));
  }
  pending_ = CacheUpdate{};
  wake_.notify_all();
}

void CacheWriter::drop(const char* reason, std::size_t batches) {
  if (batches == 0) return;
  if (metrics_ != nullptr) metrics_->cache_dropped(reason, static_cast<double>(batches));
  set_health([batches](CacheHealth& h) { h.dropped_batches += batches; });
}

void CacheWriter::note_error(const Status& error) {
  bool changed = false;
  set_health([&](CacheHealth& h) {
    changed = h.last_error != error.message();
    h.last_error = error.message();
    h.state = "down";
  });
  if (changed) log::warn("redis call failed", {}, {{"error", error.message()}});
}

Status CacheWriter::ensure_epoch(std::uint64_t first_seq) {
  const char* why = nullptr;
  if (!session_.connected()) {
    const Status s = session_.connect();
    if (!s.ok()) return s;
    need_epoch_ = true;
  }
  if (need_epoch_) {
    why = epoch_ == 0 ? "first connection" : "reconnected or a write failed";
  } else if (first_seq != next_seq_) {
    why = "a batch was not written";
  }
  if (why == nullptr) return Status();
  const std::string counter = CacheKeys::epoch_counter(options_.key_prefix);
  RedisReply reply;
  Status s = session_.command({"INCR", counter}, &reply);
  if (!s.ok()) return s;
  if (reply.kind != RedisReply::Kind::Integer || reply.integer < 1) {
    return Status::io_error("redis INCR " + counter + ": " + reply.text);
  }
  auto epoch = static_cast<std::uint64_t>(reply.integer);
  if (epoch <= epoch_) {
    // The counter went back (a server restarted without persistence): epochs still only
    // rise in this process, so no reader here can take a new epoch for an old one.
    epoch = epoch_ + 1;
    s = session_.command({"SET", counter, std::to_string(epoch)}, &reply);
    if (!s.ok()) return s;
    if (reply.kind == RedisReply::Kind::Error) {
      return Status::io_error("redis SET " + counter + ": " + reply.text);
    }
  }
  epoch_ = epoch;
  need_epoch_ = false;
  published_epoch_.store(epoch, std::memory_order_release);
  if (metrics_ != nullptr) metrics_->cache_epoch(static_cast<double>(epoch));
  log::info("redis cache epoch", {},
            {{"epoch", std::to_string(epoch)},
             {"reason", why},
             {"first_seq", std::to_string(first_seq)}});
  return Status();
}

void CacheWriter::write(const CacheUpdate& update) {
  const auto t0 = SteadyClock::now();
  const auto fail = [&](const Status& s) {
    breaker_.record_failure();
    session_.close();
    need_epoch_ = true;
    published_epoch_.store(0, std::memory_order_release);
    drop("unavailable", 1);
    note_error(s);
  };
  if (!breaker_.allow()) {
    need_epoch_ = true;
    published_epoch_.store(0, std::memory_order_release);
    drop("unavailable", 1);
    return;
  }
  std::int64_t call_ns = clock_.monotonic_ns();
  Status s = ensure_epoch(update.first_seq);
  if (!s.ok()) return fail(s);
  const std::vector<RespTransactions::Transaction> transactions =
      cache_commands(update, CacheKeys(options_.key_prefix, epoch_), symbols_, options_);
  std::size_t commands = 0;
  for (std::size_t i = 0; i < transactions.size(); ++i) {
    if (i > 0) {
      if (!breaker_.allow()) {
        // Opened meanwhile (by a slow round trip): the rest is not written.
        need_epoch_ = true;
        published_epoch_.store(0, std::memory_order_release);
        drop("unavailable", 1);
        return;
      }
      call_ns = clock_.monotonic_ns();
    }
    s = session_.transaction(transactions[i]);
    if (!s.ok()) return fail(s);
    breaker_.record_success(clock_.monotonic_ns() - call_ns);
    commands += transactions[i].commands + 2;
  }
  next_seq_ = update.last_seq + 1;
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  if (metrics_ != nullptr) metrics_->cache_write(seconds, static_cast<double>(commands));
  set_health([&](CacheHealth& h) {
    h.state = "up";
    h.written_seq = update.last_seq;
    h.last_error.clear();
  });
}

void CacheWriter::run() {
  // Order entry first, as the projector: the cache takes what CPU is left.
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19) != 0) {
    log::warn("cannot lower the cache thread's priority", {}, {{"error", std::strerror(errno)}});
  }
  const auto interval = std::chrono::milliseconds(options_.ping_interval_ms);
  while (true) {
    CacheUpdate update;
    bool have = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, interval, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_ && (queue_.empty() || SteadyClock::now() >= stop_deadline_)) {
        const std::size_t left = queue_.size();
        queue_.clear();
        queued_rows_ = 0;
        lock.unlock();
        drop("unavailable", left);
        break;
      }
      if (!queue_.empty()) {
        update = std::move(queue_.front());
        queue_.pop_front();
        queued_rows_ -= update.rows();
        have = true;
      }
      if (metrics_ != nullptr) metrics_->cache_queue_rows(static_cast<double>(queued_rows_));
    }
    if (breaker_.state() == BreakerState::Open) {
      // Open: a server that answers again lets the probe go at once instead of after the
      // rest of the open wait.
      const std::int64_t now = clock_.monotonic_ns();
      if (now - last_ping_ns_ >= options_.ping_interval_ms * 1'000'000) {
        last_ping_ns_ = now;
        if (session_.ping(options_.connect_timeout_ms)) {
          breaker_.on_reachable();
        } else {
          session_.close();
        }
      }
    }
    accepting_.store(breaker_.state() != BreakerState::Open, std::memory_order_release);
    if (have) write(update);
  }
  session_.close();
  published_epoch_.store(0, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    health_.state = "stopped";
  }
  wake_.notify_all();
}

}  // namespace spot
