// Start-up recovery: the newest valid snapshot, then every journal record after it,
// replayed through a fresh Engine. Used by spotd at start, by `spotd --replay-only`,
// and by `spot-bench replay`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spot/core/status.h"
#include "spot/engine/engine.h"
#include "spot/journal/file_system.h"

namespace spot {

struct RecoveredEngine {
  std::unique_ptr<Engine> engine;
  std::uint64_t snapshot_seq = 0;  // 0: no snapshot was loaded
  std::uint64_t next_seq = 1;      // the sequence number the next journal record gets
  std::uint64_t records = 0;       // journal records replayed after the snapshot
  std::uint64_t truncated_bytes = 0;
  double snapshot_seconds = 0;  // reading and restoring the snapshot
  double replay_seconds = 0;    // reading and replaying the journal after it
  std::string warning;          // snapshots skipped as damaged, if any
};

// Truncates a torn tail of the last segment (see recover_journal), so it must not run
// while a JournalWriter is writing the same directory. Fails (with *out unusable) on
// I/O failure, or with Corruption for damage in the middle of the journal.
Status recover_engine(FileSystem& fs, const std::string& dir, std::vector<SymbolSpec> symbols,
                      EngineLimits limits, RecoveredEngine* out);

}  // namespace spot
