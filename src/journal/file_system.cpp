#include "spot/journal/file_system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace spot {
namespace {

// The Status for a failed call that set `err`: "<what> <path>: <strerror>", coded by
// what the caller can do about it.
Status errno_status(const std::string& what, const std::string& path, int err) {
  std::string message = what + " " + path + ": " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return Status::no_space(std::move(message));
    case ENOENT:
      return Status::not_found(std::move(message));
    default:
      return Status::io_error(std::move(message));
  }
}

class PosixAppendFile final : public AppendFile {
 public:
  PosixAppendFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixAppendFile() override { ::close(fd_); }

  Status append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_status("write", path_, errno);
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status();
  }

  Status sync() override {
    // Whatever the errno (EIO, ENOSPC on some file systems), the data written since the
    // last good sync may be lost: that is an fsync failure for the caller.
    if (::fdatasync(fd_) != 0) {
      return Status::fsync_failed("fdatasync " + path_ + ": " + std::strerror(errno));
    }
    return Status();
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Status PosixFileSystem::open_append(const std::string& path, std::unique_ptr<AppendFile>* file) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status("open", path, errno);
  *file = std::make_unique<PosixAppendFile>(fd, path);
  return Status();
}

Status PosixFileSystem::read_file(const std::string& path, std::string* out) {
  return read_from(path, 0, out);
}

Status PosixFileSystem::read_from(const std::string& path, std::uint64_t offset, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("open", path, errno);
  out->clear();
  struct stat st {};
  if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > offset) {
    out->reserve(static_cast<std::size_t>(static_cast<std::uint64_t>(st.st_size) - offset));
  }
  char buf[1 << 16];
  auto at = static_cast<off_t>(offset);
  while (true) {
    const ssize_t n = ::pread(fd, buf, sizeof(buf), at);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return errno_status("read", path, err);
    }
    if (n == 0) break;
    out->append(buf, static_cast<std::size_t>(n));
    at += n;
  }
  ::close(fd);
  return Status();
}

Status PosixFileSystem::list(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) names->push_back(it->path().filename().string());
    if (ec) break;
  }
  if (ec) return errno_status("list", dir, ec.value());
  std::sort(names->begin(), names->end());
  return Status();
}

Status PosixFileSystem::truncate(const std::string& path, std::uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    return errno_status("truncate", path, errno);
  }
  return Status();
}

Status PosixFileSystem::create_dirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  // std::filesystem reports POSIX errors in the generic category, whose values are errnos.
  if (ec) return errno_status("create", dir, ec.value());
  return Status();
}

Status PosixFileSystem::sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status("open", dir, errno);
  Status s;
  if (::fsync(fd) != 0) s = Status::fsync_failed("fsync " + dir + ": " + std::strerror(errno));
  ::close(fd);
  return s;
}

Status PosixFileSystem::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return errno_status("rename", from, errno);
  return Status();
}

Status PosixFileSystem::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_status("unlink", path, errno);
  return Status();
}

}  // namespace spot
