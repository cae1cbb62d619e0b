// Snapshots: the whole engine state as of a journal sequence number, so that start-up
// replays only the journal after it and old segments can be deleted. A snapshot is
// written to a temporary file, fsynced, renamed into place, and the directory fsynced:
// a crash leaves either the old set of snapshots or the new one, never half a file.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "spot/engine/engine.h"
#include "spot/journal/file_system.h"
#include "spot/journal/reader.h"

namespace spot {

class Metrics;

// "snapshot-<last_seq, 20 digits>.snap"
std::string snapshot_name(std::uint64_t last_seq);

// No reader holds the journal back (see write_snapshot).
inline constexpr std::uint64_t kNoHold = UINT64_MAX;

// Frames `engine_state` (Engine::serialize) with its sequence number and CRC32C and
// writes it durably into dir. Then keeps the newest `keep` snapshots and deletes the
// journal segments wholly covered by the oldest snapshot kept. A reader that still
// needs the records after `hold_seq` (the database projector's checkpoint) holds the
// journal back: the newest snapshot at or before hold_seq is kept as well, and no
// segment after it is deleted, so that reader can always rebuild its replica.
Status write_snapshot(FileSystem& fs, const std::string& dir, std::uint64_t last_seq,
                      const std::string& engine_state, std::size_t keep,
                      std::uint64_t hold_seq = kNoHold);

struct LoadedSnapshot {
  std::uint64_t last_seq = 0;  // 0: no snapshot, start from an empty engine
  std::string file;
};

// Restores the newest valid snapshot in dir into `engine` (a fresh one) and describes
// it in *loaded (last_seq 0 and an empty engine when there is none). A snapshot that
// fails its CRC or does not decode is skipped with a note in *warning, and the next
// older one is tried. Fails (leaving `engine` and *loaded alone) only on I/O failure.
Status load_newest_snapshot(FileSystem& fs, const std::string& dir, std::vector<SymbolSpec> symbols,
                            EngineLimits limits, std::unique_ptr<Engine>& engine,
                            LoadedSnapshot* loaded, std::string* warning);
// The same, among the snapshots at or before `max_seq` only.
Status load_snapshot_at_or_before(FileSystem& fs, const std::string& dir, std::uint64_t max_seq,
                                  std::vector<SymbolSpec> symbols, EngineLimits limits,
                                  std::unique_ptr<Engine>& engine, LoadedSnapshot* loaded,
                                  std::string* warning);

// When snapshots are taken and how many are kept (the [snapshot] config section).
struct SnapshotPolicy {
  std::int64_t interval_ms = 60'000;  // a snapshot this often, when there is anything new;
                                      // 0: only at clean shutdown (no snapshot thread)
  std::int64_t follow_ms = 1'000;     // how often the replica catches up with the journal
  std::size_t keep = 2;               // snapshots kept; journal segments before the oldest go
};

struct SnapshotterOptions : SnapshotPolicy {
  std::string dir;
  std::vector<SymbolSpec> symbols;  // as the matching engine has them
  EngineLimits limits;
  // The hold_seq of write_snapshot, asked at each snapshot (the projector's committed
  // checkpoint); none: nothing holds the journal back.
  std::function<std::uint64_t()> hold_seq;
};

// Takes periodic snapshots without pausing matching. It keeps its own replica of the
// engine, started from the newest snapshot on disk and fed by the journal records the
// writer has made durable (read back from the segment files with a JournalReader), and
// serializes that replica on its own thread. Replay is deterministic, so the replica at
// sequence N is the engine at sequence N: the state-hash tests check exactly this.
class Snapshotter {
 public:
  using DurableSeq = std::function<std::uint64_t()>;
  using ErrorSink = std::function<void(const Status&)>;

  // `durable_seq` tells the last journal record that is on disk (JournalWriter::
  // durable_seq); `on_error` hears of failures. A snapshot that cannot be written is
  // tried again next interval; a journal that cannot be followed makes the next round
  // rebuild the replica from the newest snapshot on disk.
  Snapshotter(FileSystem& fs, SnapshotterOptions options, DurableSeq durable_seq, Metrics* metrics,
              ErrorSink on_error = {});
  ~Snapshotter();

  void start();
  void stop();

  // Catches the replica up with the durable journal and, if that added anything since
  // the last snapshot, writes one. The thread calls this every interval; tests call it
  // directly (not while started).
  Status snapshot_now();

  // The sequence number the last snapshot covers (0: none yet).
  std::uint64_t last_snapshot_seq() const { return last_snapshot_seq_.load(); }

 private:
  Status catch_up();
  void run();

  FileSystem& fs_;
  SnapshotterOptions options_;
  DurableSeq durable_seq_;
  Metrics* metrics_;
  ErrorSink on_error_;
  std::unique_ptr<Engine> replica_;  // snapshot thread only
  std::unique_ptr<JournalReader> reader_;
  std::atomic<std::uint64_t> last_snapshot_seq_{0};

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace spot
