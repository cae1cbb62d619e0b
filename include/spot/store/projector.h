// The projector: its own thread follows the durable journal from the checkpoint stored
// in PostgreSQL, executes each record on a replica engine to learn the rows it wrote,
// and commits them in batches, the new checkpoint in the same transaction. It never
// touches the matching thread or acknowledgements: when the database is slow or gone,
// it falls behind (the backlog is the journal on disk, which it holds back from
// deletion), and it catches up when the database returns.
//
// Why a replica of its own rather than the snapshot thread's: the two must be at
// different places in the journal. The projector's position is the database
// checkpoint, which may lag by an outage; a shared replica would either stop snapshots
// while the database is away or hold the derived rows of the whole backlog in memory.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "spot/core/clock.h"
#include "spot/engine/engine.h"
#include "spot/journal/file_system.h"
#include "spot/journal/reader.h"
#include "spot/resilience/circuit_breaker.h"
#include "spot/resilience/retry.h"
#include "spot/store/dead_letters.h"
#include "spot/store/postgres.h"
#include "spot/store/projection.h"

namespace spot {

class Metrics;
class DeadLetterSpill;

struct ProjectorOptions {
  PostgresOptions postgres;
  std::string journal_dir;
  std::vector<SymbolSpec> symbols;  // as the matching engine has them
  EngineLimits limits;              // as the matching engine has them (replay is exact)
  std::int64_t follow_ms = 20;      // how often an idle projector looks for new records
};

// What /readyz and the logs say about the database.
struct ProjectorHealth {
  std::string state;  // "connecting", "up", "down", "stopped"
  BreakerState breaker = BreakerState::Closed;
  std::uint64_t checkpoint = 0;   // last committed journal record (0: not known yet)
  std::uint64_t durable_seq = 0;  // last durable journal record
  std::uint64_t lag_events = 0;
  double lag_seconds = 0;
  int schema_version = 0;
  std::string last_error;  // of the last failed call; empty once a call succeeds
};

// What follows the projection (the Redis cache, cache/): told of every batch the
// projector commits, on the projector thread. Neither call may block (they run between
// the projector's journal reads and its database writes) and neither may keep a
// reference to what it is given.
class ProjectionListener {
 public:
  virtual ~ProjectionListener() = default;
  // `batch` is complete and about to be written; `replica` has executed exactly its
  // records (its state is the state as of batch.last_seq()). A batch that is not
  // committed after all (a data error, the checkpoint moved) is followed by another
  // sealed() and no committed(): each committed() is for the batch sealed last.
  virtual void sealed(const ProjectionBatch& batch, const Engine& replica) = 0;
  // The batch sealed last is committed (its rows and the checkpoint at its last_seq).
  virtual void committed(const ProjectionBatch& batch) = 0;
};

class Projector {
 public:
  using DurableSeq = std::function<std::uint64_t()>;
  // Dead letters the projector has just committed (a record PostgreSQL refused with a
  // data error, or the rows of a later record held behind an order's dead letter).
  using DeadLettered = std::function<void(const std::vector<DeadLetter>&)>;

  // Dead letters. A record PostgreSQL refuses with a data error (SQLSTATE 22, 23) is
  // written to dead_letters in the transaction that moves the checkpoint past it. If that
  // transaction fails for want of the database, the dead letter goes to `spill` (fsynced)
  // first, so that it is never only in memory, and the transaction is retried as any
  // call; the DLQ thread moves the spilled copy (a duplicate key then, skipped). Then the
  // order is *parked*: what later batches write of it (its whole row, a fill) becomes a
  // dead letter of its own, in journal order, so that a replay applies everything in
  // sequence; the rest of those batches (the taker's row, the trade) commits as usual.
  // The parked orders (those with a PENDING or REPLAYING dead letter) are read at every
  // connection, so parking survives a restart; parked_changed() (an operator resolved or
  // discarded entries) makes the projector read them again before its next write. With
  // no order parked none of this costs a statement. `spill` may be null (no spill).
  Projector(FileSystem& fs, ProjectorOptions options, DurableSeq durable_seq, Metrics* metrics,
            const Clock& clock, DeadLetterSpill* spill = nullptr, DeadLettered dead_lettered = {});
  ~Projector();

  void start();
  // Commits what is durable at the time of the call, for at most `drain`, then stops
  // (a call still in progress then is cut off). What is left is projected after the
  // next start, from the checkpoint.
  void stop(std::chrono::milliseconds drain);

  // The last journal record whose rows are committed; 0 until the projector has read
  // the checkpoint. Snapshot retention holds the journal after it.
  std::uint64_t committed_seq() const { return committed_seq_.load(std::memory_order_acquire); }

  ProjectorHealth health() const;

  // From any thread: dead letters were resolved or discarded; the parked orders are read
  // again before the next write.
  void parked_changed() { reload_parked_.store(true, std::memory_order_release); }

  // REQUIRES: called before start(); `listener` outlives the projector's thread.
  void set_listener(ProjectionListener* listener) { listener_ = listener; }

 private:
  enum class Outcome { Ok, DataError, Stopped };

