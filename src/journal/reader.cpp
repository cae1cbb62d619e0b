#include "spot/journal/reader.h"

#include "spot/journal/codec.h"
#include "spot/journal/journal.h"

namespace spot {
JournalReader::JournalReader(FileSystem& fs, std::string dir, std::uint64_t next_seq)
    : fs_(fs), dir_(std::move(dir)), next_seq_(next_seq) {}

// Moves to the segment that holds next_seq_: the one with the largest first sequence
// number not after it (records before next_seq_ in it are skipped while reading). The
// position in the current segment is kept if that is still the one.
Status JournalReader::locate() {
  std::vector<std::string> names;
  Status s = fs_.list(dir_, &names);
  if (!s.ok()) return s;
  std::string best;
  for (const std::string& name : names) {
    if (is_segment_name(name) && segment_first_seq(name) <= next_seq_ &&
        (best.empty() || segment_first_seq(name) > segment_first_seq(best))) {
      best = name;
    }
  }
  if (best.empty()) {
    return Status::not_found(dir_ + ": no journal segment holds record " +
                             std::to_string(next_seq_));
  }
  if (best != segment_) {
    segment_ = best;
    offset_ = 0;
  }
  return Status();
}

Status JournalReader::read_until(std::uint64_t last_seq, const Apply& apply) {
  if (next_seq_ > last_seq) return Status();
  Status s = locate();
  if (!s.ok()) return s;
  while (true) {
    const std::string path = dir_ + "/" + segment_;
    std::string data;
    s = fs_.read_from(path, offset_, &data);
    if (!s.ok()) return s;
    std::size_t at = 0;
    while (next_seq_ <= last_seq) {
      journal::ParsedRecord record;
      if (journal::parse_record(std::string_view(data).substr(at), record) !=
          journal::ParseStatus::Ok) {
        break;  // the end of what is written in this segment so far
      }
      at += record.bytes;
      if (record.seq < next_seq_) continue;  // before the starting point
      if (record.seq != next_seq_) {
        return Status::corruption(path + ": record " + std::to_string(record.seq) + " where " +
                                  std::to_string(next_seq_) + " was expected");
      }
      decoded_.seq = record.seq;
      if (!journal::decode_command(record.payload, decoded_.command, decoded_.request_id,
                                   &decoded_.time_ns)) {
        return Status::corruption(path + ": record " + std::to_string(record.seq) +
                                  " does not decode");
      }
      apply(decoded_);
      ++next_seq_;
    }
    offset_ += at;
    if (next_seq_ > last_seq) return Status();
    // Nothing more here: the writer must have moved on to a segment named after
    // next_seq_. If there is none, a record reported durable is missing or damaged.
    const std::string current = segment_;
    s = locate();
    if (!s.ok()) return s;
    if (segment_ == current) {
      return Status::corruption(path + ": durable record " + std::to_string(next_seq_) +
                                " is missing or damaged at byte " + std::to_string(offset_));
    }
  }
}

}  // namespace spot
