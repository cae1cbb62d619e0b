// The file operations the journal needs, behind an interface so that tests can inject
// faults (a write or fsync that fails, a full disk) without touching a real disk.
// Every operation that can fail returns a Status whose code tells the caller what
// failed: NoSpace for a full disk or quota, FsyncFailed when data may not be on stable
// storage, NotFound for a missing file, IoError for anything else.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spot/core/status.h"

namespace spot {

class AppendFile {
 public:
  virtual ~AppendFile() = default;
  // Appends all of `data`. On failure some of it may have been written.
  virtual Status append(std::string_view data) = 0;
  // fdatasync: FsyncFailed if the data may not be on stable storage.
  virtual Status sync() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens (creating if needed) a file for appending; *file is set only on success.
  virtual Status open_append(const std::string& path, std::unique_ptr<AppendFile>* file) = 0;
  virtual Status read_file(const std::string& path, std::string* out) = 0;
  // The bytes of the file from `offset` to its end (none if it is shorter).
  virtual Status read_from(const std::string& path, std::uint64_t offset, std::string* out) {
    Status s = read_file(path, out);
    if (s.ok()) out->erase(0, std::min<std::uint64_t>(offset, out->size()));
    return s;
  }
  // Names (not paths) of the regular files in dir, sorted.
  // A directory that cannot be read is an error, never an empty list: recovery must not
  // mistake an unreadable journal for an empty one.
  virtual Status list(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status truncate(const std::string& path, std::uint64_t size) = 0;
  virtual Status create_dirs(const std::string& dir) = 0;
  // fsync of the directory, so that a new file's name is durable too.
  virtual Status sync_dir(const std::string& dir) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  // Removing a file that is not there succeeds.
  virtual Status remove(const std::string& path) = 0;
};

// The real thing: POSIX open/write/fdatasync.
class PosixFileSystem final : public FileSystem {
 public:
  Status open_append(const std::string& path, std::unique_ptr<AppendFile>* file) override;
  Status read_file(const std::string& path, std::string* out) override;
  Status read_from(const std::string& path, std::uint64_t offset, std::string* out) override;
  Status list(const std::string& dir, std::vector<std::string>* names) override;
  Status truncate(const std::string& path, std::uint64_t size) override;
  Status create_dirs(const std::string& dir) override;
  Status sync_dir(const std::string& dir) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status remove(const std::string& path) override;
};

}  // namespace spot
