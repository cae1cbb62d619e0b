#include "spot/journal/snapshot.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

#include "spot/core/binary.h"
#include "spot/core/crash_point.h"
#include "spot/journal/codec.h"
#include "spot/journal/journal.h"
#include "spot/log/log.h"
#include "spot/metrics/metrics.h"

namespace spot {
namespace {

constexpr char kMagic[8] = {'S', 'P', 'O', 'T', 'S', 'N', 'P', '1'};
constexpr std::size_t kHeaderBytes = 8 + 8 + 4 + 8;  // magic, last_seq, crc, length

struct Header {
  std::uint64_t last_seq = 0;
  std::uint32_t crc = 0;
  std::uint64_t length = 0;
};

// The header, if `bytes` starts with one whose length matches the rest of the file.
std::optional<Header> parse_header(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes || bytes.substr(0, 8) != std::string_view(kMagic, 8)) {
    return std::nullopt;
  }
  binary::Reader r(bytes.substr(8, kHeaderBytes - 8));
  Header h;
  r.get(h.last_seq);
  r.get(h.crc);
  r.get(h.length);
  if (h.length != bytes.size() - kHeaderBytes) return std::nullopt;
  return h;
}

bool is_snapshot(const std::string& name) {
  return name.size() == 34 && name.rfind("snapshot-", 0) == 0 && name.substr(29) == ".snap";
}
std::uint64_t number_in(const std::string& name, std::size_t at) {
  return std::strtoull(name.substr(at, 20).c_str(), nullptr, 10);
}

}  // namespace

std::string snapshot_name(std::uint64_t last_seq) {
  char name[48];
  std::snprintf(name, sizeof(name), "snapshot-%020llu.snap",
                static_cast<unsigned long long>(last_seq));
  return name;
}

Status write_snapshot(FileSystem& fs, const std::string& dir, std::uint64_t last_seq,
                      const std::string& engine_state, std::size_t keep, std::uint64_t hold_seq) {
  std::string bytes(kMagic, sizeof(kMagic));
  bytes.reserve(kHeaderBytes + engine_state.size());
  binary::Writer w(bytes);
  w.put(last_seq);
  w.put(journal::crc32c(engine_state));
  w.put(static_cast<std::uint64_t>(engine_state.size()));
  bytes += engine_state;

  const std::string final_path = dir + "/" + snapshot_name(last_seq);
  const std::string tmp_path = final_path + ".tmp";
  Status s = fs.remove(tmp_path);
  if (!s.ok()) return s;
  {
    std::unique_ptr<AppendFile> file;
    s = fs.open_append(tmp_path, &file);
    if (s.ok()) s = file->append(bytes);
    if (s.ok()) s = file->sync();
    if (!s.ok()) return s;
  }
  crash_point("snapshot.written");
  s = fs.rename(tmp_path, final_path);
  if (s.ok()) s = fs.sync_dir(dir);
  if (!s.ok()) return s;
  crash_point("snapshot.renamed");

  // Retention: the newest `keep` snapshots, and the newest one at or before hold_seq;
  // segments wholly before the oldest snapshot kept go.
  std::vector<std::string> names;
  s = fs.list(dir, &names);
  if (!s.ok()) return s;
  std::vector<std::uint64_t> snapshots;
  std::vector<std::uint64_t> segments;
  for (const std::string& name : names) {
    if (is_snapshot(name)) snapshots.push_back(number_in(name, 9));
    if (is_segment_name(name)) segments.push_back(segment_first_seq(name));
  }
  std::sort(snapshots.begin(), snapshots.end());
  std::sort(segments.begin(), segments.end());
  if (snapshots.empty()) return Status();  // not listed yet: nothing to judge retention by
  const std::size_t keep_n = std::min(std::max<std::size_t>(1, keep), snapshots.size());
  const std::uint64_t oldest_of_newest = snapshots[snapshots.size() - keep_n];
  // 0: no snapshot at or before hold_seq, so the holder needs the journal from record 1.
  std::uint64_t held = 0;
  for (const std::uint64_t seq : snapshots) {
    if (seq <= hold_seq) held = seq;
  }
  for (const std::uint64_t seq : snapshots) {
    if (seq >= oldest_of_newest || seq == held) continue;
    s = fs.remove(dir + "/" + snapshot_name(seq));
    if (!s.ok()) return s;
    crash_point("snapshot.pruned");
  }
  const std::uint64_t covered = std::min(oldest_of_newest, held);
  // Segment i holds [first_i, first_{i+1} - 1]: deletable when that ends at or before
  // `covered`. The newest segment is never deleted.
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1] - 1 <= covered) {
      s = fs.remove(dir + "/" + segment_name(segments[i]));
      if (!s.ok()) return s;
      crash_point("snapshot.pruned");
    }
  }
  return Status();
}

Status load_newest_snapshot(FileSystem& fs, const std::string& dir, std::vector<SymbolSpec> symbols,
                            EngineLimits limits, std::unique_ptr<Engine>& engine,
                            LoadedSnapshot* loaded, std::string* warning) {
  return load_snapshot_at_or_before(fs, dir, kNoHold, std::move(symbols), limits, engine, loaded,
                                    warning);
}

