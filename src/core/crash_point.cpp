#include "spot/core/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace spot {

namespace {

struct Armed {
  std::string name;
  std::uint64_t nth = 0;
  std::atomic<std::uint64_t> passed{0};
};

// SPOT_TEST_CRASH_AT=<name>:<n>, read once; nullptr when unset or malformed.
Armed* read_armed() {
  const char* env = std::getenv("SPOT_TEST_CRASH_AT");
  if (env == nullptr) return nullptr;
  const std::string spec(env);
  const std::size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0) return nullptr;
  char* end = nullptr;
  const unsigned long long nth = std::strtoull(spec.c_str() + colon + 1, &end, 10);
  if (nth == 0 || end == nullptr || *end != '\0') return nullptr;
  auto* armed = new Armed;  // lives as long as the process
  armed->name = spec.substr(0, colon);
  armed->nth = nth;
  return armed;
}

}  // namespace

void crash_point(std::string_view name) {
  static Armed* const armed = read_armed();
  if (armed == nullptr || name != armed->name) return;
  if (armed->passed.fetch_add(1, std::memory_order_relaxed) + 1 != armed->nth) return;
  const std::string line = "crash point " + armed->name + " reached\n";
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  ::raise(SIGKILL);
}

}  // namespace spot
