// The journal (journal/codec.h, journal/reader.h): the input is read three ways.
//   1. As a segment file, by the JournalReader the snapshotter and the projector use:
//      it must fail cleanly (never read out of bounds, never hand on a record that is
//      out of order) whatever the bytes are.
//   2. Record by record with parse_record: a record is never longer than the data.
//   3. As one record's payload, by decode_command (the CRC would stop most mutated
//      inputs before it, so the payload is fed directly and also framed with a correct
//      CRC for the reader): a command that decodes re-encodes canonically.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "spot/journal/codec.h"
#include "spot/journal/journal.h"
#include "spot/journal/reader.h"

namespace {

const std::string kDir = "journal";

// Hands every record of the segment `bytes` (first seq 1) to a JournalReader.
void read_segment(const std::string& bytes) {
  spot::fuzz::MemoryFileSystem fs;
  fs.files[kDir + "/" + spot::segment_name(1)] = bytes;
  spot::JournalReader reader(fs, kDir, 1);
  std::uint64_t expected = 1;
  const spot::Status s = reader.read_until(UINT64_MAX - 1, [&](const spot::JournalRecord& r) {
    FUZZ_CHECK(r.seq == expected);
    ++expected;
  });
  (void)s;  // the records end somewhere: NotFound or Corruption, never a crash
  FUZZ_CHECK(reader.next_seq() == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);

  read_segment(input);

  std::string_view rest = input;
  while (!rest.empty()) {
    spot::journal::ParsedRecord record;
    if (spot::journal::parse_record(rest, record) != spot::journal::ParseStatus::Ok) break;
    FUZZ_CHECK(record.bytes >= spot::journal::kRecordHeaderBytes && record.bytes <= rest.size());
    FUZZ_CHECK(record.payload.size() == record.bytes - spot::journal::kRecordHeaderBytes);
    rest.remove_prefix(record.bytes);
  }

  spot::CommandBody command;
  std::string request_id;
  std::int64_t time_ns = 0;
  if (spot::journal::decode_command(input, command, request_id, &time_ns)) {
    const std::string once = spot::journal::encode_command(command, request_id, time_ns);
    spot::CommandBody again;
    std::string again_id;
    std::int64_t again_ns = 0;
    FUZZ_CHECK(spot::journal::decode_command(once, again, again_id, &again_ns));
    FUZZ_CHECK(again_id == request_id && again_ns == time_ns);
    FUZZ_CHECK(spot::journal::encode_command(again, again_id, again_ns) == once);
  }
  // The same payload with a correct frame, so that the reader's decoding sees it too.
  if (size <= spot::journal::kMaxPayloadBytes) {
    std::string framed;
    spot::journal::frame_record(1, input, framed);
    read_segment(framed);
  }
  return 0;
}
