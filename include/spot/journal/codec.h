// The journal's record framing (docs/journal-format.md) and the binary form of the
// commands it holds. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spot/engine/commands.h"

namespace spot::journal {

// CRC-32C (Castagnoli), as in iSCSI and ext4.
// Uses the SSE 4.2 crc32 instruction where the CPU has it.
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0);
// The same function computed with a lookup table on any CPU.
std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc = 0);

inline constexpr std::size_t kRecordHeaderBytes = 16;  // u32 length, u32 crc, u64 seq
inline constexpr std::size_t kMaxPayloadBytes = 1 << 20;

// Appends one framed record to `out`.
void frame_record(std::uint64_t seq, std::string_view payload, std::string& out);

enum class ParseStatus { Ok, Truncated, Corrupt };

struct ParsedRecord {
  std::uint64_t seq = 0;
  std::string_view payload;
  std::size_t bytes = 0;  // header + payload
};

// Parses the record at the start of `data`. Truncated: not enough bytes for the
// header or the payload it announces. Corrupt: bad length or CRC mismatch.
ParseStatus parse_record(std::string_view data, ParsedRecord& out);

// True for the commands that change engine state (and so are journaled).
bool is_mutating(const CommandBody& command);

// Binary form of a mutating command, its correlation id and the wall-clock time the
// matching thread executed it (ns since the Unix epoch; the engine never reads it, the
// database projection stamps rows with it). A record written before the time field
// existed decodes with *time_ns = 0.
std::string encode_command(const CommandBody& command, const std::string& request_id,
                           std::int64_t time_ns = 0);
// The same, appended to `out` (a caller that reuses one buffer allocates nothing).
void encode_command(const CommandBody& command, const std::string& request_id,
                    std::int64_t time_ns, std::string& out);
bool decode_command(std::string_view payload, CommandBody& command, std::string& request_id,
                    std::int64_t* time_ns = nullptr);

}  // namespace spot::journal