Status load_snapshot_at_or_before(FileSystem& fs, const std::string& dir, std::uint64_t max_seq,
                                  std::vector<SymbolSpec> symbols, EngineLimits limits,
                                  std::unique_ptr<Engine>& engine, LoadedSnapshot* loaded,
                                  std::string* warning) {
  Status s = fs.create_dirs(dir);
  if (!s.ok()) return s;
  std::vector<std::string> listed;
  s = fs.list(dir, &listed);
  if (!s.ok()) return s;
  std::vector<std::string> names;
  for (const std::string& name : listed) {
    if (is_snapshot(name) && number_in(name, 9) <= max_seq) names.push_back(name);
  }
  std::sort(names.rbegin(), names.rend());
  for (const std::string& name : names) {
    std::string bytes;
    s = fs.read_file(dir + "/" + name, &bytes);
    if (!s.ok()) return s;
    const auto header = parse_header(bytes);
    const std::string_view state =
        header ? std::string_view(bytes).substr(kHeaderBytes) : std::string_view();
    if (!header || journal::crc32c(state) != header->crc) {
      *warning += name + ": damaged (bad frame or CRC), trying an older snapshot; ";
      continue;
    }
    auto candidate = std::make_unique<Engine>(symbols, limits);
    const Status restored = candidate->restore(state);
    if (!restored.ok()) {
      *warning += name + ": " + restored.message() + ", trying an older snapshot; ";
      continue;
    }
    engine = std::move(candidate);
    *loaded = LoadedSnapshot{header->last_seq, name};
    return Status();
  }
  engine = std::make_unique<Engine>(std::move(symbols), limits);
  *loaded = LoadedSnapshot{};
  return Status();
}

Snapshotter::Snapshotter(FileSystem& fs, SnapshotterOptions options, DurableSeq durable_seq,
                         Metrics* metrics, ErrorSink on_error)
    : fs_(fs),
      options_(std::move(options)),
      durable_seq_(std::move(durable_seq)),
      metrics_(metrics),
      on_error_(std::move(on_error)) {}

Snapshotter::~Snapshotter() { stop(); }

void Snapshotter::start() {
  thread_ = std::thread([this] {
    log::set_component("snapshot");
    run();
  });
}

void Snapshotter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_one();
  if (thread_.joinable()) thread_.join();
}

Status Snapshotter::catch_up() {
  if (!replica_) {
    // Start (or start again after a failure) from the newest snapshot on disk.
    std::string warning;
    LoadedSnapshot loaded;
    const Status s = load_newest_snapshot(fs_, options_.dir, options_.symbols, options_.limits,
                                          replica_, &loaded, &warning);
    if (!s.ok()) return s;
    reader_ = std::make_unique<JournalReader>(fs_, options_.dir, loaded.last_seq + 1);
    last_snapshot_seq_.store(loaded.last_seq);
  }
  Engine& replica = *replica_;
  return reader_->read_until(durable_seq_(), [&replica](const JournalRecord& r) {
    replica.execute(r.command, r.request_id, r.time_ns);
  });
}

Status Snapshotter::snapshot_now() {
  Status s = catch_up();
  if (!s.ok()) {
    replica_.reset();
    if (metrics_ != nullptr) metrics_->snapshot_failed();
    return s;
  }
  const std::uint64_t seq = reader_->next_seq() - 1;
  if (seq <= last_snapshot_seq_.load()) return Status();  // nothing new
  const auto t0 = std::chrono::steady_clock::now();
  std::string state;
  replica_->serialize(state);
  const auto t1 = std::chrono::steady_clock::now();
  s = write_snapshot(fs_, options_.dir, seq, state, options_.keep,
                     options_.hold_seq ? options_.hold_seq() : kNoHold);
  if (!s.ok()) {
    // The replica is still right (only the file failed): the next interval tries again.
    if (metrics_ != nullptr) metrics_->snapshot_failed();
    return s;
  }
  if (metrics_ != nullptr) {
    metrics_->snapshot_written(
        std::chrono::duration<double>(t1 - t0).count(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count(),
        static_cast<double>(state.size()));
  }
  last_snapshot_seq_.store(seq);
  return Status();
}

void Snapshotter::run() {
  // The replica competes for CPU with matching, the journal and the network; on a
  // small machine a snapshot's serialization at normal priority shows up in order
  // latency. At the lowest priority it takes what the others leave (nice 19 still
  // guarantees it a small share, so snapshots are late under full load, not never).
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19) != 0 && on_error_) {
    on_error_(Status::io_error(std::string("cannot lower the snapshot thread's priority: ") +
                               std::strerror(errno)));
  }
  const auto interval = std::chrono::milliseconds(options_.interval_ms);
  const auto follow = std::chrono::milliseconds(
      std::max<std::int64_t>(1, std::min(options_.follow_ms, options_.interval_ms)));
  auto next_snapshot = std::chrono::steady_clock::now() + interval;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wakeup_.wait_for(lock, follow, [this] { return stopping_; })) return;
    }
    // Following the journal every `follow` keeps each catch-up small; the snapshot
    // itself is taken every `interval`. After a failure to follow the journal, the next
    // round starts afresh from the newest snapshot on disk.
    Status s;
    if (std::chrono::steady_clock::now() >= next_snapshot) {
      s = snapshot_now();
      next_snapshot = std::chrono::steady_clock::now() + interval;
    } else {
      s = catch_up();
      if (!s.ok()) {
        replica_.reset();
        if (metrics_ != nullptr) metrics_->snapshot_failed();
      }
    }
    if (!s.ok() && on_error_) on_error_(s);
  }
}

}  // namespace spot
