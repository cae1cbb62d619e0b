#include "spot/store/projector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
#include <random>

#include "spot/core/crash_point.h"
#include "spot/journal/snapshot.h"
#include "spot/log/log.h"
#include "spot/metrics/metrics.h"
#include "spot/store/dead_letter_spill.h"
#include "spot/store/migrations.h"

namespace spot {

namespace {

// pg_try_advisory_lock key held by the projecting spotd for as long as it is
// connected: "spotd" in ASCII, then 2.
constexpr std::int64_t kProjectorLock = 0x73706f7464'02;

using SteadyClock = std::chrono::steady_clock;

// What the projector's sessions call themselves (application_name): unique to this
// process, so that a session it orphaned can be told from another spotd's.
std::string session_name() {
  std::random_device random;
  char name[48];
  std::snprintf(name, sizeof(name), "spotd projector %08x%08x", random(), random());
  return name;
}

std::uint64_t seed_from_clock(const Clock& clock) {
  return static_cast<std::uint64_t>(clock.monotonic_ns()) ^ 0x9e3779b97f4a7c15ull;
}

// Order entry first: like the snapshot thread, the projector's threads take the CPU
// matching, the journal and the network leave (nice 19 still guarantees them a share, so
// under full load the projection lags, on disk, and catches up after).
void lower_priority(const char* thread) {
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19) != 0) {
    log::warn("cannot lower a projector thread's priority", {},
              {{"thread", thread}, {"error", std::strerror(errno)}});
  }
}

// The server answered, and failed this statement for what it did rather than for being
// unavailable: it cancelled it at statement_timeout (57014), or aborted it as a
// serialization failure or deadlock (class 40). Retried like any availability error; a
// call that spends its retries on it is treated as refused (Projector::call).
bool fails_per_statement(const DbError& error) {
  return error.sqlstate == "57014" || error.sqlstate.starts_with("40");
}

// The read-ahead reads this many records at a time between looks at its cancel flag.
constexpr std::size_t kReadAheadStep = 4'096;

// About this much COPY text per message to the server.
constexpr std::size_t kCopyChunkBytes = 64 * 1024;

// COPY of `rows` into `table`, formatted with CopyText a chunk at a time, so that the
// server parses and inserts one chunk while the next is formatted. libpqxx 6.4's
// stream_to converts and escapes field by field (a string per field, a message per
// row), slow enough that the server waited on it (its COPY of a catch-up's orders took
// 25% longer than of the same rows from a buffer); its tablewriter takes lines ready-made,
// and since the COPY protocol does not care where a message ends, each chunk goes as
// one "line" of many rows (write_raw_line adds the last newline). tablewriter is
// deprecated in favour of stream_to, which has no such call in 6.4.
template <std::size_t N, typename Row, typename... Context>
void copy_rows(pqxx::work& tx, const char* table, const std::array<const char*, N>& columns,
               const std::vector<Row>& rows, const Context&... context) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter writer(tx, table, columns.begin(), columns.end());
#pragma GCC diagnostic pop
  CopyText text;
  const auto send = [&] {
    if (text.size() == 0) return;
    writer.write_raw_line(text.text().substr(0, text.size() - 1));
    text.clear();
  };
  for (const Row& r : rows) {
    add_copy_row(text, r, context...);
    if (text.size() >= kCopyChunkBytes) send();
  }
  send();
  writer.complete();
}

}  // namespace

Projector::Projector(FileSystem& fs, ProjectorOptions options, DurableSeq durable_seq,
                     Metrics* metrics, const Clock& clock, DeadLetterSpill* spill,
                     DeadLettered dead_lettered)
    : fs_(fs),
      options_(std::move(options)),
      durable_seq_(std::move(durable_seq)),
      metrics_(metrics),
      clock_(clock),
      spill_(spill),
      dead_lettered_(std::move(dead_lettered)),
      symbols_(options_.symbols),
      session_(options_.postgres),
      session_name_(session_name()),
      breaker_(options_.postgres.breaker, clock,
               [this](BreakerState from, BreakerState to) {
                 if (metrics_ != nullptr) {
                   metrics_->breaker_transition("postgres", std::string(to_string(to)),
                                                static_cast<double>(to));
                 }
                 log::warn(
                     "postgres circuit breaker", {},
                     {{"from", std::string(to_string(from))}, {"to", std::string(to_string(to))}});
                 set_health([to](ProjectorHealth& h) {
                   h.breaker = to;
                   if (to == BreakerState::Open) h.state = "down";
                 });
               }),
      retry_(options_.postgres.retry, seed_from_clock(clock)),
      batch_cap_(options_.postgres.batch_max_records) {
  health_.state = "connecting";
}

Projector::~Projector() { stop(std::chrono::milliseconds(0)); }

