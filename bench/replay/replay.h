// `spot-bench replay`: how fast start-up recovery rebuilds the engine from the journal.
//
// It writes a real journal: one account, then the W1 op stream (prefill and ops) as the
// daemon would journal it (orders with a correlation id and a clientOrderId, cancels
// by engine order id), executed by a live Engine and appended with group commit and
// fdatasync. Optionally a snapshot is taken after `snapshot_at` records. Then, timed,
// it recovers a fresh engine from that directory exactly as spotd does at start-up and
// checks that the recovered state hash equals the live engine's.
#pragma once

#include <cstdint>
#include <string>

#include "bench/workload/workload.h"
#include "spot/engine/engine.h"

namespace spot::bench {

struct ReplayOptions {
  std::uint64_t ops = 1'000'000;  // W1 ops after prefill
  std::uint64_t seed = 20240601;
  std::uint64_t prefill = 1'000;  // per symbol
  std::uint64_t snapshot_at = 0;  // journal records covered by a snapshot; 0: none
  std::string dir;                // must not exist or be empty
  int repeat = 1;                 // timed recoveries; the median is reported
  // The live and the recovered engine's (engine.order_history, engine.idempotency_window).
  std::size_t order_history = EngineLimits{}.order_history;
  std::size_t idempotency_window = EngineLimits{}.idempotency_window;
};

struct ReplayResult {
  std::uint64_t records = 0;        // journal records replayed after the snapshot
  std::uint64_t snapshot_seq = 0;   // records covered by the snapshot loaded
  std::uint64_t journal_bytes = 0;  // size of the segments on disk
  std::uint64_t trades = 0;         // trades the replayed records produced
  double seconds = 0;               // median recovery time (snapshot load + replay)
  double snapshot_seconds = 0;      // of that run: reading and restoring the snapshot
  double replay_seconds = 0;        // of that run: reading and replaying the journal
  bool hash_matches = false;
  std::uint64_t state_hash = 0;
  std::uint64_t snapshot_bytes = 0;       // the snapshot file written at snapshot_at, if any
  std::uint64_t end_state_bytes = 0;      // Engine::serialize of the recovered engine at the end
  std::uint64_t records_in_memory = 0;    // order records the recovered engine holds
  std::uint64_t window_keys = 0;          // keys in its idempotency window
  std::uint64_t window_memory_bytes = 0;  // what its idempotency window allocates
};

// The engine limits of a W1 run: books sized for it, no per-account open-order limit
// (all of W1 is one account), no balance checks (the pure book).
EngineLimits engine_limits(const Workload& w);

// Executes `w` on `engine` and journals it durably in `dir` as spotd does: one account
// ("bench"), then every op (prefill included) as an order with a correlation id and a
// clientOrderId, or a cancel by engine order id (cancels of orders never accepted are
// left out, as the load generator leaves them out). Each record is stamped with the
// wall-clock time of its execution, as the matching loop stamps it. With snapshot_at
// > 0, a snapshot is written after that many records. Returns the last record's
// sequence number in *last_seq. REQUIRES: `dir` exists and holds no journal; `engine`
// is fresh, with symbol_specs(w) and engine_limits(w).
bool write_journal(const Workload& w, const std::string& dir, std::uint64_t snapshot_at,
                   Engine& engine, std::uint64_t* last_seq, std::string* error);

// Returns false with *error on an I/O failure or a bad option.
bool run_replay(const ReplayOptions& options, ReplayResult* result, std::string* error);

std::string to_json(const ReplayOptions& options, const ReplayResult& result);

}  // namespace spot::bench
