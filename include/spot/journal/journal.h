// The write-ahead journal: append-only segment files of framed, CRC-checked records,
// written and fdatasync'ed with group commit, by a writer thread of its own or by the
// submitter when it commits a batch (JournalOptions::writer_thread). An entry's
// completion runs only after the fsync that covers it has returned (or with ok=false
// once the journal has failed: it then fails closed and never reports success again).
//
// The writer is the one owner of record sequence numbers: `submit` assigns them.
// Backpressure comes before execution: the matching thread asks for `room` before it
// takes commands, so `submit` of an executed command is refused only when the journal
// has already failed or is stopping.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "spot/core/inplace_function.h"
#include "spot/engine/commands.h"
#include "spot/journal/file_system.h"
#include "spot/journal/reader.h"

namespace spot {

class Metrics;

struct JournalOptions {
  std::string dir = "var/journal";  // spotd runs without a journal (acks not durable) if empty
  std::uint64_t segment_bytes = 64ull << 20;  // a new segment starts past this size
  std::size_t max_batch_entries = 8192;       // entries covered by one fsync at most
  // Entries waiting for the writer (backpressure). The writer takes all of them at once
  // and writes them in fsyncs of max_batch_entries, so at most twice this many entries
  // are in memory.
  std::size_t max_pending_entries = 1 << 20;
  // true: a writer thread of its own writes and fsyncs while the submitter goes on.
  // false: the submitter writes and fsyncs its own entries when it calls commit(), and
  // runs their completions: no thread to wake per group commit. spotd's default is
  // false (config.h: the matching thread commits after each batch; bench/RESULTS.md:
  // 9-11% less CPU per order); true suits a disk whose fsync is so slow that matching
  // should not wait for it.
  bool writer_thread = true;
};

// Room for what a completion captures inline: the matching loop's holds a command's
// reply and its reply callback (journal entries never allocate for their completion).
inline constexpr std::size_t kJournalCompletionBytes = 352;

class JournalWriter {
 public:
  using Completion = InplaceFunction<void(bool durable), kJournalCompletionBytes>;

  // REQUIRES: recovery has run on the same directory; next_seq follows its last record.
  JournalWriter(FileSystem& fs, JournalOptions options, std::uint64_t next_seq, Metrics* metrics);
  ~JournalWriter();

  // Starts the writer thread (none without JournalOptions::writer_thread).
  void start();
  // Writes and syncs what is pending, runs its completions, and joins the thread.
  // Without a writer thread: REQUIRES no submitter is running.
  void stop();

  // Blocks the (single) submitter until at least one entry fits, the journal fails
  // or stops, or `timeout` passes; returns how many entries `submit` will take now
  // (0 on timeout; `max` once failed or stopping, since submit then refuses at once).
  // Without a writer thread, never waits: only the submitter's commit() makes room.
  std::size_t wait_for_room(std::size_t max, std::chrono::milliseconds timeout);

  // From the matching thread. The record is framed straight into the buffer the writer
  // will write (the caller can reuse its payload buffer: nothing here allocates in
  // steady state). An empty payload writes nothing and gets no sequence number but
  // keeps its place in line: its completion runs after everything submitted before it
  // is durable. Returns false, leaving `completion` untouched and not run, when the
  // entry is refused (the journal failed or is stopping, or the caller did not wait
  // for room). REQUIRES: one submitter.
  bool submit(std::string_view payload, Completion&& completion);

  // From the submitter, once it has submitted what it has for now (a batch). Without a
  // writer thread, writes and fsyncs every entry submitted since the last commit, in
  // fsyncs of max_batch_entries, and runs their completions, on the calling thread,
  // before it returns. With one, nothing: the writer takes entries as they come.
  void commit();

  bool failed() const { return failed_.load(std::memory_order_acquire); }

  // Why the journal failed: the Status of the write, fsync or segment roll that failed
  // it (NoSpace, FsyncFailed, IoError, ...), or ok while it has not failed.
  Status failure() const;

  // The sequence number of the last record submitted (written or not).
  std::uint64_t last_seq() const;

  // The sequence number of the last record known to be on disk (fsync returned).
  std::uint64_t durable_seq() const { return durable_seq_.load(std::memory_order_acquire); }

 private:
  struct Entry {
    std::uint64_t seq = 0;  // 0: an empty payload, no record
    std::size_t end = 0;    // where its framed record (if any) ends in Batch::bytes
    Completion completion;
  };
  // Framed records back to back, and their entries in the same order. Two of them
  // change places (the submitters' and the writer's), so their buffers are reused.
  struct Batch {
    std::string bytes;
    std::vector<Entry> entries;
  };

  void run();
  // Writes and syncs `batch` in groups of max_batch_entries, runs each group's
  // completions once its fsync has returned, and empties it.
  void write_and_complete(Batch& batch);
  // Writes and syncs the records of entries [first, last) of `batch`.
  Status write_batch(const Batch& batch, std::size_t first, std::size_t last);
  Status roll_segment(std::uint64_t first_seq);
  void fail(Status why);

  FileSystem& fs_;
  JournalOptions options_;
  Metrics* metrics_;
  std::unique_ptr<AppendFile> file_;
  std::uint64_t segment_size_ = 0;
  std::atomic<std::uint64_t> durable_seq_;
  Status failure_;  // written once by the writer thread, before failed_ is set
  std::atomic<bool> failed_{false};

  mutable std::mutex mutex_;
  std::condition_variable wakeup_;  // the writer: entries pending, or stop
  std::condition_variable room_;    // the submitter: entries left the queue
  Batch pending_;
  std::uint64_t next_seq_;  // the next record's sequence number (under mutex_)
  bool stopping_ = false;
  std::thread thread_;
  Batch committing_;  // without a writer thread: the batch commit() writes (submitter's)
};

struct RecoveryResult {
  // Corruption for damage before the tail, a gap in the sequence or records missing
  // at the start; the file system's Status for an I/O failure.
  Status status;
  std::uint64_t records = 0;
  std::uint64_t next_seq = 1;
  std::uint64_t truncated_bytes = 0;  // torn tail cut off the last segment
};

// Reads every segment in order, checks each record, and hands each command with
// seq >= from_seq to `apply` (earlier ones are covered by a snapshot). A torn or
// corrupt tail of the last segment (nothing valid after it) is truncated; a gap in the
// sequence, or damage anywhere else, is an error (result.status).
RecoveryResult recover_journal(
    FileSystem& fs, const std::string& dir,
    const std::function<void(const CommandBody&, const std::string&)>& apply,
    std::uint64_t from_seq = 1);
// The same, handing over each whole record (with its time, which a replay into an
// Engine must pass on: Engine::execute).
RecoveryResult recover_journal(FileSystem& fs, const std::string& dir,
                               const std::function<void(const JournalRecord&)>& apply,
                               std::uint64_t from_seq = 1);

// Segment file name for a first sequence number ("00000000000000000001.wal"), whether a
// file name is one, and the first sequence number it names.
std::string segment_name(std::uint64_t first_seq);
bool is_segment_name(const std::string& name);
std::uint64_t segment_first_seq(const std::string& name);

}  // namespace spot