void Projector::start() {
  thread_ = std::thread([this] {
    log::set_component("projector");
    run();
  });
}

void Projector::stop(std::chrono::milliseconds drain) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!thread_.joinable()) return;
  if (!stopping_) {
    stopping_ = true;
    drain_target_ = durable_seq_();
    stop_deadline_ = SteadyClock::now() + drain;
  }
  wake_.notify_all();
  if (!wake_.wait_until(lock, stop_deadline_, [this] { return exited_; })) {
    lock.unlock();
    session_.abort();  // cut off a call still in progress
  } else {
    lock.unlock();
  }
  thread_.join();
}

ProjectorHealth Projector::health() const {
  ProjectorHealth h;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    h = health_;
  }
  // Read now, not as of the projector thread's last look: it may be blocked in a call.
  h.durable_seq = durable_seq_();
  h.lag_events = h.durable_seq > committed_seq() ? h.durable_seq - committed_seq() : 0;
  if (h.lag_events == 0) h.lag_seconds = 0;
  return h;
}

void Projector::set_health(const std::function<void(ProjectorHealth&)>& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  change(health_);
}

bool Projector::past_stop_deadline() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_ && SteadyClock::now() >= stop_deadline_;
}

bool Projector::pause(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto until = SteadyClock::now() + d;
  if (stopping_) until = std::min(until, stop_deadline_);
  wake_.wait_until(lock, until);
  return !(stopping_ && SteadyClock::now() >= stop_deadline_);
}

void Projector::note_error(const DbError& error) {
  if (metrics_ != nullptr) metrics_->db_error(error.error_class());
  bool changed = false;
  set_health([&](ProjectorHealth& h) {
    changed = h.last_error != error.message;
    h.last_error = error.message;
    if (error.kind == DbErrorKind::Availability) h.state = "down";
  });
  // Once per distinct error, not once per retry; while the same one repeats, a line
  // every kRepeatLogNs says so.
  const std::int64_t now = clock_.monotonic_ns();
  if (!changed) {
    ++error_repeats_;
    if (now - error_logged_ns_ < kRepeatLogNs) return;
  }
  log::warn(changed ? "postgres call failed" : "postgres call still failing", {},
            {{"class", error.error_class()},
             {"sqlstate", error.sqlstate},
             {"kind", error.kind == DbErrorKind::Data ? "data" : "availability"},
             {"error", error.message},
             {"repeats", std::to_string(error_repeats_)}});
  error_logged_ns_ = now;
  error_repeats_ = 0;
}

Projector::Outcome Projector::call(const std::function<DbError()>& op, DbError* data_error) {
  const PostgresOptions& pg = options_.postgres;
  std::uint32_t retry = 0;
  std::uint32_t refused_by_server = 0;  // attempts in a row failed by fails_per_statement
  while (true) {
    if (past_stop_deadline()) return Outcome::Stopped;
    if (!breaker_.allow()) {
      // Open: wait out the open time, pinging; a server that answers again lets the
      // probe go at once instead of after the rest of the wait.
      const std::int64_t wait_ns =
          std::min<std::int64_t>(breaker_.wait_ns(), pg.ping_interval_ms * 1'000'000);
      if (!pause(std::chrono::nanoseconds(std::max<std::int64_t>(wait_ns, 1'000'000)))) {
        return Outcome::Stopped;
      }
      if (breaker_.state() == BreakerState::Open && session_.ping()) breaker_.on_reachable();
      report_lag();
      continue;
    }
    if (retry == 0) retry_.record_call();
    const std::int64_t t0 = clock_.monotonic_ns();
    // After a failure, a server that does not even answer fails the call at once: a
    // frozen one would otherwise cost a whole connect_timeout per attempt.
    DbError error;
    // (Never for the half-open probe: if the check itself is wrong for this server, the
    // probe still makes a real call, so the projector cannot be shut out by it.)
    if (last_call_failed_ && breaker_.state() == BreakerState::Closed && !session_.ping()) {
      error = DbError::availability("the server did not answer within " +
                                    std::to_string(pg.ping_timeout_ms) + " ms");
      error.timed_out = true;
    } else {
      error = op();
    }
    const std::int64_t elapsed_ns = clock_.monotonic_ns() - t0;
    last_call_failed_ = error.kind == DbErrorKind::Availability;
    if (error.ok() || error.kind == DbErrorKind::Data) {
      // The server answered: for the breaker, a data error is a success.
      breaker_.record_success(elapsed_ns);
      if (!error.ok()) {
        note_error(error);
        *data_error = error;
        return Outcome::DataError;
      }
      set_health([](ProjectorHealth& h) {
        h.state = "up";
        h.last_error.clear();
      });
      return Outcome::Ok;
    }
    breaker_.record_failure();
    note_error(error);
    report_lag();
    // A statement the server answered by cancelling it (statement timeout) or aborting
    // it (serialization failure, deadlock) again and again: once this call has spent its
    // retries on it, the batch is treated as refused, so that it is split and the one
    // record that cannot be written within the deadline goes to the dead-letter queue
    // instead of holding up everything after it. (A server that does not answer, or
    // drops the connection, is an outage: never that.)
    if (fails_per_statement(error)) {
      if (++refused_by_server > pg.retries_per_call) {
        log::warn("projector: a statement failed on every attempt; treating it as refused", {},
                  {{"attempts", std::to_string(refused_by_server)}, {"sqlstate", error.sqlstate}});
        error.kind = DbErrorKind::Data;
        *data_error = error;
        return Outcome::DataError;
      }
    } else {
      refused_by_server = 0;
    }
    if (retry < pg.retries_per_call && retry_.try_acquire_retry()) {
      // Exponential backoff with full jitter between the attempts of one call.
      if (metrics_ != nullptr) metrics_->db_retry();
      if (!pause(std::chrono::milliseconds(retry_.backoff_ms(retry++)))) return Outcome::Stopped;
    } else {
      // The call has failed. A new one follows after a flush interval, as the next batch
      // would; the breaker, which these failures feed, stops them during an outage.
      retry = 0;
      if (!pause(std::chrono::milliseconds(pg.flush_ms))) return Outcome::Stopped;
    }
  }
}

