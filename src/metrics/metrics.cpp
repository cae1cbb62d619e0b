#include "spot/metrics/metrics.h"

#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "spot/core/assert.h"

namespace spot {

Metrics::Metrics(const std::string& version, const std::string& commit)
    : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  auto& r = *registry_;
  BuildGauge()
      .Name("spot_build_info")
      .Help("Build information; the value is always 1.")
      .Register(r)
      .Add({{"version", version}, {"commit", commit}})
      .Set(1);
  http_requests_ = &BuildCounter()
                        .Name("spot_http_requests_total")
                        .Help("HTTP requests answered, by route and status code.")
                        .Register(r);
  orders_received_ = &BuildCounter()
                          .Name("spot_orders_received_total")
                          .Help("Order entry requests received (HTTP and TCP).")
                          .Register(r)
                          .Add({});
  orders_accepted_ = &BuildCounter()
                          .Name("spot_orders_accepted_total")
                          .Help("Orders accepted by the matching engine.")
                          .Register(r)
                          .Add({});
  orders_rejected_family_ = &BuildCounter()
                                 .Name("spot_orders_rejected_total")
                                 .Help("Orders rejected, by reason.")
                                 .Register(r);
  for (std::size_t i = 1; i <= static_cast<std::size_t>(kLastRejectReason); ++i) {
    orders_rejected_[i] = &orders_rejected_family_->Add(
        {{"reason", std::string(to_string(static_cast<RejectReason>(i)))}});
  }
  trades_ = &BuildCounter().Name("spot_trades_total").Help("Trades executed.").Register(r).Add({});
  // 1 µs to 1 s in 1-2.5-5 steps, written out so the `le` labels are exact.
  const prometheus::Histogram::BucketBoundaries buckets = {
      1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5, 1e-4,   2.5e-4, 5e-4, 1e-3,
      2.5e-3, 5e-3,   1e-2, 2.5e-2, 5e-2,   1e-1, 2.5e-1, 5e-1,   1.0};
  order_latency_ = &BuildHistogram()
                        .Name("spot_order_latency_seconds")
                        .Help("Time from receiving an order request to its reply being ready.")
                        .Register(r)
                        .Add({}, buckets);
  queue_depth_ = &BuildGauge()
                      .Name("spot_queue_depth")
                      .Help("Commands waiting in the OrderQueue.")
                      .Register(r)
                      .Add({});
  queue_high_water_ = &BuildGauge()
                           .Name("spot_queue_depth_high_water")
                           .Help("The most commands the OrderQueue has held at once since start.")
                           .Register(r)
                           .Add({});
  book_orders_ = &BuildGauge()
                      .Name("spot_book_resting_orders")
                      .Help("Orders resting in the book, by symbol.")
                      .Register(r);
  book_levels_ = &BuildGauge()
                      .Name("spot_book_levels")
                      .Help("Price levels in the book, by symbol and side (bid, ask).")
                      .Register(r);
  auto& connections = BuildGauge()
                          .Name("spot_connections")
                          .Help("Open client connections, by protocol.")
                          .Register(r);
  http_connections_ = &connections.Add({{"protocol", "http"}});
  tcp_connections_ = &connections.Add({{"protocol", "tcp"}});
  auto& evicted = BuildCounter()
                      .Name("spot_connections_evicted_total")
                      .Help(
                          "Idle connections closed to make room for a new one at a listener's "
                          "connection limit, by listener (http, tcp, admin).")
                      .Register(r);
  http_evicted_ = &evicted.Add({{"listener", "http"}});
  tcp_evicted_ = &evicted.Add({{"listener", "tcp"}});
  admin_evicted_ = &evicted.Add({{"listener", "admin"}});
  ready_ = &BuildGauge()
                .Name("spot_ready")
                .Help("1 when spotd accepts orders, else 0.")
                .Register(r)
                .Add({});
  journal_appends_ = &BuildCounter()
                          .Name("spot_journal_appends_total")
                          .Help("Records written to the journal.")
                          .Register(r)
                          .Add({});
  journal_bytes_ = &BuildCounter()
                        .Name("spot_journal_bytes_total")
                        .Help("Bytes written to the journal.")
                        .Register(r)
                        .Add({});
  journal_fsync_seconds_ = &BuildHistogram()
                                .Name("spot_journal_fsync_seconds")
                                .Help("Time fdatasync of one journal batch took.")
                                .Register(r)
                                .Add({}, buckets);
  journal_batch_records_ =
      &BuildHistogram()
           .Name("spot_journal_batch_records")
           .Help("Records covered by one journal fsync (group commit).")
           .Register(r)
           .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
                                                            1024, 4096, 16384});
  journal_failed_ =
      &BuildGauge()
           .Name("spot_journal_failed")
           .Help("1 once a journal write or fsync failed: spotd no longer acknowledges.")
           .Register(r)
           .Add({});
  journal_failure_info_ = &BuildGauge()
                               .Name("spot_journal_failure_info")
                               .Help(
                                   "1, labelled with the code (no_space, fsync_failed, "
                                   "io_error, ...) of the failure that failed the journal.")
                               .Register(r);
  journal_replay_seconds_ = &BuildGauge()
                                 .Name("spot_journal_replay_seconds")
                                 .Help("Time the start-up replay of the journal took.")
                                 .Register(r)
                                 .Add({});
  journal_replay_records_ = &BuildGauge()
                                 .Name("spot_journal_replay_records")
                                 .Help("Records replayed from the journal at start-up.")
                                 .Register(r)
                                 .Add({});
  snapshot_serialize_seconds_ =
      &BuildGauge()
           .Name("spot_snapshot_serialize_seconds")
           .Help(
               "Time the last snapshot took to serialize the snapshot thread's replica of the "
               "engine (matching does not pause for it).")
           .Register(r)
           .Add({});
  snapshot_write_seconds_ = &BuildGauge()
                                 .Name("spot_snapshot_write_seconds")
                                 .Help("Time the last snapshot took to write and fsync.")
                                 .Register(r)
                                 .Add({});
  snapshot_bytes_ = &BuildGauge()
                         .Name("spot_snapshot_bytes")
                         .Help("Size of the last snapshot.")
                         .Register(r)
                         .Add({});
  snapshot_age_seconds_ = &BuildGauge()
                               .Name("spot_snapshot_age_seconds")
                               .Help("Seconds since the last snapshot was written (-1: none yet).")
                               .Register(r)
                               .Add({});
  snapshot_failures_ = &BuildCounter()
                            .Name("spot_snapshot_failures_total")
                            .Help("Snapshots that could not be written.")
                            .Register(r)
                            .Add({});
  auto& db_statements = BuildCounter()
                            .Name("spot_db_statements_total")
                            .Help(
                                "SQL statements sent to PostgreSQL (BEGIN and COMMIT included), "
                                "by kind: write (projector, dead-letter queue) or read (the "
                                "API's read path).")
                            .Register(r);
  db_statements_ = &db_statements.Add({{"kind", "write"}});
  db_read_statements_ = &db_statements.Add({{"kind", "read"}});
  db_errors_ = &BuildCounter()
                    .Name("spot_db_errors_total")
                    .Help(
                        "PostgreSQL calls that failed, by SQLSTATE class (or connection, "
                        "timeout).")
                    .Register(r);
  // The classes an outage produces exist from the start, so a rate over them reads zero on a
  // healthy spotd instead of having no series (SQLSTATE classes appear when first seen).
  for (const char* error_class : {"connection", "timeout"})
    db_errors_->Add({{"class", error_class}});
  db_retries_ = &BuildCounter()
                     .Name("spot_db_retries_total")
                     .Help("PostgreSQL calls retried after an availability error.")
                     .Register(r)
                     .Add({});
  breaker_state_ = &BuildGauge()
                        .Name("spot_circuit_breaker_state")
                        .Help("Circuit breaker state by dependency: 0 closed, 1 half-open, 2 open.")
                        .Register(r);
  breaker_state_->Add({{"dependency", "postgres"}}).Set(0);
  breaker_transitions_ = &BuildCounter()
                              .Name("spot_circuit_breaker_transitions_total")
                              .Help("Circuit breaker state changes, by dependency and new state.")
                              .Register(r);
  for (const char* dependency : {"postgres", "redis"}) {
    for (const char* to : {"closed", "half_open", "open"}) {
      breaker_transitions_->Add({{"dependency", dependency}, {"to", to}});
    }
  }
  const prometheus::Histogram::BucketBoundaries batch_buckets = {1,    4,    16,    64,   256,
                                                                 1024, 4096, 16384, 65536};
  projector_batch_records_ = &BuildHistogram()
                                  .Name("spot_projector_batch_records")
                                  .Help("Journal records in one committed projector batch.")
                                  .Register(r)
                                  .Add({}, batch_buckets);
  projector_batch_seconds_ = &BuildHistogram()
                                  .Name("spot_projector_batch_seconds")
                                  .Help("Time one projector batch took to write and commit.")
                                  .Register(r)
                                  .Add({}, buckets);
  projector_copy_batches_ =
      &BuildCounter()
           .Name("spot_projector_copy_batches_total")
           .Help("Committed projector batches whose new rows went by COPY (copy_min_rows).")
           .Register(r)
           .Add({});
  projector_lag_events_ = &BuildGauge()
                               .Name("spot_projector_lag_events")
                               .Help("Durable journal records not yet committed to PostgreSQL.")
                               .Register(r)
                               .Add({});
  projector_lag_seconds_ =
      &BuildGauge()
           .Name("spot_projector_lag_seconds")
           .Help("Age of the oldest journal record not yet committed to PostgreSQL.")
           .Register(r)
           .Add({});
  projector_checkpoint_ = &BuildGauge()
                               .Name("spot_projector_checkpoint")
                               .Help("The last journal record committed to PostgreSQL.")
                               .Register(r)
                               .Add({});
  dead_letters_ = &BuildCounter()
                       .Name("spot_db_dead_letters_total")
                       .Help("Journal records PostgreSQL refused with a data error.")
                       .Register(r)
                       .Add({});
  dlq_events_ = &BuildCounter()
                     .Name("spot_dlq_events_total")
                     .Help(
                         "Journal records set aside in the dead-letter queue, by entity and "
                         "SQLSTATE class.")
                     .Register(r);
  dlq_entries_ = &BuildGauge()
                      .Name("spot_dlq_entries")
                      .Help("Dead letters in the table by status (as of the last DLQ action).")
                      .Register(r);
  for (const char* status : {"PENDING", "REPLAYING", "RESOLVED", "DISCARDED"}) {
    dlq_entries_->Add({{"status", status}}).Set(0);
  }
  dlq_replays_ = &BuildCounter()
                      .Name("spot_dlq_replays_total")
                      .Help(
                          "Dead-letter replays by result (resolved, failed, conflict, "
                          "unavailable).")
                      .Register(r);
  for (const char* result : {"resolved", "failed", "conflict", "unavailable"}) {
    dlq_replays_->Add({{"result", result}});
  }
  dlq_spilled_ = &BuildGauge()
                      .Name("spot_dlq_spill_entries")
                      .Help("Dead letters waiting in the local spill file for the database.")
                      .Register(r)
                      .Add({});
  // The Redis cache: its breaker's state from the start, like postgres's.
  breaker_state_->Add({{"dependency", "redis"}}).Set(0);
  cache_writes_ = &BuildCounter()
                       .Name("spot_cache_writes_total")
                       .Help("Committed batches written to Redis.")
                       .Register(r)
                       .Add({});
  cache_write_seconds_ = &BuildHistogram()
                              .Name("spot_cache_write_seconds")
                              .Help("Time one batch took to write to Redis (its round trips).")
                              .Register(r)
                              .Add({}, buckets);
  cache_commands_ = &BuildCounter()
                         .Name("spot_cache_commands_total")
                         .Help("Redis commands sent by the cache writer (MULTI and EXEC included).")
                         .Register(r)
                         .Add({});
  auto& cache_dropped = BuildCounter()
                            .Name("spot_cache_dropped_writes_total")
                            .Help(
                                "Committed batches not written to Redis, by reason (queue_full, "
                                "unavailable); the next write starts a new cache epoch.")
                            .Register(r);
  cache_dropped_queue_full_ = &cache_dropped.Add({{"reason", "queue_full"}});
  cache_dropped_unavailable_ = &cache_dropped.Add({{"reason", "unavailable"}});
  cache_epoch_ = &BuildGauge()
                      .Name("spot_cache_epoch")
                      .Help("The Redis cache epoch (key prefix) being written; 0: none yet.")
                      .Register(r)
                      .Add({});
  cache_queue_rows_ = &BuildGauge()
                           .Name("spot_cache_queue_rows")
                           .Help("Orders and trades of committed batches waiting for Redis.")
                           .Register(r)
                           .Add({});
  auto& cache_requests = BuildCounter()
                             .Name("spot_cache_requests_total")
                             .Help(
                                 "Redis lookups of the read path by result: hit, miss, error "
                                 "(failed, or skipped while Redis is unavailable).")
                             .Register(r);
  cache_requests_ = {&cache_requests.Add({{"result", "hit"}}),
                     &cache_requests.Add({{"result", "miss"}}),
                     &cache_requests.Add({{"result", "error"}})};
  read_queue_ = &BuildGauge()
                     .Name("spot_read_queue_depth")
                     .Help("Reads waiting for a reader thread (Redis, then PostgreSQL).")
                     .Register(r)
                     .Add({});
  read_failures_ = &BuildCounter()
                        .Name("spot_read_failures_total")
                        .Help(
                            "Reads of the read path answered with an error, by reason: "
                            "queue_full, deadline, unavailable (PostgreSQL), not_projected.")
                        .Register(r);
  read_failed_ = {&read_failures_->Add({{"reason", "queue_full"}}),
                  &read_failures_->Add({{"reason", "deadline"}}),
                  &read_failures_->Add({{"reason", "unavailable"}}),
                  &read_failures_->Add({{"reason", "not_projected"}})};
  process_cpu_seconds_ = &BuildCounter()
                              .Name("process_cpu_seconds_total")
                              .Help("User and system CPU time spent, in seconds.")
                              .Register(r)
                              .Add({});
  process_resident_bytes_ = &BuildGauge()
                                 .Name("process_resident_memory_bytes")
                                 .Help("Resident memory size in bytes.")
                                 .Register(r)
                                 .Add({});
  process_open_fds_ = &BuildGauge()
                           .Name("process_open_fds")
                           .Help("Number of open file descriptors.")
                           .Register(r)
                           .Add({});
  process_start_time_ = &BuildGauge()
                             .Name("process_start_time_seconds")
                             .Help("Start time of the process since the Unix epoch, in seconds.")
                             .Register(r)
                             .Add({});
  process_start_time_->Set(static_cast<double>(std::time(nullptr)));
  process_threads_ =
      &BuildGauge().Name("process_threads").Help("Threads of the process.").Register(r).Add({});
}

