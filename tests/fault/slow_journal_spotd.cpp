// spotd on a journal whose fsync is slow: the real daemon (spotd_main) over a file
// system that sleeps SPOT_TEST_FSYNC_DELAY_US microseconds in every fdatasync. A test
// binary only, for the backpressure fault test; spotd itself always runs on the real
// file system.
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "spot/app/daemon.h"
#include "spot/journal/file_system.h"

namespace {

class SlowSyncFile final : public spot::AppendFile {
 public:
  SlowSyncFile(std::unique_ptr<spot::AppendFile> inner, std::chrono::microseconds delay)
      : inner_(std::move(inner)), delay_(delay) {}
  spot::Status append(std::string_view data) override { return inner_->append(data); }
  spot::Status sync() override {
    std::this_thread::sleep_for(delay_);
    return inner_->sync();
  }

 private:
  std::unique_ptr<spot::AppendFile> inner_;
  std::chrono::microseconds delay_;
};

class SlowSyncFileSystem final : public spot::FileSystem {
 public:
  explicit SlowSyncFileSystem(std::chrono::microseconds delay) : delay_(delay) {}
  spot::Status open_append(const std::string& path,
                           std::unique_ptr<spot::AppendFile>* file) override {
    std::unique_ptr<spot::AppendFile> inner;
    spot::Status s = real_.open_append(path, &inner);
    if (s.ok()) *file = std::make_unique<SlowSyncFile>(std::move(inner), delay_);
    return s;
  }
  spot::Status read_file(const std::string& path, std::string* out) override {
    return real_.read_file(path, out);
  }
  spot::Status read_from(const std::string& path, std::uint64_t offset, std::string* out) override {
    return real_.read_from(path, offset, out);
  }
  spot::Status list(const std::string& dir, std::vector<std::string>* names) override {
    return real_.list(dir, names);
  }
  spot::Status truncate(const std::string& path, std::uint64_t size) override {
    return real_.truncate(path, size);
  }
  spot::Status create_dirs(const std::string& dir) override { return real_.create_dirs(dir); }
  spot::Status sync_dir(const std::string& dir) override { return real_.sync_dir(dir); }
  spot::Status rename(const std::string& from, const std::string& to) override {
    return real_.rename(from, to);
  }
  spot::Status remove(const std::string& path) override { return real_.remove(path); }

 private:
  spot::PosixFileSystem real_;
  std::chrono::microseconds delay_;
};

}  // namespace

int main(int argc, char** argv) {
  const char* delay = std::getenv("SPOT_TEST_FSYNC_DELAY_US");
  SlowSyncFileSystem fs(std::chrono::microseconds(delay != nullptr ? std::atoll(delay) : 2000));
  return spot::spotd_main(argc, argv, fs);
}
