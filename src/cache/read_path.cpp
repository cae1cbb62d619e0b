#include "spot/cache/read_path.h"

#include <algorithm>

#include "spot/cache/cache_writer.h"
#include "spot/cache/keys.h"
#include "spot/core/assert.h"
#include "spot/log/log.h"
#include "spot/metrics/metrics.h"

namespace spot {

namespace {

using Kind = ReadOutcome::Kind;

ReadOutcome outcome(Kind kind, std::string message = {}) { return ReadOutcome{kind, message, 0}; }

OrderRecord record_of(const OrderRow& row) {
  OrderRecord r;
  static_cast<OrderSpec&>(r) = row;
  r.client_order_id = row.client_order_id;
  r.id = OrderId{row.order_id};
  r.executed = row.executed;
  r.status = row.status;
  r.request_id = row.correlation_id;
  return r;
}

PostgresOptions reader_pg_options(PostgresOptions pg, const ReadOptions& reads) {
  pg.call_deadline_ms = std::min(pg.call_deadline_ms, reads.deadline_ms);
  pg.statement_timeout_ms = std::min(pg.statement_timeout_ms, reads.deadline_ms);
  return pg;
}

RedisOptions reader_redis_options(const RedisOptions* redis, const ReadOptions& reads) {
  RedisOptions r = redis != nullptr ? *redis : RedisOptions{};
  r.command_timeout_ms = reads.redis_timeout_ms;
  r.connect_timeout_ms = std::min(r.connect_timeout_ms, reads.redis_timeout_ms);
  return r;
}

}  // namespace

// One reader thread's connections.
struct ReadPath::Reader {
  Reader(const PostgresOptions& pg, const RedisOptions& redis) : pg(pg), redis(redis) {}
  PgSession pg;
  RedisSession redis;
};

ReadPath::ReadPath(ReadOptions options, PostgresOptions pg, const RedisOptions* redis,
                   const CacheWriter* cache, std::vector<SymbolSpec> symbols, Metrics* metrics,
                   const Clock& clock, Seq durable_seq, Seq projected_seq)
    : options_(options),
      pg_options_(reader_pg_options(std::move(pg), options)),
      cached_(redis != nullptr && cache != nullptr),
      redis_options_(reader_redis_options(redis, options)),
      cache_(cache),
      symbols_(std::move(symbols)),
      metrics_(metrics),
      clock_(clock),
      durable_seq_(std::move(durable_seq)),
      projected_seq_(std::move(projected_seq)),
      redis_breaker_(redis_options_.breaker, clock),
      pg_breaker_(pg_options_.breaker, clock) {
  SPOT_ASSERT(!pg_options_.url.empty(), "read path: a database to read");
  SPOT_ASSERT(options_.threads >= 1, "read path: at least one reader");
}

ReadPath::~ReadPath() { stop(); }

void ReadPath::start() {
  for (std::size_t i = 0; i < options_.threads; ++i) {
    readers_.push_back(std::make_unique<Reader>(pg_options_, redis_options_));
    threads_.emplace_back([this, r = readers_.back().get()] {
      log::set_component("reads");
      serve(*r);
    });
  }
}

void ReadPath::stop() {
  std::deque<Job> queued;
  std::vector<Job> parked;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queued.swap(queue_);
    parked.swap(parked_);
  }
  wake_.notify_all();
  for (Reader* r : [this] {
         std::vector<Reader*> v;
         for (auto& r : readers_) v.push_back(r.get());
         return v;
       }()) {
    r->pg.abort();
    r->redis.abort();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  for (Job& j : queued) j.fail(outcome(Kind::Unavailable, "spotd is shutting down"));
  for (Job& j : parked) j.fail(outcome(Kind::Unavailable, "spotd is shutting down"));
  if (metrics_ != nullptr) metrics_->read_queue(0);
}

bool ReadPath::enqueue(Job job) {
  job.deadline_ns = clock_.monotonic_ns() + options_.deadline_ms * 1'000'000;
  std::size_t depth = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() + parked_.size() >= options_.queue_max) {
      if (metrics_ != nullptr) metrics_->read_failed("queue_full");
      return false;
    }
    queue_.push_back(std::move(job));
    depth = queue_.size() + parked_.size();
  }
  if (metrics_ != nullptr) metrics_->read_queue(static_cast<double>(depth));
  wake_.notify_one();
  return true;
}