void Metrics::http_request(const std::string& route, unsigned status) {
  const std::string key = route + '\n' + std::to_string(status);
  std::lock_guard<std::mutex> lock(http_mutex_);
  auto it = http_handles_.find(key);
  if (it == http_handles_.end()) {
    it = http_handles_
             .emplace(key,
                      &http_requests_->Add({{"route", route}, {"status", std::to_string(status)}}))
             .first;
  }
  it->second->Increment();
}

void Metrics::journal_batch(double records, double bytes, double fsync_seconds) {
  journal_appends_->Increment(records);
  journal_bytes_->Increment(bytes);
  journal_fsync_seconds_->Observe(fsync_seconds);
  journal_batch_records_->Observe(records);
}

void Metrics::db_error(const std::string& error_class) {
  db_errors_->Add({{"class", error_class}}).Increment();
}

void Metrics::dlq_event(const std::string& entity, const std::string& sqlstate_class) {
  dlq_events_->Add({{"entity", entity}, {"sqlstate_class", sqlstate_class}}).Increment();
}

void Metrics::dlq_entries(const std::string& status, double n) {
  dlq_entries_->Add({{"status", status}}).Set(n);
}

void Metrics::dlq_replay(const std::string& result) {
  dlq_replays_->Add({{"result", result}}).Increment();
}

