// Reads a live journal from a position onwards, while the JournalWriter keeps
// appending to it: the snapshot builder follows the journal with it (and a database
// projector can do the same). It only ever reads records the writer has reported
// durable, so it never sees a record being written, and it never changes a file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "spot/core/status.h"
#include "spot/engine/commands.h"
#include "spot/journal/file_system.h"

namespace spot {

// One journal record as read back: the command and what the journal keeps beside it.
struct JournalRecord {
  std::uint64_t seq = 0;
  CommandBody command;
  std::string request_id;    // correlation id
  std::int64_t time_ns = 0;  // wall clock when executed (0 in records from before 0.3)
};

class JournalReader {
 public:
  using Apply = std::function<void(const JournalRecord&)>;

  // The first record read will be `next_seq`; the segment holding it must still exist.
  JournalReader(FileSystem& fs, std::string dir, std::uint64_t next_seq);

  // Hands every record from next_seq() up to and including `last_seq` to `apply`, in
  // order. REQUIRES: records up to last_seq are durable. Fails if one of them is
  // missing (NotFound: no segment holds it), damaged or out of order (Corruption), or
  // cannot be read; the reader is then unusable.
  Status read_until(std::uint64_t last_seq, const Apply& apply);

  std::uint64_t next_seq() const { return next_seq_; }

 private:
  Status locate();

  FileSystem& fs_;
  std::string dir_;
  std::uint64_t next_seq_;
  std::string segment_;       // name of the segment being read; empty: not found yet
  std::uint64_t offset_ = 0;  // bytes of segment_ already consumed
  JournalRecord decoded_;     // reused, so its strings keep their buffers
};

}  // namespace spot
