// The read path for what engine memory no longer holds (DESIGN.md §2, docs/cache.md).
// Engine memory answers first and is authoritative for every live order and the recent
// history; an order that has left it (OrderReply::forgotten) is read from Redis, then
// PostgreSQL, and a PostgreSQL answer fills Redis. allOrders and myTrades are read from
// PostgreSQL through their indexes, once the projection has reached every journal
// record that was durable when the request came.
//
// Never a stale answer: an order that has left memory is finished, so only its final
// (terminal) state may answer. A cached or stored state that is not final was written
// before the order finished: the reader then waits until the projection has passed
// every record durable now (which includes the finishing one) and reads PostgreSQL
// again. Live states are only ever answered by memory, so no read returns an older
// state than one already returned for the same order.
//
// No network thread waits: reads go to a small pool of reader threads through a bounded
// queue (full: refused at once), each with its own PostgreSQL and Redis connection and
// every call under a deadline. Redis reads have their own circuit breaker; while Redis
// is unavailable (the breaker is open, or the writer has no epoch) reads go straight to
// PostgreSQL. PostgreSQL reads have theirs too.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spot/cache/redis.h"
#include "spot/core/clock.h"
#include "spot/engine/commands.h"
#include "spot/engine/symbol.h"
#include "spot/resilience/circuit_breaker.h"
#include "spot/store/postgres.h"
#include "spot/store/reads.h"

namespace spot {

class CacheWriter;
class Metrics;

// The [reads] config section.
struct ReadOptions {
  std::size_t threads = 2;  // reader threads, each with a PostgreSQL and a Redis connection
  // Reads waiting for a reader (or for the projection to catch up), at most; one more is
  // refused with 503 -1016.
  std::size_t queue_max = 1'024;
  // From arrival: a read not answered by then gets 503 -1007 (the database is slow or
  // down, or the projection is that far behind).
  std::int64_t deadline_ms = 2'000;
  std::int64_t redis_timeout_ms = 100;  // each Redis round trip (and connect), at most
  // How often a read waiting for the projection to catch up looks again.
  std::int64_t projection_poll_ms = 5;
  std::size_t default_limit = 500;  // allOrders and myTrades without limit=
  std::size_t max_limit = 1'000;    // the largest limit= accepted
  // GET /admin/v1/accounts/{id}/ledger: rows without limit=, and the largest limit=.
  std::size_t ledger_default_limit = 100;
  std::size_t ledger_max_limit = 1'000;
};

struct ReadOutcome {
  enum class Kind : std::uint8_t {
    Ok,
    NotFound,      // no such order of this account
    Unavailable,   // PostgreSQL failed (or its breaker is open), or spotd is stopping
    Deadline,      // not answered within deadline_ms
    NotProjected,  // the projection passed the order without its final state (a dead letter)
  };
  Kind kind = Kind::Ok;
  std::string message;  // for the client, when not Ok
  // The journal record the projection had reached before the read (allOrders, myTrades:
  // the answer reflects at least every record up to it).
  std::uint64_t projected_seq = 0;
};

class ReadPath {
 public:
  using Seq = std::function<std::uint64_t()>;

  // `durable_seq`: the journal's last fsynced record; `projected_seq`: the projector's
  // last committed one. `redis` null or `cache` null: no cache, reads go to PostgreSQL.
  // REQUIRES: pg.url set; everything passed outlives the read path.
  ReadPath(ReadOptions options, PostgresOptions pg, const RedisOptions* redis,
           const CacheWriter* cache, std::vector<SymbolSpec> symbols, Metrics* metrics,
           const Clock& clock, Seq durable_seq, Seq projected_seq);
  ~ReadPath();
  ReadPath(const ReadPath&) = delete;
  ReadPath& operator=(const ReadPath&) = delete;

  void start();
  // Answers what is still queued with Unavailable, then joins the readers.
  void stop();

  // The callbacks run on a reader thread (or, at stop(), the stopping one): they must
  // only hand the answer on. Each submit returns false, and never calls back, when the
  // queue is full.
  using OrderDone = std::function<void(const ReadOutcome&, const OrderRecord&)>;
  using OrdersDone = std::function<void(const ReadOutcome&, std::vector<OrderRow>&&)>;
  using TradesDone = std::function<void(const ReadOutcome&, std::vector<TradeRow>&&)>;
  using LedgerDone = std::function<void(const ReadOutcome&, std::vector<LedgerRow>&&)>;

  // Order `id` of `account`, which engine memory no longer holds (its reply said
  // forgotten): Redis, then PostgreSQL (filling Redis).
  bool order(AccountId account, OrderId id, OrderDone done);
  bool account_orders(const AccountOrdersQuery& query, OrdersDone done);
  bool account_trades(const AccountTradesQuery& query, TradesDone done);
  // Back office: an account's ledger, newest first.
  bool account_ledger(const AccountLedgerQuery& query, LedgerDone done);

  const ReadOptions& options() const { return options_; }
  const SymbolTable& symbols() const { return symbols_; }

 private:
  struct Reader;
  struct Job {
    std::int64_t deadline_ns = 0;
    std::uint64_t min_seq = 0;  // runs once projected_seq() has reached it
    // Runs on a reader: 0 when it has answered, else a journal record to wait for
    // before it runs again.
    std::function<std::uint64_t(Reader&)> run;
    std::function<void(ReadOutcome)> fail;  // answers with an error instead
  };

  bool enqueue(Job job);
  // allOrders and myTrades: `read` (one statement) once the projection has reached every
  // record durable now.
  template <class Row, class Read>
  bool rows(Read read, std::function<void(const ReadOutcome&, std::vector<Row>&&)> done);
  void serve(Reader& reader);
  // The next job whose projection is there, failing those past their deadline; false
  // when stopping.
  bool next(Job* out);

  // Redis GET of an order under the Redis breaker: the cached state if it is final.
  std::optional<OrderRecord> cached_order(Reader& r, std::uint64_t order_id);
  void fill(Reader& r, const OrderRow& row);
  // A PostgreSQL call under the PostgreSQL breaker; counts its statements.
  DbError pg_call(Reader& r, const std::function<void(pqxx::connection&)>& work);

  bool redis_allow();
  void redis_result(bool ok, std::int64_t elapsed_ns);

  const ReadOptions options_;
  const PostgresOptions pg_options_;
  const bool cached_;
  RedisOptions redis_options_;
  const CacheWriter* cache_;
  const SymbolTable symbols_;
  Metrics* metrics_;
  const Clock& clock_;
  const Seq durable_seq_;
  const Seq projected_seq_;

  std::mutex breaker_mutex_;  // guards both breakers and breaker_epoch_
  CircuitBreaker redis_breaker_;
  std::uint64_t breaker_epoch_ = 0;  // the cache epoch redis_breaker_ last saw
  CircuitBreaker pg_breaker_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;    // ready to run
  std::vector<Job> parked_;  // waiting for the projection
  bool stopping_ = false;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::vector<std::thread> threads_;
};

}  // namespace spot
