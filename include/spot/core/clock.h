// Clock interface, so code that needs time can be driven by a fake clock in tests.
#pragma once

#include <atomic>
#include <cstdint>

namespace spot {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds, for durations and timeouts.
  virtual std::int64_t monotonic_ns() const = 0;
  // Wall-clock nanoseconds since the Unix epoch, for timestamps shown to people.
  virtual std::int64_t wall_ns() const = 0;
};

// The real clock (std::chrono::steady_clock and system_clock).
class SystemClock final : public Clock {
 public:
  std::int64_t monotonic_ns() const override;
  std::int64_t wall_ns() const override;
  static SystemClock& instance();
};

// A clock that moves only when told to. For tests; may be moved from one thread while
// another reads it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start_ns = 0) : now_ns_(start_ns) {}
  std::int64_t monotonic_ns() const override { return now_ns_.load(); }
  std::int64_t wall_ns() const override { return now_ns_.load() + wall_step_ns_.load(); }
  // Time passes: both clocks move.
  void advance_ns(std::int64_t delta_ns) { now_ns_ += delta_ns; }
  // The wall clock alone is set forward or back (NTP, an operator), as settimeofday
  // does; the monotonic clock does not move.
  void step_wall_ns(std::int64_t delta_ns) { wall_step_ns_ += delta_ns; }

 private:
  std::atomic<std::int64_t> now_ns_;
  std::atomic<std::int64_t> wall_step_ns_{0};
};

}  // namespace spot
