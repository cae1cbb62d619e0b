// Metrics: one prometheus-cpp registry and the handles the hot paths use, created
// once at start-up. Names follow Prometheus conventions: prefix spot_, base units,
// _total for counters.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "spot/core/reject_reason.h"
#include "spot/core/status.h"

namespace spot {

class Metrics {
 public:
  explicit Metrics(const std::string& version, const std::string& commit = "unknown");

  // Counts one HTTP request by route template and status code.
  void http_request(const std::string& route, unsigned status);

  void order_received() { orders_received_->Increment(); }
  void order_accepted() { orders_accepted_->Increment(); }
  void order_rejected(RejectReason reason);
  void trades(double n) { trades_->Increment(n); }
  void order_latency(double seconds) { order_latency_->Observe(seconds); }
  void queue_depth(double depth) { queue_depth_->Set(depth); }
  // The deepest the OrderQueue has been since start (the matching thread sees it).
  void queue_high_water(double depth) { queue_high_water_->Set(depth); }
  // The books, by symbol name: creates the gauges once (before the matching thread
  // runs); book() then sets symbol i's resting orders and price levels per side.
  void add_books(const std::vector<std::string>& symbols);
  void book(std::size_t symbol, double orders, double bid_levels, double ask_levels);
  prometheus::Gauge& connections(bool tcp) { return tcp ? *tcp_connections_ : *http_connections_; }
  // spot_connections_evicted_total of one listener.
  prometheus::Counter& http_evicted() { return *http_evicted_; }
  prometheus::Counter& tcp_evicted() { return *tcp_evicted_; }
  prometheus::Counter& admin_evicted() { return *admin_evicted_; }
  void ready(bool is_ready) { ready_->Set(is_ready ? 1 : 0); }
  void journal_batch(double records, double bytes, double fsync_seconds);
  // The journal failed closed with `why`: spot_journal_failed goes to 1, and
  // spot_journal_failure_info{code="<why's code name>"} appears.
  void journal_failed(const Status& why);
  void journal_replayed(double records, double seconds);
  // A snapshot written: serializing the snapshot thread's replica, then writing and
  // fsyncing the file.
  void snapshot_written(double serialize_seconds, double write_seconds, double bytes);
  void snapshot_failed() { snapshot_failures_->Increment(); }

  // PostgreSQL and the projector that follows the journal into it.
  // Statements sent by the writers (projector, dead-letter queue): kind="write".
  void db_statements(double n) { db_statements_->Increment(n); }
  // Statements sent by the API's read path (cache/read_path.h): kind="read".
  void db_read_statements(double n) { db_read_statements_->Increment(n); }
  // `error_class`: the SQLSTATE class ("08", "23", ...), or "connection" / "timeout".
  void db_error(const std::string& error_class);
  void db_retry() { db_retries_->Increment(); }
  // Breaker state of a dependency: 0 closed, 1 half-open, 2 open; `to` names the new state.
  void breaker_transition(const std::string& dependency, const std::string& to, double state);
  void projector_batch(double records, double seconds);
  // A committed batch that went by COPY (postgres.copy_min_rows new rows or more).
  void projector_copy_batch() { projector_copy_batches_->Increment(); }
  void projector_lag(double events, double seconds);
  void projector_checkpoint(double seq) { projector_checkpoint_->Set(seq); }
  void dead_letter() { dead_letters_->Increment(); }
  // The dead-letter queue: a record set aside (`entity` order/account, the SQLSTATE
  // class of why), entries by status in the table, replays by result, entries waiting
  // in the spill file.
  void dlq_event(const std::string& entity, const std::string& sqlstate_class);
  void dlq_entries(const std::string& status, double n);
  void dlq_replay(const std::string& result);
  void dlq_spilled(double n) { dlq_spilled_->Set(n); }

  // The Redis write-through cache (cache/).
  void cache_write(double seconds, double commands);
  // `reason`: "queue_full" or "unavailable" (breaker open, or the write failed).
  void cache_dropped(const char* reason, double batches);
  void cache_epoch(double epoch) { cache_epoch_->Set(epoch); }
  void cache_queue_rows(double rows) { cache_queue_rows_->Set(rows); }
  // The read path: a Redis lookup's result (hit, miss, error: Redis failed, or was
  // skipped because it is unavailable), reads waiting for a reader, and reads answered
  // with an error by reason (queue_full, deadline, unavailable, not_projected).
  enum class CacheResult : std::uint8_t { Hit, Miss, Error };
  void cache_request(CacheResult result) {
    cache_requests_[static_cast<std::size_t>(result)]->Increment();
  }
  void read_queue(double depth) { read_queue_->Set(depth); }
  void read_failed(const char* reason);

