// Snapshots: the whole engine state as of a journal sequence number, so that start-up
// replays only the journal after it and old segments can be deleted. A snapshot is
// written to a temporary file, fsynced, renamed into place, and the directory fsynced:
// a crash leaves either the old set of snapshots or the new one, never half a file.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "spot/engine/engine.h"
#include "spot/journal/file_system.h"

namespace spot {

class Metrics;

// "snapshot-<last_seq, 20 digits>.snap"
std::string snapshot_name(std::uint64_t last_seq);

// Frames `engine_state` (Engine::serialize) with its sequence number and CRC32C and
// writes it durably into dir. Then keeps the newest `keep` snapshots and deletes the
// journal segments wholly covered by the oldest snapshot kept.
bool write_snapshot(FileSystem& fs, const std::string& dir, std::uint64_t last_seq,
                    const std::string& engine_state, std::size_t keep, std::string* error);

struct LoadedSnapshot {
  std::uint64_t last_seq = 0;  // 0: no snapshot, start from an empty engine
  std::string file;
};

// Restores the newest valid snapshot in dir into `engine` (a fresh one). A snapshot
// that fails its CRC or does not decode is skipped with a note in *warning, and the
// next older one is tried. Returns nullopt (with *error) only on I/O failure.
std::optional<LoadedSnapshot> load_newest_snapshot(FileSystem& fs, const std::string& dir,
                                                   std::vector<SymbolSpec> symbols,
                                                   EngineLimits limits,
                                                   std::unique_ptr<Engine>& engine,
                                                   std::string* warning, std::string* error);

// Writes snapshots on its own thread, so that neither matching nor the journal waits
// for them. Only the newest pending snapshot is kept: an older one still waiting is
// dropped when a newer one arrives.
class SnapshotWriter {
 public:
  SnapshotWriter(FileSystem& fs, std::string dir, std::size_t keep, Metrics* metrics);
  ~SnapshotWriter();
  void start();
  void stop();
  // Thread-safe. REQUIRES: every journal record up to last_seq is durable.
  void enqueue(std::uint64_t last_seq, std::string engine_state);

 private:
  void run();

  FileSystem& fs_;
  std::string dir_;
  std::size_t keep_;
  Metrics* metrics_;
  std::mutex mutex_;
  std::condition_variable wakeup_;
  std::optional<std::pair<std::uint64_t, std::string>> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace spot
