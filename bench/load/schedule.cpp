#include "bench/load/schedule.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace spot::bench::load {

std::uint64_t ops_for(double rate, double seconds) {
  assert(rate > 0 && seconds >= 0);
  // The small slack keeps 1000/s * 0.3 s at 300 despite 1000 * 0.3 = 300.00000000000006.
  return static_cast<std::uint64_t>(std::ceil(rate * seconds - 1e-6));
}

SweepPlanner::SweepPlanner(double start_rate, double max_rate, int refine_steps, double growth)
    : max_(std::round(max_rate)),
      growth_(growth),
      refine_left_(refine_steps),
      next_(std::clamp(std::round(start_rate), 1.0, std::max(1.0, std::round(max_rate)))) {
  assert(start_rate > 0 && start_rate <= max_rate && growth > 1);
}

std::optional<double> SweepPlanner::next_rate() const {
  if (phase_ == Phase::Done) return std::nullopt;
  return next_;
}

void SweepPlanner::report(bool good) {
  assert(phase_ != Phase::Done);
  if (good) {
    best_ = next_;
  } else {
    bad_ = next_;
  }
  if (phase_ == Phase::Grow) {
    if (!good) {
      phase_ = Phase::Refine;
      bisect();
    } else if (next_ >= max_) {
      phase_ = Phase::Done;
    } else {
      next_ = std::min(max_, std::max(next_ + 1, std::round(next_ * growth_)));
    }
    return;
  }
  --refine_left_;
  bisect();
}

void SweepPlanner::bisect() {
  const double mid = std::round((best_ + bad_) / 2);
  if (refine_left_ <= 0 || mid <= best_ || mid >= bad_) {
    phase_ = Phase::Done;
    return;
  }
  next_ = mid;
}

}  // namespace spot::bench::load
