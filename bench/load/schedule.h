// The open-loop arrival schedule and the rate sweep's search.
#pragma once

#include <cstdint>
#include <optional>

namespace spot::bench::load {

// ceil(rate * seconds): the number of ops a phase of that length offers.
// REQUIRES: rate > 0, seconds >= 0.
std::uint64_t ops_for(double rate, double seconds);

// Op i is due at start + i / rate, independent of when earlier ops were answered.
class Schedule {
 public:
  // REQUIRES: rate > 0.
  Schedule(std::int64_t start_ns, double rate) : start_ns_(start_ns), interval_ns_(1e9 / rate) {}
  std::int64_t intended_ns(std::uint64_t i) const {
    return start_ns_ + static_cast<std::int64_t>(static_cast<double>(i) * interval_ns_);
  }
  std::int64_t start_ns() const { return start_ns_; }

 private:
  std::int64_t start_ns_;
  double interval_ns_;
};

// Finds the highest rate whose step is good: rates grow geometrically from the start
// rate until a step is bad or max_rate is reached, then `refine_steps` bisections
// between the last good and the first bad rate. Rates are whole orders/s.
class SweepPlanner {
 public:
  // REQUIRES: 0 < start_rate <= max_rate, growth > 1.
  SweepPlanner(double start_rate, double max_rate, int refine_steps = 3, double growth = 1.5);

  // The next rate to run, or nullopt when the search is over.
  std::optional<double> next_rate() const;
  // Reports the outcome of the step run at next_rate().
  void report(bool good);
  // The highest good rate so far (0 if none).
  double best_rate() const { return best_; }

 private:
  enum class Phase { Grow, Refine, Done };
  void bisect();

  double max_;
  double growth_;
  int refine_left_;
  Phase phase_ = Phase::Grow;
  double next_ = 0;
  double best_ = 0;
  double bad_ = 0;
};

}  // namespace spot::bench::load
