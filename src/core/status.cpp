#include "spot/core/status.h"

namespace spot {

std::string_view to_string(StatusCode code) {
  switch (code) {
    case StatusCode::Ok:
      return "ok";
    case StatusCode::NotFound:
      return "not_found";
    case StatusCode::Corruption:
      return "corruption";
    case StatusCode::IoError:
      return "io_error";
    case StatusCode::NoSpace:
      return "no_space";
    case StatusCode::FsyncFailed:
      return "fsync_failed";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string out(code_name());
  out += ": ";
  out += message_;
  return out;
}

}  // namespace spot
