// Status: the outcome of an I/O operation (or of decoding what it read), in the manner
// of LevelDB's Status: ok, or a code that tells a caller what kind of failure it was
// (a full disk is not corruption) plus a message for people. Cheap when ok: no
// allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace spot {

enum class StatusCode : std::uint8_t {
  Ok = 0,
  NotFound,     // a file or record that should be there is not
  Corruption,   // data read back is damaged, out of order or does not decode
  IoError,      // an operating-system call failed for another reason
  NoSpace,      // the disk or quota is full (ENOSPC, EDQUOT)
  FsyncFailed,  // fsync/fdatasync failed: written data may not be on stable storage
};

// A stable short name per code, for metric labels, log fields and health answers:
// "ok", "not_found", "corruption", "io_error", "no_space", "fsync_failed".
std::string_view to_string(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok

  static Status not_found(std::string message) {
    return {StatusCode::NotFound, std::move(message)};
  }
  static Status corruption(std::string message) {
    return {StatusCode::Corruption, std::move(message)};
  }
  static Status io_error(std::string message) { return {StatusCode::IoError, std::move(message)}; }
  static Status no_space(std::string message) { return {StatusCode::NoSpace, std::move(message)}; }
  static Status fsync_failed(std::string message) {
    return {StatusCode::FsyncFailed, std::move(message)};
  }

  bool ok() const { return code_ == StatusCode::Ok; }
  StatusCode code() const { return code_; }
  std::string_view code_name() const { return spot::to_string(code_); }
  const std::string& message() const { return message_; }
  // "ok", or "<code name>: <message>".
  std::string to_string() const;

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::Ok;
  std::string message_;
};

}  // namespace spot
