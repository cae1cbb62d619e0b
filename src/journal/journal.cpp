#include "spot/journal/journal.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "spot/core/crash_point.h"
#include "spot/journal/codec.h"
#include "spot/log/log.h"
#include "spot/metrics/metrics.h"

namespace spot {

std::string segment_name(std::uint64_t first_seq) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu.wal", static_cast<unsigned long long>(first_seq));
  return name;
}

bool is_segment_name(const std::string& name) {
  return name.size() == 24 && name.compare(20, 4, ".wal") == 0;
}

std::uint64_t segment_first_seq(const std::string& name) {
  return std::strtoull(name.substr(0, 20).c_str(), nullptr, 10);
}

JournalWriter::JournalWriter(FileSystem& fs, JournalOptions options, std::uint64_t next_seq,
                             Metrics* metrics)
    : fs_(fs),
      options_(std::move(options)),
      metrics_(metrics),
      durable_seq_(next_seq - 1),
      next_seq_(next_seq) {}

JournalWriter::~JournalWriter() { stop(); }

void JournalWriter::start() {
  if (!options_.writer_thread) return;
  thread_ = std::thread([this] {
    log::set_component("journal");
    run();
  });
}

void JournalWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_one();
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!options_.writer_thread) commit();
}

std::size_t JournalWriter::wait_for_room(std::size_t max, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto refusing = [this] { return stopping_ || failed(); };
  // Without a writer thread only the caller's own commit() makes room: no waiting.
  if (options_.writer_thread) {
    room_.wait_for(lock, timeout, [&] {
      return refusing() || pending_.entries.size() < options_.max_pending_entries;
    });
  }
  if (refusing()) return max;
  const std::size_t free = options_.max_pending_entries -
                           std::min(pending_.entries.size(), options_.max_pending_entries);
  return std::min(max, free);
}

bool JournalWriter::submit(std::string_view payload, Completion&& completion) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed() || stopping_ || pending_.entries.size() >= options_.max_pending_entries) {
      return false;
    }
    std::uint64_t seq = 0;
    if (!payload.empty()) {
      seq = next_seq_++;
      journal::frame_record(seq, payload, pending_.bytes);
    }
    pending_.entries.push_back(Entry{seq, pending_.bytes.size(), std::move(completion)});
  }
  if (options_.writer_thread) wakeup_.notify_one();
  return true;
}

void JournalWriter::commit() {
  if (options_.writer_thread) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_.entries.empty()) return;
    std::swap(committing_, pending_);  // pending_ gets the buffers the last commit emptied
  }
  write_and_complete(committing_);
}

std::uint64_t JournalWriter::last_seq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_seq_ - 1;
}

Status JournalWriter::failure() const {
  // failure_ is written once, before the release store of failed_ that this acquires.
  return failed() ? failure_ : Status();
}

Status JournalWriter::roll_segment(std::uint64_t first_seq) {
  const std::string path = options_.dir + "/" + segment_name(first_seq);
  file_.reset();
  Status s = fs_.open_append(path, &file_);
  if (!s.ok()) return s;
  crash_point("journal.rolled");
  segment_size_ = 0;
  return fs_.sync_dir(options_.dir);
}

Status JournalWriter::write_batch(const Batch& batch, std::size_t first, std::size_t last) {
  // Records are written in runs: a run ends where a segment is full (the next record
  // starts a new segment) and at the end of the entries.
  const std::size_t group_from = first == 0 ? 0 : batch.entries[first - 1].end;
  std::size_t run_from = group_from;
  std::size_t offset = group_from;  // where the next record starts
  std::size_t records = 0;
  std::uint64_t last_seq = 0;
  for (std::size_t k = first; k < last; ++k) {
    const Entry& e = batch.entries[k];
    if (e.seq == 0) continue;
    if (!file_ || segment_size_ >= options_.segment_bytes) {
      // Write what we have to the old segment before starting the new one.
      if (offset > run_from) {
        Status s = file_->append(std::string_view(batch.bytes).substr(run_from, offset - run_from));
        if (s.ok()) s = file_->sync();
        if (!s.ok()) return s;
        run_from = offset;
      }
      Status s = roll_segment(e.seq);
      if (!s.ok()) return s;
    }
    segment_size_ += e.end - offset;
    offset = e.end;
    last_seq = e.seq;
    ++records;
  }
  if (records == 0) return Status();
  const std::string_view bytes = std::string_view(batch.bytes).substr(run_from, offset - run_from);
  Status s = file_->append(bytes);
  if (!s.ok()) return s;
  crash_point("journal.appended");
  const auto t0 = std::chrono::steady_clock::now();
  s = file_->sync();
  if (!s.ok()) return s;
  durable_seq_.store(last_seq, std::memory_order_release);
  if (metrics_ != nullptr) {
    metrics_->journal_batch(
        static_cast<double>(records), static_cast<double>(offset - group_from),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return Status();
}

void JournalWriter::fail(Status why) {
  // Fail closed: nothing after this point is ever reported durable.
  failure_ = std::move(why);
  failed_.store(true, std::memory_order_release);
  room_.notify_all();
  if (metrics_ != nullptr) metrics_->journal_failed(failure_);
}

void JournalWriter::run() {
  Batch batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wakeup_.wait(lock, [this] { return stopping_ || !pending_.entries.empty(); });
      if (pending_.entries.empty() && stopping_) return;
      std::swap(batch, pending_);  // pending_ gets the buffers the last batch emptied
    }
    room_.notify_all();
    write_and_complete(batch);
  }
}