DbError Projector::establish(std::uint64_t* checkpoint) {
  DbError error = session_.connect();
  if (metrics_ != nullptr) metrics_->db_statements(PgSession::kConnectStatements);
  if (!error.ok()) return error;
  if (!migrated_) {
    MigrationResult result;
    error = apply_migrations(session_, &result);
    if (metrics_ != nullptr) metrics_->db_statements(5 + 2 * result.applied);
    if (!error.ok()) return error;
    migrated_ = true;
    set_health([&](ProjectorHealth& h) { h.schema_version = result.schema_version; });
    log::info("postgres schema", {},
              {{"version", std::to_string(result.schema_version)},
               {"applied_now", std::to_string(result.applied)}});
  }
  int statements = 2;
  error = session_.run([&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    // The session names itself after this projector (application_name, which
    // pg_stat_activity shows), in the same statement as it takes the lock.
    const std::string try_lock =
        "SELECT pg_try_advisory_lock(" + std::to_string(kProjectorLock) + ")";
    if (!tx.exec(try_lock + ", set_config('application_name', " + tx.quote(session_name_) +
                 ", false)")[0][0]
             .as<bool>()) {
      // Held. By this projector's own earlier session, orphaned when the connection was
      // dropped on this side only (a call past its deadline, a black hole, a lost reply):
      // its backend lives, and keeps the lock, until the server notices, which can take
      // minutes. Such a session is ended, and the lock taken. Another spotd's, never.
      ++statements;
      const pqxx::result ended = tx.exec(
          "SELECT a.pid, pg_terminate_backend(a.pid, 3000) FROM pg_locks l "
          "JOIN pg_stat_activity a ON a.pid = l.pid "
          "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = " +
          std::to_string(static_cast<std::uint64_t>(kProjectorLock) >> 32) + " AND l.objid = " +
          std::to_string(static_cast<std::uint64_t>(kProjectorLock) & 0xffffffffu) +
          " AND a.application_name = " + tx.quote(session_name_) +
          " AND a.pid <> pg_backend_pid()");
      for (const auto& row : ended) {
        log::warn("projector: ended its own orphaned PostgreSQL session, which held the lock", {},
                  {{"pid", row[0].as<std::string>()}, {"ended", row[1].as<std::string>()}});
      }
      if (!ended.empty()) ++statements;  // the lock, tried again
      if (ended.empty() || !tx.exec(try_lock)[0][0].as<bool>()) {
        throw std::runtime_error(
            "another spotd is projecting into this database (its advisory lock is held)");
      }
    }
    // With the checkpoint, in the same round trip: the parked orders (parking survives a
    // restart) and the dead letters by status (the gauge, without a statement of its own).
    const pqxx::result r = tx.exec(sql::kReadCheckpointAndParked);
    *checkpoint = r[0][0].as<std::uint64_t>();
    const std::vector<std::uint64_t> parked = parse_id_list(r[0][1].as<std::string>());
    parked_orders_ = std::unordered_set<std::uint64_t>(parked.begin(), parked.end());
    reload_parked_.store(false, std::memory_order_relaxed);
    if (metrics_ != nullptr) {
      for (const char* status : {"PENDING", "REPLAYING", "RESOLVED", "DISCARDED"}) {
        metrics_->dlq_entries(status, 0);
      }
      for (const auto& [status, n] : parse_status_counts(r[0][2].as<std::string>())) {
        metrics_->dlq_entries(status, n);
      }
    }
    // Prepared at their first use (libpqxx), on this connection.
    c.prepare("write_batch", sql::kWriteBatch);
    c.prepare("move_checkpoint", sql::kMoveCheckpoint);
    c.prepare("write_changes", sql::kWriteChanges);
  });
  if (metrics_ != nullptr) metrics_->db_statements(statements);
  return error;
}