void Metrics::breaker_transition(const std::string& dependency, const std::string& to,
                                 double state) {
  breaker_state_->Add({{"dependency", dependency}}).Set(state);
  breaker_transitions_->Add({{"dependency", dependency}, {"to", to}}).Increment();
}

void Metrics::projector_batch(double records, double seconds) {
  projector_batch_records_->Observe(records);
  projector_batch_seconds_->Observe(seconds);
}

void Metrics::cache_write(double seconds, double commands) {
  cache_writes_->Increment();
  cache_write_seconds_->Observe(seconds);
  cache_commands_->Increment(commands);
}

void Metrics::read_failed(const char* reason) {
  static constexpr std::array<std::string_view, 4> kReasons = {"queue_full", "deadline",
                                                               "unavailable", "not_projected"};
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    if (kReasons[i] == reason) return read_failed_[i]->Increment();
  }
  SPOT_ASSERT(false, "metrics: a known read failure reason");
}

void Metrics::cache_dropped(const char* reason, double batches) {
  (std::string_view(reason) == "queue_full" ? cache_dropped_queue_full_
                                            : cache_dropped_unavailable_)
      ->Increment(batches);
}

void Metrics::projector_lag(double events, double seconds) {
  projector_lag_events_->Set(events);
  projector_lag_seconds_->Set(seconds);
}