  // The text exposition format (what /metrics serves), with process metrics refreshed.
  std::string scrape();

  prometheus::Registry& registry() { return *registry_; }

 private:
  void update_process_metrics();

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Counter* orders_received_;
  prometheus::Counter* orders_accepted_;
  prometheus::Family<prometheus::Counter>* orders_rejected_family_;
  std::array<prometheus::Counter*, 32> orders_rejected_{};
  prometheus::Counter* trades_;
  prometheus::Histogram* order_latency_;
  prometheus::Gauge* queue_depth_;
  prometheus::Gauge* http_connections_;
  prometheus::Gauge* tcp_connections_;
  prometheus::Counter* http_evicted_;
  prometheus::Counter* tcp_evicted_;
  prometheus::Counter* admin_evicted_;
  prometheus::Gauge* ready_;
  prometheus::Counter* journal_appends_;
  prometheus::Counter* journal_bytes_;
  prometheus::Histogram* journal_fsync_seconds_;
  prometheus::Histogram* journal_batch_records_;
  prometheus::Gauge* journal_failed_;
  prometheus::Family<prometheus::Gauge>* journal_failure_info_;
  prometheus::Gauge* journal_replay_seconds_;
  prometheus::Gauge* journal_replay_records_;
  prometheus::Gauge* snapshot_serialize_seconds_;
  prometheus::Gauge* snapshot_write_seconds_;
  prometheus::Gauge* snapshot_bytes_;
  prometheus::Gauge* snapshot_age_seconds_;
  prometheus::Counter* snapshot_failures_;
  std::atomic<std::int64_t> snapshot_written_monotonic_ns_{0};
  prometheus::Counter* process_cpu_seconds_;
  double cpu_seconds_reported_ = 0;
  prometheus::Gauge* process_resident_bytes_;
  prometheus::Gauge* process_open_fds_;
  prometheus::Gauge* process_start_time_;

  prometheus::Gauge* queue_high_water_;
  prometheus::Family<prometheus::Gauge>* book_orders_;
  prometheus::Family<prometheus::Gauge>* book_levels_;
  struct BookGauges {
    prometheus::Gauge* orders;
    prometheus::Gauge* bids;
    prometheus::Gauge* asks;
  };
  std::vector<BookGauges> books_;
  prometheus::Gauge* process_threads_;
  prometheus::Counter* db_statements_;
  prometheus::Counter* db_read_statements_;
  prometheus::Family<prometheus::Counter>* db_errors_;
  prometheus::Counter* db_retries_;
  prometheus::Family<prometheus::Gauge>* breaker_state_;
  prometheus::Family<prometheus::Counter>* breaker_transitions_;
  prometheus::Histogram* projector_batch_records_;
  prometheus::Histogram* projector_batch_seconds_;
  prometheus::Counter* projector_copy_batches_;
  prometheus::Gauge* projector_lag_events_;
  prometheus::Gauge* projector_lag_seconds_;
  prometheus::Gauge* projector_checkpoint_;
  prometheus::Counter* dead_letters_;
  prometheus::Family<prometheus::Counter>* dlq_events_;
  prometheus::Family<prometheus::Gauge>* dlq_entries_;
  prometheus::Family<prometheus::Counter>* dlq_replays_;
  prometheus::Gauge* dlq_spilled_;

  prometheus::Counter* cache_writes_;
  prometheus::Histogram* cache_write_seconds_;
  prometheus::Counter* cache_commands_;
  prometheus::Counter* cache_dropped_queue_full_;
  prometheus::Counter* cache_dropped_unavailable_;
  prometheus::Gauge* cache_epoch_;
  prometheus::Gauge* cache_queue_rows_;
  std::array<prometheus::Counter*, 3> cache_requests_{};
  prometheus::Gauge* read_queue_;
  prometheus::Family<prometheus::Counter>* read_failures_;
  std::array<prometheus::Counter*, 4> read_failed_{};

  std::mutex process_mutex_;
  std::mutex http_mutex_;
  std::unordered_map<std::string, prometheus::Counter*> http_handles_;
};

}  // namespace spot