Status Projector::resync(std::uint64_t checkpoint) {
  const std::uint64_t durable = durable_seq_();
  if (checkpoint > durable) {
    return Status::corruption("the database checkpoint (" + std::to_string(checkpoint) +
                              ") is ahead of this journal (" + std::to_string(durable) +
                              "): the database belongs to another journal");
  }
  std::unique_ptr<Engine> replica;
  LoadedSnapshot loaded;
  std::string warning;
  Status s = load_snapshot_at_or_before(fs_, options_.journal_dir, checkpoint, options_.symbols,
                                        options_.limits, replica, &loaded, &warning);
  if (!s.ok()) return s;
  if (!warning.empty()) log::warn("projector: snapshot skipped", {}, {{"detail", warning}});
  auto reader = std::make_unique<JournalReader>(fs_, options_.journal_dir, loaded.last_seq + 1);
  Engine& r = *replica;
  s = reader->read_until(checkpoint, [&r](const JournalRecord& record) {
    r.execute(record.command, record.request_id, record.time_ns);
  });
  if (!s.ok()) return s;
  // From the checkpoint on, every balance change goes to the ledger table.
  ledger_.clear();
  replica->set_ledger(&ledger_);
  replica_ = std::move(replica);
  reader_ = std::move(reader);
  batch_.clear();
  committed_seq_.store(checkpoint, std::memory_order_release);
  if (metrics_ != nullptr) metrics_->projector_checkpoint(static_cast<double>(checkpoint));
  set_health([checkpoint](ProjectorHealth& h) { h.checkpoint = checkpoint; });
  log::info("projector following the journal", {},
            {{"checkpoint", std::to_string(checkpoint)},
             {"snapshot_seq", std::to_string(loaded.last_seq)},
             {"durable_seq", std::to_string(durable)}});
  return Status();
}

Status Projector::fill() {
  const bool isolating = isolate_until_ > committed_seq();
  const bool was_empty = batch_.empty();
  const Status s = read_into(batch_, isolating ? isolate_limit_ : batch_cap_);
  if (was_empty && !batch_.empty()) batch_started_ = SteadyClock::now();
  return s;
}

Status Projector::read_into(ProjectionBatch& batch, std::size_t limit) {
  if (batch.records() >= limit) return Status();
  const std::uint64_t next = reader_->next_seq();
  const std::uint64_t until =
      std::min<std::uint64_t>(durable_seq_(), next - 1 + (limit - batch.records()));
  if (until < next) return Status();
  Engine& replica = *replica_;
  LedgerBuffer& ledger = ledger_;
  return reader_->read_until(until, [&replica, &batch, &ledger](const JournalRecord& record) {
    const Reply reply = replica.execute(record.command, record.request_id, record.time_ns);
    batch.add(record, reply, &ledger);
  });
}

void Projector::start_read_ahead() {
  next_batch_.clear();
  cancel_read_ahead_.store(false, std::memory_order_relaxed);
  const std::size_t limit = batch_cap_;
  read_ahead_ = std::async(std::launch::async, [this, limit] {
    lower_priority("read-ahead");
    while (next_batch_.records() < limit && !cancel_read_ahead_.load(std::memory_order_relaxed)) {
      const std::size_t before = next_batch_.records();
      const Status s = read_into(next_batch_, std::min(limit, before + kReadAheadStep));
      if (!s.ok()) return s;
      if (next_batch_.records() == before) break;  // all that is durable is read
    }
    return Status();
  });
}

void Projector::finish_read_ahead(bool keep) {
  if (!read_ahead_.valid()) return;
  if (!keep) cancel_read_ahead_.store(true, std::memory_order_relaxed);
  const Status s = read_ahead_.get();
  if (keep && s.ok() && synced_ && batch_.empty()) {
    std::swap(batch_, next_batch_);
    next_batch_.clear();
    if (!batch_.empty()) batch_started_ = SteadyClock::now();
    return;
  }
  if (!s.ok()) {
    log::error("projector cannot read the journal", {},
               {{"code", std::string(s.code_name())}, {"error", s.message()}});
  }
  // The replica and the reader are past batch_: follow the journal again from the
  // checkpoint (the data error path does that itself).
  next_batch_.clear();
  synced_ = false;
}

