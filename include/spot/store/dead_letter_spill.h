// The spill file: dead letters that could not be written to the dead_letters table yet
// (the database was away), kept on local disk under the journal directory, fsynced
// before the projector moves past their records, and moved into the table when the
// database returns. Never in memory only.
//
// Format: records of [u32 length][u32 CRC32C of the body][body: the DeadLetter as JSON],
// little-endian. A torn last record (a crash in the middle of an append, which was
// then never acknowledged) is ignored; a damaged record with more after it is
// corruption.
//
// Moving entries out: take() renames the file to <name>.draining (appends go on into a
// new file meanwhile) and returns what the draining file holds; once those are in the
// table, release() removes it. A crash in between leaves the draining file, which the
// next take() returns again (the table skips keys it has).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "spot/core/status.h"
#include "spot/journal/file_system.h"
#include "spot/store/dead_letters.h"

namespace spot {

// One record of the file.
std::string encode_spill_record(const DeadLetter& letter);
// Every whole record of `bytes`, in order; `*used` is where the last whole one ends (a
// torn tail after it is not an error). Corruption if a record that is followed by
// others is damaged.
Status decode_spill_records(std::string_view bytes, std::vector<DeadLetter>* out,
                            std::size_t* used);

inline constexpr const char* kDeadLetterSpillName = "dead-letters.spill";

// Thread-safe.
class DeadLetterSpill {
 public:
  DeadLetterSpill(FileSystem& fs, std::string dir);

  // Reads what the files hold (counts them). Corruption if a file is damaged.
  Status open();
  // Appends and fsyncs `letter`; it is durable once this returns ok.
  Status append(const DeadLetter& letter);
  // The entries waiting, oldest first (see above). Empty when there are none.
  Status take(std::vector<DeadLetter>* out);
  // The entries take() returned are in the table: forgets them.
  Status release();

  // Entries in the files (appended and not yet released).
  std::size_t size() const;

 private:
  Status read_whole(const std::string& path, std::vector<DeadLetter>* out);

  FileSystem& fs_;
  const std::string dir_;
  const std::string path_;
  const std::string draining_path_;

  mutable std::mutex mutex_;
  std::size_t appended_ = 0;  // entries in path_
  std::size_t draining_ = 0;  // entries in draining_path_
};

}  // namespace spot