bool ReadPath::next(Job* out) {
  std::vector<Job> expired;
  bool got = false;
  {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      const std::int64_t now = clock_.monotonic_ns();
      if (!parked_.empty()) {
        const std::uint64_t projected = projected_seq_();
        for (std::size_t i = 0; i < parked_.size();) {
          if (parked_[i].min_seq <= projected || parked_[i].deadline_ns <= now) {
            queue_.push_back(std::move(parked_[i]));
            parked_[i] = std::move(parked_.back());
            parked_.pop_back();
          } else {
            ++i;
          }
        }
      }
      while (!queue_.empty()) {
        Job job = std::move(queue_.front());
        queue_.pop_front();
        if (job.deadline_ns <= now) {
          expired.push_back(std::move(job));
          continue;
        }
        if (job.min_seq > projected_seq_()) {
          parked_.push_back(std::move(job));
          continue;
        }
        *out = std::move(job);
        got = true;
        break;
      }
      if (got || !expired.empty()) break;
      if (parked_.empty()) {
        wake_.wait(lock);
      } else {
        wake_.wait_for(lock, std::chrono::milliseconds(options_.projection_poll_ms));
      }
    }
    if (metrics_ != nullptr) {
      metrics_->read_queue(static_cast<double>(queue_.size() + parked_.size()));
    }
  }
  for (Job& j : expired) {
    if (metrics_ != nullptr) metrics_->read_failed("deadline");
    j.fail(outcome(Kind::Deadline,
                   "the read was not answered within " + std::to_string(options_.deadline_ms) +
                       " ms (the database is slow or down, or the projection is behind)"));
  }
  return got || !expired.empty();
}

void ReadPath::serve(Reader& reader) {
  Job job;
  while (true) {
    job.run = nullptr;
    if (!next(&job)) return;
    if (!job.run) continue;  // only expired jobs this time
    const std::uint64_t wait_for = job.run(reader);
    if (wait_for == 0) continue;
    job.min_seq = wait_for;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      job.fail(outcome(Kind::Unavailable, "spotd is shutting down"));
    } else {
      parked_.push_back(std::move(job));
    }
  }
}

bool ReadPath::redis_allow() {
  const std::uint64_t epoch = cached_ ? cache_->epoch() : 0;
  if (epoch == 0) return false;
  std::lock_guard lock(breaker_mutex_);
  // A new epoch means the writer reached Redis again: probe now rather than after the
  // rest of the open wait.
  if (epoch != breaker_epoch_) {
    breaker_epoch_ = epoch;
    redis_breaker_.on_reachable();
  }
  return redis_breaker_.allow();
}

void ReadPath::redis_result(bool ok, std::int64_t elapsed_ns) {
  std::lock_guard lock(breaker_mutex_);
  if (ok) {
    redis_breaker_.record_success(elapsed_ns);
  } else {
    redis_breaker_.record_failure();
  }
}

std::optional<OrderRecord> ReadPath::cached_order(Reader& r, std::uint64_t order_id) {
  if (!cached_) return std::nullopt;
  const std::uint64_t epoch = cache_->epoch();
  if (!redis_allow()) {
    if (metrics_ != nullptr) metrics_->cache_request(Metrics::CacheResult::Error);
    return std::nullopt;
  }
  const std::int64_t t0 = clock_.monotonic_ns();
  RedisReply reply;
  Status s = r.redis.connected() ? Status() : r.redis.connect();
  if (s.ok())
    s = r.redis.command({"GET", CacheKeys(redis_options_.key_prefix, epoch).order(order_id)},
                        &reply);
  const bool ok = s.ok() && reply.kind != RedisReply::Kind::Error;
  redis_result(ok, clock_.monotonic_ns() - t0);
  if (!ok) {
    if (metrics_ != nullptr) metrics_->cache_request(Metrics::CacheResult::Error);
    log::debug(
        "redis read failed", {},
        {{"error", s.ok() ? reply.text : s.message()}, {"order_id", std::to_string(order_id)}});
    return std::nullopt;
  }
  std::optional<CachedOrder> cached;
  if (reply.kind == RedisReply::Kind::String) cached = decode_order(reply.text, symbols_);
  // A state that is not final was cached before the order finished: never answered.
  if (!cached || cached->record.id.value != order_id || !is_terminal(cached->record.status)) {
    if (metrics_ != nullptr) metrics_->cache_request(Metrics::CacheResult::Miss);
    return std::nullopt;
  }
  if (metrics_ != nullptr) metrics_->cache_request(Metrics::CacheResult::Hit);
  return std::move(cached->record);
}

void ReadPath::fill(Reader& r, const OrderRow& row) {
  if (!cached_) return;
  const std::uint64_t epoch = cache_->epoch();
  if (!redis_allow()) return;
  const std::int64_t t0 = clock_.monotonic_ns();
  RedisReply reply;
  Status s = r.redis.connected() ? Status() : r.redis.connect();
  // An epoch that ended meanwhile is never read again: writing into it is harmless.
  if (s.ok()) {
    s = r.redis.command({"SET", CacheKeys(redis_options_.key_prefix, epoch).order(row.order_id),
                         encode_order(row, symbols_.spec(row.symbol)), "EX",
                         std::to_string(redis_options_.order_ttl_s)},
                        &reply);
  }
  redis_result(s.ok() && reply.kind != RedisReply::Kind::Error, clock_.monotonic_ns() - t0);
}