void JournalWriter::write_and_complete(Batch& batch) {
  // One fsync per max_batch_entries entries; each group's completions run as soon as
  // its fsync has returned.
  for (std::size_t first = 0; first < batch.entries.size();) {
    const std::size_t last = std::min(batch.entries.size(),
                                      first + std::max<std::size_t>(options_.max_batch_entries, 1));
    bool ok = !failed();
    if (ok) {
      Status s = write_batch(batch, first, last);
      if (!s.ok()) {
        fail(std::move(s));
        ok = false;
      }
    }
    for (std::size_t k = first; k < last; ++k) batch.entries[k].completion(ok);
    first = last;
  }
  batch.entries.clear();
  batch.bytes.clear();
  // A backlog's buffers are not kept for ever: past a few full groups' worth, the next
  // batch starts small again.
  if (batch.entries.capacity() > 4 * options_.max_batch_entries) {
    std::vector<Entry>().swap(batch.entries);
    std::string().swap(batch.bytes);
  }
}

RecoveryResult recover_journal(
    FileSystem& fs, const std::string& dir,
    const std::function<void(const CommandBody&, const std::string&)>& apply,
    std::uint64_t from_seq) {
  return recover_journal(
      fs, dir, [&apply](const JournalRecord& r) { apply(r.command, r.request_id); }, from_seq);
}

RecoveryResult recover_journal(FileSystem& fs, const std::string& dir,
                               const std::function<void(const JournalRecord&)>& apply,
                               std::uint64_t from_seq) {
  RecoveryResult result;
  result.next_seq = from_seq;
  result.status = fs.create_dirs(dir);
  if (!result.status.ok()) return result;
  std::vector<std::string> names;
  result.status = fs.list(dir, &names);
  if (!result.status.ok()) return result;
  std::vector<std::string> segments;
  for (const std::string& name : names) {
    if (is_segment_name(name)) segments.push_back(name);
  }
  // Segments wholly before from_seq may have been deleted; the first one left must
  // not start after from_seq, or records are missing.
  bool first_record = true;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const bool last = i + 1 == segments.size();
    const std::string path = dir + "/" + segments[i];
    std::string data;
    result.status = fs.read_file(path, &data);
    if (!result.status.ok()) return result;
    std::size_t offset = 0;
    while (offset < data.size()) {
      journal::ParsedRecord record;
      const auto status = journal::parse_record(std::string_view(data).substr(offset), record);
      if (status == journal::ParseStatus::Ok) {
        if (first_record) {
          first_record = false;
          if (record.seq > from_seq) {
            result.status = Status::corruption(path + ": the journal starts at record " +
                                               std::to_string(record.seq) + " but records from " +
                                               std::to_string(from_seq) + " are needed");
            return result;
          }
          result.next_seq = record.seq;
        }
        if (record.seq != result.next_seq) {
          result.status =
              Status::corruption(path + ": record " + std::to_string(record.seq) + " where " +
                                 std::to_string(result.next_seq) + " was expected");
          return result;
        }
        // Records a snapshot covers are checked (CRC, sequence) but not decoded.
        if (record.seq >= from_seq) {
          JournalRecord decoded;
          decoded.seq = record.seq;
          if (!journal::decode_command(record.payload, decoded.command, decoded.request_id,
                                       &decoded.time_ns)) {
            result.status = Status::corruption(path + ": record " + std::to_string(record.seq) +
                                               " does not decode");
            return result;
          }
          apply(decoded);
          ++result.records;
        }
        ++result.next_seq;
        offset += record.bytes;
        continue;
      }
      // A bad or partial record. A torn tail (crash mid-write) is the last thing in the
      // last segment: if any valid record follows, the damage is in the middle.
      bool valid_after = false;
      for (std::size_t probe = offset + 1; probe + journal::kRecordHeaderBytes <= data.size();
           ++probe) {
        journal::ParsedRecord later;
        if (journal::parse_record(std::string_view(data).substr(probe), later) ==
                journal::ParseStatus::Ok &&
            (first_record || later.seq >= result.next_seq)) {
          valid_after = true;
          break;
        }
      }
      if (!last || valid_after) {
        result.status = Status::corruption(
            path + ": corrupt record at byte " + std::to_string(offset) +
            " with valid records after it; refusing to start (restore the journal or "
            "remove the damaged data by hand)");
        return result;
      }
      result.status = fs.truncate(path, offset);
      if (!result.status.ok()) return result;
      result.truncated_bytes = data.size() - offset;
      break;
    }
  }
  return result;
}

}  // namespace spot