void Projector::adapt_batch_cap(double seconds) {
  const std::size_t max = options_.postgres.batch_max_records;
  const std::size_t floor = std::min<std::size_t>(max, 1'000);
  const double slow = static_cast<double>(options_.postgres.breaker.slow_call_ms) / 1e3;
  std::size_t cap = batch_cap_;
  if (seconds > slow / 2) {
    cap = std::max(floor, cap / 2);
  } else if (seconds < slow / 4 && batch_.records() >= cap) {
    cap = std::min(max, cap * 2);
  }
  if (cap != batch_cap_) {
    log::info("projector batch size", {},
              {{"records", std::to_string(cap)}, {"last_batch_seconds", std::to_string(seconds)}});
    batch_cap_ = cap;
  }
}

DbError Projector::read_parked() {
  std::string ids;
  const DbError error = session_.run([&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    ids = tx.exec(sql::kReadParked)[0][0].as<std::string>();
  });
  if (metrics_ != nullptr) metrics_->db_statements(1);
  if (!error.ok()) return error;
  const std::vector<std::uint64_t> parked = parse_id_list(ids);
  parked_orders_ = std::unordered_set<std::uint64_t>(parked.begin(), parked.end());
  return DbError();
}

std::vector<DeadLetter> Projector::park() {
  std::vector<DeadLetter> letters;
  std::vector<std::uint64_t> ids;
  for (const std::uint64_t id : parked_orders_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  const std::int64_t now_us = clock_.wall_ns() / 1'000;
  for (const std::uint64_t id : ids) {
    ProjectionBatch held;
    if (!batch_.take_order(id, &held)) continue;
    DeadLetter d;
    // The batch holds the order once, in its state after the last record that changed
    // it (rows are states, not deltas): that record is the dead letter's.
    for (const OrderRow& o : held.new_orders()) d.journal_seq = o.journal_seq;
    for (const OrderRow& o : held.changed_orders()) d.journal_seq = o.journal_seq;
    for (const OrderFillRow& f : held.fills()) d.journal_seq = f.journal_seq;
    d.entity = "order";
    d.entity_id = id;
    d.idempotency_key = "order:" + std::to_string(id) + ":" + std::to_string(d.journal_seq);
    d.payload = payload_json(held, symbols_);
    d.error_class = "parked";
    d.message = "held behind an earlier dead letter of order " + std::to_string(id) +
                ": replay that one first";
    d.failed_at_us = now_us;
    for (const OrderRow& r : held.changed_orders()) d.correlation_id = r.correlation_id;
    letters.push_back(std::move(d));
  }
  return letters;
}

Projector::Outcome Projector::set_aside(const DbError& refused) {
  const DeadLetter letter = make_dead_letter(batch_, refused, symbols_, clock_.wall_ns() / 1'000);
  if (metrics_ != nullptr) {
    metrics_->dead_letter();
    metrics_->dlq_event(letter.entity, letter.error_class);
  }
  log::error("projector: PostgreSQL refused a journal record; it is set aside",
             letter.correlation_id,
             {{"seq", std::to_string(letter.journal_seq)},
              {"entity", letter.entity + " " + std::to_string(letter.entity_id)},
              {"sqlstate", refused.sqlstate},
              {"error", refused.message}});
  bool spilled = false;
  const auto spill = [&] {
    if (spilled || spill_ == nullptr) return;
    const Status s = spill_->append(letter);
    if (s.ok()) {
      spilled = true;
      if (metrics_ != nullptr) metrics_->dlq_spilled(static_cast<double>(spill_->size()));
      log::warn("projector: the dead letter waits in the spill file for the database", {},
                {{"seq", std::to_string(letter.journal_seq)}});
    } else {
      log::error(
          "projector: the dead letter cannot be spilled either; it is kept until the "
          "database takes it (the journal holds the record)",
          {}, {{"code", std::string(s.code_name())}, {"error", s.message()}});
    }
  };
  DbError data;
  // The dead letter and the checkpoint past its record, in one transaction. If the
  // database is not there, the dead letter is spilled before the call is retried.
  Outcome o = call(
      [&] {
        const DbError e = write_batch(true, {letter});
        if (e.kind == DbErrorKind::Availability) spill();
        return e;
      },
      &data);
  if (o == Outcome::DataError) {
    // dead_letters itself refuses it: the spilled copy is what there is, then.
    log::error("projector: dead_letters refused the dead letter; it waits in the spill file", {},
               {{"sqlstate", data.sqlstate}, {"error", data.message}});
    spill();
    o = call([&] { return write_batch(true); }, &data);
  }
  if (o != Outcome::Ok) return o == Outcome::Stopped ? Outcome::Stopped : Outcome::Ok;
  if (letter.entity == "order") parked_orders_.insert(letter.entity_id);
  if (dead_lettered_) dead_lettered_({letter});
  return Outcome::Ok;
}

DbError Projector::write_batch(bool skip, const std::vector<DeadLetter>& letters) {
  if (!session_.connected()) {
    std::uint64_t checkpoint = 0;
    const DbError error = establish(&checkpoint);
    if (!error.ok()) return error;
    if (checkpoint == batch_.last_seq()) {
      // The batch was committed before the connection broke; only its reply was lost.
      log::info("projector: the last batch was committed before the connection broke", {},
                {{"checkpoint", std::to_string(checkpoint)}});
      committed_seq_.store(checkpoint, std::memory_order_release);
      set_health([checkpoint](ProjectorHealth& h) { h.checkpoint = checkpoint; });
      if (listener_ != nullptr && !skip) listener_->committed(batch_);
      batch_.clear();
      return DbError();
    }
    if (checkpoint != committed_seq()) {
      log::error("projector: the checkpoint moved under this projector; following it again", {},
                 {{"checkpoint", std::to_string(checkpoint)},
                  {"expected", std::to_string(committed_seq())}});
      synced_ = false;
      batch_.clear();
      return DbError();
    }
  }
  const auto t0 = SteadyClock::now();
  const std::uint64_t from = committed_seq();
  const std::uint64_t to = batch_.last_seq();
  const bool copy = !skip && batch_.new_rows() >= options_.postgres.copy_min_rows;
  bool moved = false;
  const DbError error = copy ? write_copy(from, to, &moved, letters)
                             : write_statement(from, to, skip, &moved, letters);
  if (!error.ok()) return error;
  crash_point("projector.committed");
  if (moved) {
    log::error("projector: the checkpoint moved under this projector; following it again", {},
               {{"expected", std::to_string(from)}});
    synced_ = false;
    batch_.clear();
    return DbError();
  }
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  if (!skip) adapt_batch_cap(seconds);
  if (metrics_ != nullptr) {
    metrics_->projector_batch(static_cast<double>(batch_.records()), seconds);
    metrics_->projector_checkpoint(static_cast<double>(to));
    if (copy) metrics_->projector_copy_batch();
  }
  committed_seq_.store(to, std::memory_order_release);
  set_health([to](ProjectorHealth& h) { h.checkpoint = to; });
  if (listener_ != nullptr && !skip) listener_->committed(batch_);
  batch_.clear();
  return DbError();
}

DbError Projector::write_statement(std::uint64_t from, std::uint64_t to, bool skip, bool* moved,
                                   const std::vector<DeadLetter>& letters) {
  // Every column of every table, as array literals ('{}' when the batch has none). New
  // and changed orders go together: the upsert takes either.
  std::vector<OrderRow> orders;
  if (!skip) {
    orders = batch_.new_orders();
    std::vector<OrderRow> changed = batch_.changed_orders();
    orders.insert(orders.end(), std::make_move_iterator(changed.begin()),
                  std::make_move_iterator(changed.end()));
  }
  std::vector<std::string> params;
  params.reserve(59);
  params.push_back(std::to_string(to));
  params.push_back(std::to_string(from));
  const auto append = [&params](std::vector<std::string>&& columns) {
    for (std::string& c : columns) params.push_back(std::move(c));
  };
  const std::vector<OrderFillRow> no_fills;
  const std::vector<TradeRow> no_trades;
  const std::vector<AccountRow> no_accounts;
  const std::vector<LedgerRow> no_ledger;
  append(order_params(orders, symbols_));
  append(fill_params(skip ? no_fills : batch_.fills(), symbols_));
  append(trade_params(skip ? no_trades : batch_.trades(), symbols_));
  append(account_params(skip ? no_accounts : batch_.accounts()));
  append(ledger_params(skip ? no_ledger : batch_.ledger(), symbols_));
  append(balance_params(skip ? std::vector<BalanceRow>() : batch_.balances(), symbols_));
  int statements = 0;
  const DbError error = session_.run([&](pqxx::connection& c) {
    if (letters.empty()) {
      // One statement is one transaction: the rows and the checkpoint commit together.
      pqxx::nontransaction tx(c);
      ++statements;
      const pqxx::result r =
          tx.exec_prepared("write_batch", pqxx::prepare::make_dynamic_params(params));
      *moved = r[0][0].as<int>() != 1;
      return;
    }
    // With dead letters: they commit with the rows and the checkpoint, or not at all.
    pqxx::work tx(c);
    statements += 3;  // BEGIN, the batch, COMMIT or ROLLBACK
    const pqxx::result r =
        tx.exec_prepared("write_batch", pqxx::prepare::make_dynamic_params(params));
    *moved = r[0][0].as<int>() != 1;
    if (*moved) return;  // rolled back
    for (const DeadLetter& d : letters) {
      ++statements;
      tx.exec_params(sql::kInsertDeadLetter, d.idempotency_key, d.journal_seq, d.entity,
                     d.entity_id, d.correlation_id, d.payload, d.error_class, d.sqlstate, d.message,
                     d.failed_at_us);
    }
    tx.commit();
  });
  if (metrics_ != nullptr) metrics_->db_statements(statements);
  return error;
}

DbError Projector::write_copy(std::uint64_t from, std::uint64_t to, bool* moved,
                              const std::vector<DeadLetter>& letters) {
  const std::vector<OrderRow> created = batch_.new_orders();
  const std::vector<TradeRow>& trades = batch_.trades();
  const std::vector<AccountRow>& accounts = batch_.accounts();
  const std::vector<LedgerRow>& ledger = batch_.ledger();
  // Orders of earlier batches: rows the table holds (unless they were set aside as dead
  // letters), upserted as in the one-statement path; and the balances, which may be
  // there already.
  std::vector<std::string> changes;
  {
    const std::vector<OrderRow> changed = batch_.changed_orders();
    const std::vector<OrderFillRow> fills = batch_.fills();
    const std::vector<BalanceRow> balances = batch_.balances();
    if (!changed.empty() || !fills.empty() || !balances.empty()) {
      changes = order_params(changed, symbols_);
      for (std::string& c : fill_params(fills, symbols_)) changes.push_back(std::move(c));
      for (std::string& c : balance_params(balances, symbols_)) changes.push_back(std::move(c));
    }
  }
  int statements = 0;
  bool open = false;  // BEGIN sent, neither COMMIT nor ROLLBACK yet
  const DbError error = session_.run([&](pqxx::connection& c) {
    try {
      pqxx::work tx(c);
      ++statements;  // BEGIN
      open = true;
      // The guard first: a batch that is already committed (a lost COMMIT reply) or that
      // another writer moved past must write nothing, rather than fail on its own rows.
      // Past it, this transaction is the only one to write these rows, so COPY needs no
      // ON CONFLICT: a conflict would be a record the database refuses (a data error,
      // isolated and set aside like any other).
      ++statements;
      if (tx.exec_prepared("move_checkpoint", to, from).affected_rows() != 1) {
        *moved = true;
        ++statements;
        open = false;
        tx.abort();
        return;
      }
      if (!created.empty()) {
        ++statements;
        copy_rows(tx, "orders", sql::kOrderColumns, created, symbols_);
      }
      if (!trades.empty()) {
        ++statements;
        copy_rows(tx, "trades", sql::kTradeColumns, trades, symbols_);
      }
      if (!accounts.empty()) {
        ++statements;
        copy_rows(tx, "accounts", sql::kAccountColumns, accounts);
      }
      if (!ledger.empty()) {
        ++statements;
        copy_rows(tx, "ledger", sql::kLedgerColumns, ledger, symbols_);
      }
      if (!changes.empty()) {
        ++statements;
        tx.exec_prepared("write_changes", pqxx::prepare::make_dynamic_params(changes));
      }
      for (const DeadLetter& d : letters) {
        ++statements;
        tx.exec_params(sql::kInsertDeadLetter, d.idempotency_key, d.journal_seq, d.entity,
                       d.entity_id, d.correlation_id, d.payload, d.error_class, d.sqlstate,
                       d.message, d.failed_at_us);
      }
      ++statements;  // COMMIT
      open = false;
      tx.commit();
    } catch (...) {
      if (open) ++statements;  // the ROLLBACK the transaction sends as it goes
      throw;
    }
  });
  if (metrics_ != nullptr) metrics_->db_statements(statements);
  return error;
}

void Projector::report_lag() {
  const std::uint64_t durable = durable_seq_();
  const std::uint64_t committed = committed_seq();
  const std::uint64_t events = durable > committed ? durable - committed : 0;
  double seconds = 0;
  if (events > 0 && !batch_.empty() && batch_.first_time_ns() > 0) {
    seconds = std::max(0.0, static_cast<double>(clock_.wall_ns() - batch_.first_time_ns()) / 1e9);
  }
  if (metrics_ != nullptr) metrics_->projector_lag(static_cast<double>(events), seconds);
  set_health([&](ProjectorHealth& h) {
    h.lag_events = events;
    h.lag_seconds = seconds;
  });
}

void Projector::run() {
  lower_priority("projector");
  const auto follow = std::chrono::milliseconds(options_.follow_ms);
  const auto flush = std::chrono::milliseconds(options_.postgres.flush_ms);
  while (true) {
    {
      // Stopping: done once what was durable at stop() is committed, or the database is
      // known to be away (the breaker is open: the drain would only wait out its
      // deadline), or the deadline passed. The rest follows at the next start. (The
      // breaker is asked outside the lock: a lazy transition reports to set_health.)
      const bool open = breaker_.state() == BreakerState::Open;
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_ && (SteadyClock::now() >= stop_deadline_ ||
                        (synced_ && committed_seq() >= drain_target_) || open)) {
        break;
      }
    }
    if (!synced_) {
      std::uint64_t checkpoint = 0;
      DbError data;
      const Outcome o = call([&] { return establish(&checkpoint); }, &data);
      if (o == Outcome::Stopped) break;
      if (o == Outcome::DataError) {
        pause(std::chrono::seconds(1));
        continue;
      }
      const Status s = resync(checkpoint);
      if (!s.ok()) {
        log::error("projector cannot follow the journal from the database checkpoint", {},
                   {{"checkpoint", std::to_string(checkpoint)},
                    {"code", std::string(s.code_name())},
                    {"error", s.message()}});
        set_health([&](ProjectorHealth& h) {
          h.state = "down";
          h.last_error = s.message();
        });
        session_.close();  // gives up the projector lock; the next round starts over
        pause(std::chrono::seconds(5));
        continue;
      }
      synced_ = true;
    }
    const Status s = fill();
    if (!s.ok()) {
      log::error("projector cannot read the journal", {},
                 {{"code", std::string(s.code_name())}, {"error", s.message()}});
      set_health([&](ProjectorHealth& h) {
        h.state = "down";
        h.last_error = "journal: " + s.message();
      });
      synced_ = false;
      pause(std::chrono::seconds(1));
      continue;
    }
    report_lag();
    if (batch_.empty()) {
      pause(follow);
      continue;
    }
    bool stopping = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping = stopping_;
    }
    const bool isolating = isolate_until_ > committed_seq();
    const bool full = isolating || batch_.records() >= batch_cap_;
    if (!full && !stopping && SteadyClock::now() - batch_started_ < flush) {
      pause(follow);
      continue;
    }
    DbError data;
    // Parking (only once some order has a dead letter): what the batch writes of a
    // parked order becomes a dead letter behind it; the rest is written as usual.
    std::vector<DeadLetter> parked;
    ProjectionBatch unparked;
    if (!parked_orders_.empty()) {
      if (reload_parked_.exchange(false, std::memory_order_acq_rel)) {
        if (call([&] { return read_parked(); }, &data) == Outcome::Stopped) break;
      }
      if (batch_.touches_any(parked_orders_)) {
        unparked = batch_;  // whole again if the rest is refused (isolated as usual)
        parked = park();
      }
    }
    // Before the read-ahead moves the replica past the batch, and after parking (the
    // cache holds what the database holds).
    if (listener_ != nullptr) listener_->sealed(batch_, *replica_);
    if (!isolating && full && parked.empty() && durable_seq_() > batch_.last_seq()) {
      start_read_ahead();
    }
    Outcome o = call([&] { return write_batch(false, parked); }, &data);
    finish_read_ahead(o == Outcome::Ok);
    if (o == Outcome::Stopped) break;
    if (o == Outcome::Ok) {
      if (isolating) isolate_limit_ = std::min(isolate_limit_ * 2, batch_cap_);
      if (!parked.empty()) {
        if (metrics_ != nullptr) {
          for (const DeadLetter& d : parked) metrics_->dlq_event(d.entity, d.error_class);
        }
        log::warn("projector: rows of a parked order are held behind its dead letter", {},
                  {{"seq", std::to_string(parked.front().journal_seq)},
                   {"orders", std::to_string(parked.size())}});
        if (dead_lettered_) dead_lettered_(parked);
      }
      report_lag();
      continue;
    }
    if (batch_.records() > 1) {
      // Some record of the batch is refused: go again from the checkpoint in halves
      // (a half that commits lets the next batch double again), until the refused record
      // is a batch of its own, so that only it is set aside and everything else commits:
      // a few dozen transactions for one refused record in the largest batch.
      log::warn("projector: a batch was refused with a data error; splitting it", {},
                {{"first_seq", std::to_string(batch_.first_seq())},
                 {"last_seq", std::to_string(batch_.last_seq())},
                 {"records", std::to_string(batch_.records())}});
      isolate_until_ = std::max(isolate_until_, batch_.last_seq());
      isolate_limit_ = std::max<std::size_t>(1, batch_.records() / 2);
      synced_ = false;
      batch_.clear();
      // A resync from the checkpoint already known (no database call needed).
      const Status r = resync(committed_seq());
      if (r.ok()) synced_ = true;
      continue;
    }
    if (!parked.empty()) batch_ = std::move(unparked);
    if (set_aside(data) == Outcome::Stopped) break;
  }
  session_.close();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    health_.state = "stopped";
    exited_ = true;
  }
  wake_.notify_all();
}

}  // namespace spot
