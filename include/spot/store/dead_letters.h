// The dead-letter queue (DLQ): journal records PostgreSQL refused for a reason that
// retrying cannot fix (a data error, SQLSTATE 22 or 23), kept in the dead_letters table
// with the rows the projector tried to write, so that an operator can see why, fix the
// cause and replay them (docs/runbook-dlq.md).
//
// Three pieces:
// - DeadLetter and its payload: pure, what one refused record becomes.
// - DeadLetterStore: the table's operations for the admin API (list, get, replay,
//   discard) on a connection of its own. One thread at a time.
// - DeadLetterQueue: a thread that runs those operations for the admin listener (whose
//   I/O threads never wait on the database), and moves spilled entries
//   (store/dead_letter_spill.h) into the table whenever the database is there.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "spot/core/status.h"
#include "spot/engine/symbol.h"
#include "spot/journal/file_system.h"
#include "spot/store/postgres.h"
#include "spot/store/projection.h"

namespace spot {

class Metrics;
class DeadLetterSpill;

// The [dlq] config section.
struct DeadLetterOptions {
  std::size_t page_default = 50;         // entries GET /admin/v1/dlq returns without limit=
  std::size_t page_max = 500;            // largest limit= it accepts
  std::size_t replay_all_max = 1'000;    // entries one POST /admin/v1/dlq/replay replays at most
  std::size_t max_reason_bytes = 1'024;  // longest discard reason
  std::size_t max_actor_bytes = 64;      // longest "by" name
  // Admin DLQ requests waiting for the DLQ thread; more are answered 503 at once.
  std::size_t max_queued_requests = 16;
  // While the spill file holds entries, how often the DLQ thread tries to move them
  // into the table.
  std::int64_t spill_retry_ms = 1'000;
  // A replay marks its entry REPLAYING before it writes; an entry still REPLAYING this
  // long after (the replay was cut off: spotd died, the connection broke) may be
  // replayed again. Replays are idempotent, so a second one cannot double-apply.
  std::int64_t replay_stale_ms = 60'000;
};

enum class DeadLetterStatus : std::uint8_t { Pending, Replaying, Resolved, Discarded };
// "PENDING", "REPLAYING", "RESOLVED", "DISCARDED".
std::string_view to_string(DeadLetterStatus status);
std::optional<DeadLetterStatus> parse_dead_letter_status(std::string_view text);

// One new entry of the table: a journal record refused with a data error.
struct DeadLetter {
  std::string idempotency_key;  // "<entity>:<entity_id>:<journal_seq>"
  std::uint64_t journal_seq = 0;
  std::string entity;  // "order", "account", or "balance" (a transfer): whose row the record wrote
  std::uint64_t entity_id = 0;
  std::string correlation_id;
  std::string payload;  // JSON text: payload_json()
  std::string error_class;
  std::string sqlstate;
  std::string message;
  std::int64_t failed_at_us = 0;  // µs since the Unix epoch

  bool operator==(const DeadLetter&) const = default;
};

// The rows of `batch` as the payload JSON of a dead letter:
//   {"journal_seq":N,"orders":[...],"fills":[...],"trades":[...],"accounts":[...],
//    "ledger":[...],"balances":[...]}
// each row an object of the columns the projector writes (decimals as exact strings,
// times as µs since the epoch), so that an operator reads what failed and a replay
// writes exactly what the projector would have.
std::string payload_json(const ProjectionBatch& batch, const SymbolTable& symbols);

// The parameters of sql::kReplayRows for a payload; Corruption if it is not one that
// payload_json wrote.
Status replay_params(std::string_view payload, std::vector<std::string>* params);

// The dead letter of the one record `batch` holds, refused with `error`.
// REQUIRES: batch.records() == 1.
DeadLetter make_dead_letter(const ProjectionBatch& batch, const DbError& error,
                            const SymbolTable& symbols, std::int64_t failed_at_us);

namespace sql {
// Inserts a dead letter ($1..$10: the fields of DeadLetter in declaration order, the
// time as µs); nothing if its idempotency key is there already.
extern const char* const kInsertDeadLetter;
// The projector's first statement on a connection: its checkpoint, the orders with a
// PENDING or REPLAYING dead letter ("1,7,42"), and the entries by status
// ("PENDING=2,RESOLVED=5"), in one round trip.
extern const char* const kReadCheckpointAndParked;
// The parked orders alone, as above.
extern const char* const kReadParked;
}  // namespace sql

// "1,7,42" -> {1, 7, 42}; "PENDING=2,RESOLVED=5" -> counts by status.
std::vector<std::uint64_t> parse_id_list(std::string_view text);
std::vector<std::pair<std::string, double>> parse_status_counts(std::string_view text);

// What an admin operation came to; `body` is JSON for the response.
struct DeadLetterAnswer {
  enum class Kind : std::uint8_t {
    Ok,
    BadRequest,    // a parameter out of range
    NotFound,      // no entry with that id
    Conflict,      // not in a state that allows it (resolved, discarded, being replayed)
    ReplayFailed,  // the rows were refused again: the entry is PENDING, attempts + 1
    Unavailable,   // the database did not answer
  };
  Kind kind = Kind::Ok;
  std::string body;     // the entry, the page, or the replay summary
  std::string message;  // why, when not Ok
};

struct DeadLetterFilter {
  std::string status;           // empty: any
  std::string entity;           // empty: any
  std::uint64_t entity_id = 0;  // 0: any
  std::uint64_t after_id = 0;   // entries with a greater id
  std::size_t limit = 0;        // 0: options.page_default
};

// The table's operations, on a connection of its own (opened at first use). Every
// action that changes an entry records who (`actor`) and when, in the entry's actions.
// Not thread-safe: one thread (the DLQ thread).
class DeadLetterStore {
 public:
  DeadLetterStore(PostgresOptions postgres, DeadLetterOptions options, Metrics* metrics);

