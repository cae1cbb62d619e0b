// The file operations the journal needs, behind an interface so that tests can inject
// faults (a write or fsync that fails, a full disk) without touching a real disk.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spot {

class AppendFile {
 public:
  virtual ~AppendFile() = default;
  // Appends all of `data`; false (with *error set) on any failure.
  virtual bool append(std::string_view data, std::string* error) = 0;
  // fdatasync: false if the data may not be on stable storage.
  virtual bool sync(std::string* error) = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual std::unique_ptr<AppendFile> open_append(const std::string& path, std::string* error) = 0;
  virtual bool read_file(const std::string& path, std::string* out, std::string* error) = 0;
  // The bytes of the file from `offset` to its end (none if it is shorter).
  virtual bool read_from(const std::string& path, std::uint64_t offset, std::string* out,
                         std::string* error) {
    if (!read_file(path, out, error)) return false;
    out->erase(0, std::min<std::uint64_t>(offset, out->size()));
    return true;
  }
  // Names (not paths) of the regular files in dir, sorted.
  virtual std::vector<std::string> list(const std::string& dir) = 0;
  virtual bool truncate(const std::string& path, std::uint64_t size, std::string* error) = 0;
  virtual bool create_dirs(const std::string& dir, std::string* error) = 0;
  // fsync of the directory, so that a new file's name is durable too.
  virtual bool sync_dir(const std::string& dir, std::string* error) = 0;
  virtual bool rename(const std::string& from, const std::string& to, std::string* error) = 0;
  virtual bool remove(const std::string& path, std::string* error) = 0;
};

// The real thing: POSIX open/write/fdatasync.
class PosixFileSystem final : public FileSystem {
 public:
  std::unique_ptr<AppendFile> open_append(const std::string& path, std::string* error) override;
  bool read_file(const std::string& path, std::string* out, std::string* error) override;
  bool read_from(const std::string& path, std::uint64_t offset, std::string* out,
                 std::string* error) override;
  std::vector<std::string> list(const std::string& dir) override;
  bool truncate(const std::string& path, std::uint64_t size, std::string* error) override;
  bool create_dirs(const std::string& dir, std::string* error) override;
  bool sync_dir(const std::string& dir, std::string* error) override;
  bool rename(const std::string& from, const std::string& to, std::string* error) override;
  bool remove(const std::string& path, std::string* error) override;
};

}  // namespace spot
