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

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

class PosixAppendFile final : public AppendFile {
 public:
  PosixAppendFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixAppendFile() override { ::close(fd_); }

  bool append(std::string_view data, std::string* error) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        *error = errno_text("write", path_);
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  bool sync(std::string* error) override {
    if (::fdatasync(fd_) != 0) {
      *error = errno_text("fdatasync", path_);
      return false;
    }
    return true;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

std::unique_ptr<AppendFile> PosixFileSystem::open_append(const std::string& path,
                                                         std::string* error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = errno_text("open", path);
    return nullptr;
  }
  return std::make_unique<PosixAppendFile>(fd, path);
}

bool PosixFileSystem::read_file(const std::string& path, std::string* out, std::string* error) {
  return read_from(path, 0, out, error);
}

bool PosixFileSystem::read_from(const std::string& path, std::uint64_t offset, std::string* out,
                                std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno_text("open", path);
    return false;
  }
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
      *error = errno_text("read", path);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<std::size_t>(n));
    at += n;
  }
  ::close(fd);
  return true;
}

std::vector<std::string> PosixFileSystem::list(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool PosixFileSystem::truncate(const std::string& path, std::uint64_t size, std::string* error) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    *error = errno_text("truncate", path);
    return false;
  }
  return true;
}

bool PosixFileSystem::create_dirs(const std::string& dir, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = "create " + dir + ": " + ec.message();
    return false;
  }
  return true;
}

bool PosixFileSystem::sync_dir(const std::string& dir, std::string* error) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno_text("open", dir);
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  if (!ok) *error = errno_text("fsync", dir);
  ::close(fd);
  return ok;
}

bool PosixFileSystem::rename(const std::string& from, const std::string& to, std::string* error) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    *error = errno_text("rename", from);
    return false;
  }
  return true;
}

bool PosixFileSystem::remove(const std::string& path, std::string* error) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    *error = errno_text("unlink", path);
    return false;
  }
  return true;
}

}  // namespace spot
