#include "spot/journal/snapshot.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "spot/journal/codec.h"
#include "spot/journal/journal.h"
#include "spot/metrics/metrics.h"

namespace spot {
namespace {

constexpr char kMagic[8] = {'S', 'P', 'O', 'T', 'S', 'N', 'P', '1'};
constexpr std::size_t kHeaderBytes = 8 + 8 + 4 + 8;  // magic, last_seq, crc, length

void put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
std::uint64_t get64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

bool is_snapshot(const std::string& name) {
  return name.size() == 34 && name.rfind("snapshot-", 0) == 0 && name.substr(29) == ".snap";
}
bool is_segment(const std::string& name) { return name.size() == 24 && name.substr(20) == ".wal"; }
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

bool write_snapshot(FileSystem& fs, const std::string& dir, std::uint64_t last_seq,
                    const std::string& engine_state, std::size_t keep, std::string* error) {
  std::string bytes(kMagic, sizeof(kMagic));
  put64(bytes, last_seq);
  const std::uint32_t crc = journal::crc32c(engine_state);
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(crc >> (8 * i)));
  put64(bytes, engine_state.size());
  bytes += engine_state;

  const std::string final_path = dir + "/" + snapshot_name(last_seq);
  const std::string tmp_path = final_path + ".tmp";
  if (!fs.remove(tmp_path, error)) return false;
  {
    auto file = fs.open_append(tmp_path, error);
    if (!file || !file->append(bytes, error) || !file->sync(error)) return false;
  }
  if (!fs.rename(tmp_path, final_path, error) || !fs.sync_dir(dir, error)) return false;

  // Retention: the newest `keep` snapshots; segments before the oldest kept one go.
  std::vector<std::uint64_t> snapshots;
  std::vector<std::uint64_t> segments;
  for (const std::string& name : fs.list(dir)) {
    if (is_snapshot(name)) snapshots.push_back(number_in(name, 9));
    if (is_segment(name)) segments.push_back(number_in(name, 0));
  }
  std::sort(snapshots.begin(), snapshots.end());
  std::sort(segments.begin(), segments.end());
  const std::size_t keep_n = std::max<std::size_t>(1, keep);
  while (snapshots.size() > keep_n) {
    if (!fs.remove(dir + "/" + snapshot_name(snapshots.front()), error)) return false;
    snapshots.erase(snapshots.begin());
  }
  const std::uint64_t covered = snapshots.front();
  // Segment i holds [first_i, first_{i+1} - 1]: deletable when that ends at or before
  // the oldest kept snapshot. The newest segment is never deleted.
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1] - 1 <= covered) {
      if (!fs.remove(dir + "/" + segment_name(segments[i]), error)) return false;
    }
  }
  return true;
}

std::optional<LoadedSnapshot> load_newest_snapshot(FileSystem& fs, const std::string& dir,
                                                   std::vector<SymbolSpec> symbols,
                                                   EngineLimits limits,
                                                   std::unique_ptr<Engine>& engine,
                                                   std::string* warning, std::string* error) {
  if (!fs.create_dirs(dir, error)) return std::nullopt;
  std::vector<std::string> names;
  for (const std::string& name : fs.list(dir)) {
    if (is_snapshot(name)) names.push_back(name);
  }
  std::sort(names.rbegin(), names.rend());
  for (const std::string& name : names) {
    std::string bytes;
    if (!fs.read_file(dir + "/" + name, &bytes, error)) return std::nullopt;
    const bool framed = bytes.size() >= kHeaderBytes && std::memcmp(bytes.data(), kMagic, 8) == 0 &&
                        get64(bytes.data() + 20) == bytes.size() - kHeaderBytes;
    std::uint32_t crc = 0;
    if (framed) {
      for (int i = 0; i < 4; ++i)
        crc |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[16 + i])) << (8 * i);
    }
    const std::string_view state =
        framed ? std::string_view(bytes).substr(kHeaderBytes) : std::string_view();
    if (!framed || journal::crc32c(state) != crc) {
      *warning += name + ": damaged (bad frame or CRC), trying an older snapshot; ";
      continue;
    }
    auto candidate = std::make_unique<Engine>(symbols, limits);
    std::string why;
    if (!candidate->restore(state, &why)) {
      *warning += name + ": " + why + ", trying an older snapshot; ";
      continue;
    }
    engine = std::move(candidate);
    return LoadedSnapshot{get64(bytes.data() + 8), name};
  }
  engine = std::make_unique<Engine>(std::move(symbols), limits);
  return LoadedSnapshot{};
}

SnapshotWriter::SnapshotWriter(FileSystem& fs, std::string dir, std::size_t keep, Metrics* metrics)
    : fs_(fs), dir_(std::move(dir)), keep_(keep), metrics_(metrics) {}

SnapshotWriter::~SnapshotWriter() { stop(); }

void SnapshotWriter::start() {
  thread_ = std::thread([this] { run(); });
}

void SnapshotWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SnapshotWriter::enqueue(std::uint64_t last_seq, std::string engine_state) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.emplace(last_seq, std::move(engine_state));
  }
  wakeup_.notify_one();
}

void SnapshotWriter::run() {
  while (true) {
    std::pair<std::uint64_t, std::string> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wakeup_.wait(lock, [this] { return stopping_ || pending_.has_value(); });
      if (!pending_) return;
      job = std::move(*pending_);
      pending_.reset();
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::string error;
    const bool ok = write_snapshot(fs_, dir_, job.first, job.second, keep_, &error);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (metrics_ != nullptr)
      metrics_->snapshot_written(ok, seconds, static_cast<double>(job.second.size()));
  }
}

}  // namespace spot