  void run();
  // Connects, applies migrations, takes the projector lock and reads the checkpoint.
  DbError establish(std::uint64_t* checkpoint);
  // Rebuilds the replica at `checkpoint` from the newest snapshot at or before it.
  Status resync(std::uint64_t checkpoint);
  // Reads durable records into batch_, up to the batch limit.
  Status fill();
  // Reads durable records into `batch` until it holds `limit` records or no more are
  // durable.
  Status read_into(ProjectionBatch& batch, std::size_t limit);
  // While batch_ is written (a full batch: the journal holds more), the records after it
  // are read into next_batch_ on a second thread, so that the journal read and the
  // replica's execution overlap the server's work instead of taking turns with it.
  void start_read_ahead();
  // Waits for the read-ahead, if one runs. If `keep` (the write succeeded) and batch_ was
  // committed, the records read ahead become batch_; otherwise they are dropped and the
  // replica, which is past them, is synced again from the checkpoint.
  void finish_read_ahead(bool keep);
  // After a batch took `seconds` to write: halves the cap when that was more than half
  // of breaker_slow_call_ms, doubles it (up to batch_max_records) when a full batch took
  // under a quarter.
  void adapt_batch_cap(double seconds);
  // Writes the batch (or, if `skip`, only moves the checkpoint past it), and `letters`
  // in the same transaction.
  DbError write_batch(bool skip, const std::vector<DeadLetter>& letters = {});
  // The two ways write_batch writes: as one statement (kWriteBatch; with dead letters, in
  // a transaction with their inserts), or, for at least copy_min_rows new rows, as a
  // transaction that COPYs them. Either sets `moved` (and writes nothing) when the
  // checkpoint is not at `from`.
  DbError write_statement(std::uint64_t from, std::uint64_t to, bool skip, bool* moved,
                          const std::vector<DeadLetter>& letters);
  DbError write_copy(std::uint64_t from, std::uint64_t to, bool* moved,
                     const std::vector<DeadLetter>& letters);
  // The refused one-record batch_: its dead letter and the checkpoint past it, committed
  // together (spilled first if the database is not there). Stopped, or Ok.
  Outcome set_aside(const DbError& refused);
  // What batch_ writes of parked orders: taken out of it, one dead letter per order (its
  // state after the batch, keyed on the last record that changed it; empty if the batch
  // touches none). The rest of the batch is written as usual.
  std::vector<DeadLetter> park();
  // The orders with a PENDING or REPLAYING dead letter, from the table.
  DbError read_parked();
  // Runs `op` under the breaker, with backoff retries, until it succeeds, fails with a
  // data error, or the projector stops.
  Outcome call(const std::function<DbError()>& op, DbError* data_error);
  // Sleeps up to `d`, waking early when stopping; false if the stop deadline passed.
  bool pause(std::chrono::nanoseconds d);
  bool past_stop_deadline() const;
  void note_error(const DbError& error);
  void set_health(const std::function<void(ProjectorHealth&)>& change);
  void report_lag();

  FileSystem& fs_;
  ProjectorOptions options_;
  DurableSeq durable_seq_;
  Metrics* metrics_;
  const Clock& clock_;
  DeadLetterSpill* spill_;
  DeadLettered dead_lettered_;
  ProjectionListener* listener_ = nullptr;
  SymbolTable symbols_;
  PgSession session_;
  const std::string session_name_;  // application_name of its sessions (session_name())
  CircuitBreaker breaker_;
  RetryPolicy retry_;

  // Projector thread only.
  std::unique_ptr<Engine> replica_;
  std::unique_ptr<JournalReader> reader_;
  LedgerBuffer ledger_;  // the replica's ledger sink: the changes of the record executing
  ProjectionBatch batch_;
  ProjectionBatch next_batch_;  // the read-ahead's, while batch_ is written
  std::future<Status> read_ahead_;
  std::atomic<bool> cancel_read_ahead_{false};
  std::size_t batch_cap_ = 0;  // records per batch now (adapt_batch_cap)
  bool synced_ = false;        // replica_ and reader_ are at committed_seq_ + batch
  bool migrated_ = false;      // migrations applied once per process
  bool last_call_failed_ = false;
  // note_error logs an error once when it appears, then once per kRepeatLogNs while it
  // repeats (with how many times it did), so a long outage is never silent in the log.
  static constexpr std::int64_t kRepeatLogNs = 5'000'000'000;
  std::int64_t error_logged_ns_ = 0;
  std::uint64_t error_repeats_ = 0;
  // After a data error: batches up to here are split, isolate_limit_ records each (half
  // of the refused batch; halved at each refusal, doubled at each commit), until the
  // refused record is a batch of its own.
  std::uint64_t isolate_until_ = 0;
  std::size_t isolate_limit_ = 1;
  std::unordered_set<std::uint64_t> parked_orders_;  // orders with an unresolved dead letter
  std::atomic<bool> reload_parked_{false};
  std::chrono::steady_clock::time_point batch_started_;

  std::atomic<std::uint64_t> committed_seq_{0};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  ProjectorHealth health_;
  bool stopping_ = false;
  bool exited_ = false;
  std::uint64_t drain_target_ = 0;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::thread thread_;
};

}  // namespace spot