DbError ReadPath::pg_call(Reader& r, const std::function<void(pqxx::connection&)>& work) {
  {
    std::lock_guard lock(breaker_mutex_);
    if (!pg_breaker_.allow()) {
      return DbError::availability("the database is unavailable (its circuit breaker is open)");
    }
  }
  const std::int64_t t0 = clock_.monotonic_ns();
  DbError e;
  double statements = 0;
  if (!r.pg.connected()) {
    e = r.pg.connect();
    statements += 1;  // SET statement_timeout
  }
  if (e.ok()) {
    e = r.pg.run(work);
    statements += 1;
  }
  if (metrics_ != nullptr) {
    metrics_->db_read_statements(statements);
    if (!e.ok()) metrics_->db_error(e.error_class());
  }
  std::lock_guard lock(breaker_mutex_);
  if (e.kind == DbErrorKind::Availability) {
    pg_breaker_.record_failure();
  } else {
    pg_breaker_.record_success(clock_.monotonic_ns() - t0);
  }
  return e;
}

bool ReadPath::order(AccountId account, OrderId id, OrderDone done) {
  Job job;
  auto first = std::make_shared<bool>(true);
  job.run = [this, account, id, done, first](Reader& r) -> std::uint64_t {
    const bool first_try = *first;
    *first = false;
    if (first_try) {
      if (auto cached = cached_order(r, id.value)) {
        if (cached->account != account) {
          done(outcome(Kind::NotFound), OrderRecord{});
        } else {
          done(outcome(Kind::Ok), *cached);
        }
        return 0;
      }
    }
    std::optional<OrderRow> row;
    const DbError e =
        pg_call(r, [&](pqxx::connection& c) { row = read_order(c, id.value, symbols_); });
    if (!e.ok()) {
      if (metrics_ != nullptr) metrics_->read_failed("unavailable");
      done(outcome(Kind::Unavailable, "the database did not answer: " + e.message), {});
      return 0;
    }
    if (row && is_terminal(row->status)) {
      fill(r, *row);
      if (AccountId{row->account} != account) {
        done(outcome(Kind::NotFound), OrderRecord{});
      } else {
        done(outcome(Kind::Ok), record_of(*row));
      }
      return 0;
    }
    if (first_try) {
      // Not projected in its final state yet: once the projection has passed every
      // record durable now (the order finished before the engine answered), it is.
      return std::max<std::uint64_t>(durable_seq_(), 1);
    }
    if (!row) {
      // The id of a submit the engine rejected (it uses up an id and leaves no record),
      // or of an order held in the dead-letter queue: no such order in the record.
      done(outcome(Kind::NotFound), OrderRecord{});
      return 0;
    }
    if (metrics_ != nullptr) metrics_->read_failed("not_projected");
    log::warn("order not in the database in its final state although the projection passed it", {},
              {{"order_id", std::to_string(id.value)}});
    done(outcome(Kind::NotProjected,
                 "order " + std::to_string(id.value) +
                     " is not in the database in its final state although the projection has "
                     "passed it (a record of it is held in the dead-letter queue)"),
         {});
    return 0;
  };
  job.fail = [done](ReadOutcome o) { done(o, OrderRecord{}); };
  return enqueue(std::move(job));
}

template <class Row, class Read>
bool ReadPath::rows(Read read, std::function<void(const ReadOutcome&, std::vector<Row>&&)> done) {
  Job job;
  // Every record durable now (each order acknowledged before this request among them)
  // is in the database before the read.
  job.min_seq = durable_seq_();
  job.run = [this, read, done](Reader& r) -> std::uint64_t {
    const std::uint64_t projected = projected_seq_();
    std::vector<Row> rows;
    const DbError e = pg_call(r, [&](pqxx::connection& c) { rows = read(c); });
    if (!e.ok()) {
      if (metrics_ != nullptr) metrics_->read_failed("unavailable");
      done(outcome(Kind::Unavailable, "the database did not answer: " + e.message), {});
      return 0;
    }
    ReadOutcome o = outcome(Kind::Ok);
    o.projected_seq = projected;
    done(o, std::move(rows));
    return 0;
  };
  job.fail = [done](ReadOutcome o) { done(o, {}); };
  return enqueue(std::move(job));
}

bool ReadPath::account_orders(const AccountOrdersQuery& query, OrdersDone done) {
  return rows<OrderRow>(
      [this, query](pqxx::connection& c) { return read_account_orders(c, query, symbols_); },
      std::move(done));
}

bool ReadPath::account_trades(const AccountTradesQuery& query, TradesDone done) {
  return rows<TradeRow>(
      [this, query](pqxx::connection& c) { return read_account_trades(c, query, symbols_); },
      std::move(done));
}

bool ReadPath::account_ledger(const AccountLedgerQuery& query, LedgerDone done) {
  return rows<LedgerRow>(
      [this, query](pqxx::connection& c) { return read_account_ledger(c, query, symbols_); },
      std::move(done));
}

}  // namespace spot