  // A page of entries (without payloads), oldest first:
  // {"entries":[...],"next":ID or null}.
  DeadLetterAnswer list(const DeadLetterFilter& filter);
  // One entry with its payload and actions.
  DeadLetterAnswer get(std::uint64_t id);
  // Writes the entry's rows again. Under a row lock the entry goes PENDING ->
  // REPLAYING (committed), then its rows and RESOLVED commit together; rows refused
  // again put it back to PENDING with attempts + 1 and the new error. A concurrent
  // replay of the same entry gets Conflict; so does an entry with an earlier
  // unresolved entry of the same order or account (replay that one first).
  DeadLetterAnswer replay(std::uint64_t id, const std::string& actor);
  // Every PENDING entry, in journal order, up to options.replay_all_max; an entry
  // whose order or account had an earlier entry fail in this call is skipped.
  // {"resolved":N,"failed":N,"skipped":N,"more":bool,"results":[{"id","result","message"}]}
  DeadLetterAnswer replay_pending(const std::string& actor);
  // PENDING -> DISCARDED with the reason in the entry's note.
  DeadLetterAnswer discard(std::uint64_t id, const std::string& actor, const std::string& reason);

  // Inserts entries (a spilled batch) in one transaction; existing keys are skipped.
  DbError insert(const std::vector<DeadLetter>& letters);
  // Sets spot_dlq_entries{status} from the table.
  DbError refresh_gauges();

  const DeadLetterOptions& options() const { return options_; }

 private:
  // Connects if needed, then runs `work`; counts `statements`.
  DbError run(const std::function<void(pqxx::connection&)>& work, int* statements);
  void count(int statements);
  DeadLetterAnswer unavailable(const DbError& error);

  PgSession session_;
  DeadLetterOptions options_;
  Metrics* metrics_;
};

// The DLQ thread: runs admin jobs on the store, one at a time, and moves the spill
// file into the table while it holds entries.
class DeadLetterQueue {
 public:
  using Job = std::function<void(DeadLetterStore&)>;

  // `spill` must outlive the queue.
  DeadLetterQueue(PostgresOptions postgres, DeadLetterOptions options, DeadLetterSpill& spill,
                  Metrics* metrics);
  ~DeadLetterQueue();

  // `changed` runs on the DLQ thread after every job (an operator may have resolved or
  // discarded entries: the projector reads its parked orders again).
  void start(std::function<void()> changed = {});
  void stop();

  // Runs `job` on the DLQ thread; false (the job is dropped) when
  // options.max_queued_requests jobs are waiting already or the queue is stopped.
  bool post(Job job);
  // Dead letters were written or spilled: the thread moves the spill file into the
  // table and refreshes spot_dlq_entries.
  void notify();

  const DeadLetterOptions& options() const { return store_.options(); }

 private:
  void run();
  void drain_spill();

  DeadLetterStore store_;
  DeadLetterSpill& spill_;
  Metrics* metrics_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::function<void()> changed_;
  bool notified_ = false;
  bool stopping_ = false;
  bool drain_failed_logged_ = false;  // DLQ thread only
  std::thread thread_;
};

}  // namespace spot
