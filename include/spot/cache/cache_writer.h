// The Redis write-through: after the projector commits a batch to PostgreSQL, the
// batch's effect goes to Redis on a thread of its own, in one pipelined round trip
// (MULTI/EXEC) for an ordinary batch. Redis is never written ahead of PostgreSQL, and
// never on the matching or acknowledgement path: the projector hands each committed
// batch over through a bounded queue and never waits for Redis. Redis is only a cache
// (PostgreSQL is the record): when it is slow, down or frozen, or the queue is full,
// writes are dropped and counted, and nothing else is affected.
//
// Epochs (keys.h): every key lives under an epoch. Within one epoch, every committed
// batch since the epoch began has been written, in journal order, so each key holds the
// state as of the last batch that touched it. Whenever that cannot hold, the writer
// starts a new epoch (INCR P:epoch) before it writes again: on every (re)connect, and
// after any batch it did not write (dropped, failed, or a gap in the journal sequence).
// Nothing written before an outage is read after it, because readers read only the
// current epoch: in this process they ask epoch(); another process reads P:epoch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spot/cache/keys.h"
#include "spot/cache/redis.h"
#include "spot/core/clock.h"
#include "spot/engine/engine.h"
#include "spot/resilience/circuit_breaker.h"
#include "spot/store/projection.h"
#include "spot/store/projector.h"

namespace spot {

class Metrics;

// What one committed batch changes in the cache, taken from the batch and from the
// replica engine as of its last record.
struct CacheUpdate {
  struct OpenOrders {
    std::uint64_t account_id = 0;
    bool cached = true;  // false: more live orders than open_orders_max_ids (key deleted)
    std::vector<std::uint64_t> order_ids;
  };

  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  // Every order the batch changed, whole, in its latest state.
  std::vector<OrderRow> orders;
  // Orders the batch changed that the replica no longer remembers (finished, and past
  // engine.order_history within the batch): their keys are deleted, not left stale.
  std::vector<std::uint64_t> forgotten_orders;
  std::vector<TradeRow> trades;
  // Each account an order or trade of the batch belongs to, with all its live orders.
  std::vector<OpenOrders> open_orders;
  // Each symbol an order or trade of the batch is in: its top depth_levels levels.
  std::vector<DepthReply> depth;

  std::size_t rows() const { return orders.size() + trades.size(); }
};

// REQUIRES: `replica` has executed exactly the records of `batch`. Pure.
CacheUpdate make_cache_update(const ProjectionBatch& batch, const Engine& replica,
                              const RedisOptions& options);

// The commands that write `update` into the epoch of `keys`, in transactions of at most
// pipeline_max_commands: the trades (appended to each order's list), the orders (and the
// TTL of their trade lists), deletes of forgotten orders, the open-order sets, the depth,
// and last P:E:seq. Every key gets its kind's TTL. Pure.
std::vector<RespTransactions::Transaction> cache_commands(const CacheUpdate& update,
                                                          const CacheKeys& keys,
                                                          const SymbolTable& symbols,
                                                          const RedisOptions& options);

// What /readyz and the logs say about Redis.
struct CacheHealth {
  std::string state;  // "connecting", "up", "down", "stopped"
  BreakerState breaker = BreakerState::Closed;
  std::uint64_t epoch = 0;        // the epoch readers use; 0: none (Redis unavailable)
  std::uint64_t written_seq = 0;  // last journal record whose batch is written in it
  std::uint64_t dropped_batches = 0;
  std::size_t queued_rows = 0;
  std::string last_error;  // of the last failed round trip; empty once one succeeds
};

class CacheWriter final : public ProjectionListener {
 public:
  // REQUIRES: options.url set; `clock` outlives the writer.
  CacheWriter(RedisOptions options, std::vector<SymbolSpec> symbols, Metrics* metrics,
              const Clock& clock);
  ~CacheWriter() override;

  void start();
  // Writes what is queued for at most `drain`, then stops (a round trip still in
  // progress then is cut off). REQUIRES: the projector has stopped (nothing more comes).
  void stop(std::chrono::milliseconds drain);

  // ProjectionListener, on the projector thread: never blocks on Redis.
  void sealed(const ProjectionBatch& batch, const Engine& replica) override;
  void committed(const ProjectionBatch& batch) override;

  // The epoch a reader in this process reads; 0 while there is none to read (not yet
  // connected, or since a round trip failed or a batch was dropped for the breaker, until
  // the next epoch begins). Any thread.
  std::uint64_t epoch() const { return published_epoch_.load(std::memory_order_acquire); }

  CacheHealth health() const;

 private:
  void run();
  // Writes one update, a transaction per round trip, each under the breaker; on any
  // failure the rest is dropped and the next write starts a new epoch.
  void write(const CacheUpdate& update);
  // Connects if need be and starts a new epoch if one is due (a reconnect, a gap).
  Status ensure_epoch(std::uint64_t first_seq);
  void drop(const char* reason, std::size_t batches);
  void note_error(const Status& error);
  void set_health(const std::function<void(CacheHealth&)>& change);
  bool stopping_past_deadline() const;

  const RedisOptions options_;
  const SymbolTable symbols_;
  Metrics* metrics_;
  const Clock& clock_;
  RedisSession session_;
  CircuitBreaker breaker_;  // cache thread only

  // Projector thread only.
  CacheUpdate pending_;
  bool pending_valid_ = false;

  // Cache thread only.
  std::uint64_t epoch_ = 0;     // the epoch being written; 0: none
  bool need_epoch_ = true;      // the next write must start a new epoch first
  std::uint64_t next_seq_ = 0;  // first_seq a batch must have to continue the epoch
  std::int64_t last_ping_ns_ = 0;

  // Any thread.
  std::atomic<std::uint64_t> published_epoch_{0};
  std::atomic<bool> accepting_{true};  // false while the breaker is open: skip the work

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<CacheUpdate> queue_;
  std::size_t queued_rows_ = 0;
  CacheHealth health_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::thread thread_;
};

}  // namespace spot