void Metrics::journal_failed(const Status& why) {
  journal_failure_info_->Add({{"code", std::string(why.code_name())}}).Set(1);
  journal_failed_->Set(1);
  ready_->Set(0);
}

void Metrics::journal_replayed(double records, double seconds) {
  journal_replay_records_->Set(records);
  journal_replay_seconds_->Set(seconds);
}

void Metrics::snapshot_written(double serialize_seconds, double write_seconds, double bytes) {
  snapshot_serialize_seconds_->Set(serialize_seconds);
  snapshot_write_seconds_->Set(write_seconds);
  snapshot_bytes_->Set(bytes);
  // Monotonic: a wall clock stepped forward or back must not age the snapshot (and
  // page someone) or make it younger than it is.
  snapshot_written_monotonic_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now().time_since_epoch())
                                           .count());
}

void Metrics::order_rejected(RejectReason reason) {
  const auto i = static_cast<std::size_t>(reason);
  if (i < orders_rejected_.size() && orders_rejected_[i] != nullptr)
    orders_rejected_[i]->Increment();
}

void Metrics::update_process_metrics() {
  std::lock_guard<std::mutex> lock(process_mutex_);
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    if (cpu > cpu_seconds_reported_) {
      process_cpu_seconds_->Increment(cpu - cpu_seconds_reported_);
      cpu_seconds_reported_ = cpu;
    }
  }
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  if (statm >> pages_total >> pages_resident) {
    process_resident_bytes_->Set(static_cast<double>(pages_resident) *
                                 static_cast<double>(sysconf(_SC_PAGESIZE)));
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  process_open_fds_->Set(static_cast<double>(fds));
  std::size_t threads = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++threads;
  }
  process_threads_->Set(static_cast<double>(threads));
}

void Metrics::add_books(const std::vector<std::string>& symbols) {
  for (const std::string& name : symbols) {
    books_.push_back({&book_orders_->Add({{"symbol", name}}),
                      &book_levels_->Add({{"symbol", name}, {"side", "bid"}}),
                      &book_levels_->Add({{"symbol", name}, {"side", "ask"}})});
  }
}

void Metrics::book(std::size_t symbol, double orders, double bid_levels, double ask_levels) {
  if (symbol >= books_.size()) return;
  books_[symbol].orders->Set(orders);
  books_[symbol].bids->Set(bid_levels);
  books_[symbol].asks->Set(ask_levels);
}

std::string Metrics::scrape() {
  update_process_metrics();
  const std::int64_t last = snapshot_written_monotonic_ns_.load();
  snapshot_age_seconds_->Set(
      last == 0 ? -1.0
                : static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count() -
                                      last) /
                      1e9);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace spot
