#include "spot/resilience/circuit_breaker.h"

#include <utility>

#include "spot/core/assert.h"

namespace spot {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;

bool in_ms_range(std::int64_t ms) { return ms >= 1 && ms <= kBreakerMaxMs; }

// The wait after one more failed probe. No overflow: both are at most kBreakerMaxMs.
std::int64_t doubled(std::int64_t open_ms, std::int64_t open_max_ms) {
  return open_ms >= open_max_ms - open_ms ? open_max_ms : 2 * open_ms;
}

}  // namespace

std::string_view validate_options(const BreakerOptions& options) {
  if (options.min_calls < 1 || options.min_calls > options.window_calls) {
    return "min_calls must be in [1, window_calls]";
  }
  if (!(options.failure_ratio > 0 && options.failure_ratio <= 1)) {
    return "failure_ratio must be in (0, 1]";
  }
  if (!in_ms_range(options.slow_call_ms)) return "slow_call_ms must be in [1, 86400000]";
  if (!in_ms_range(options.probe_deadline_ms)) {
    return "probe_deadline_ms must be in [1, 86400000]";
  }
  if (!in_ms_range(options.open_max_ms)) return "open_max_ms must be in [1, 86400000]";
  if (options.open_ms < 1 || options.open_ms > options.open_max_ms) {
    return "open_ms must be in [1, open_max_ms]";
  }
  return {};
}

std::string_view to_string(BreakerState state) {
  switch (state) {
    case BreakerState::Closed:
      return "closed";
    case BreakerState::HalfOpen:
      return "half_open";
    case BreakerState::Open:
      return "open";
  }
  return "unknown";
}

void CircuitBreaker::Window::push(bool failed) {
  if (calls_ == failed_.size()) {
    if (failed_[next_]) --failures_;
  } else {
    ++calls_;
  }
  failed_[next_] = failed;
  if (failed) ++failures_;
  next_ = (next_ + 1) % failed_.size();
}

void CircuitBreaker::Window::clear() {
  next_ = 0;
  calls_ = 0;
  failures_ = 0;
}

CircuitBreaker::CircuitBreaker(BreakerOptions options, const Clock& clock, Transition on_transition)
    : options_(options),
      clock_(clock),
      on_transition_(std::move(on_transition)),
      window_(options.window_calls),
      open_ms_(options.open_ms) {
  SPOT_ASSERT(validate_options(options).empty(), "breaker: options pass validate_options");
}

bool CircuitBreaker::allow() {
  const std::int64_t now_ns = clock_.monotonic_ns();
  advance(now_ns);
  if (state_ == BreakerState::Closed) return true;
  if (state_ == BreakerState::Open || probe_out_) return false;
  probe_out_ = true;  // HalfOpen: this call is the probe
  probe_deadline_ns_ = now_ns + options_.probe_deadline_ms * kNsPerMs;
  return true;
}

void CircuitBreaker::record_success(std::int64_t elapsed_ns) {
  record(elapsed_ns > options_.slow_call_ms * kNsPerMs);
}

void CircuitBreaker::record_failure() { record(true); }

void CircuitBreaker::record(bool failed) {
  const std::int64_t now_ns = clock_.monotonic_ns();
  advance(now_ns);
  if (state_ == BreakerState::Closed) {
    window_.push(failed);
    const auto calls = static_cast<double>(window_.calls());
    if (window_.calls() >= options_.min_calls &&
        static_cast<double>(window_.failures()) >= options_.failure_ratio * calls) {
      open(now_ns);
    }
  } else if (state_ == BreakerState::HalfOpen && probe_out_) {
    if (failed) {
      fail_probe(now_ns);
    } else {
      probe_out_ = false;
      window_.clear();
      open_ms_ = options_.open_ms;
      move_to(BreakerState::Closed);
    }
  }
}

void CircuitBreaker::on_reachable() {
  advance(clock_.monotonic_ns());
  if (state_ == BreakerState::Open) move_to(BreakerState::HalfOpen);
}

BreakerState CircuitBreaker::state() const {
  advance(clock_.monotonic_ns());
  return state_;
}

std::int64_t CircuitBreaker::wait_ns() const {
  const std::int64_t now_ns = clock_.monotonic_ns();
  advance(now_ns);
  if (state_ == BreakerState::Open) return open_until_ns_ - now_ns;
  if (state_ == BreakerState::HalfOpen && probe_out_) {
    return probe_deadline_ns_ - now_ns + doubled(open_ms_, options_.open_max_ms) * kNsPerMs;
  }
  return 0;
}

std::int64_t CircuitBreaker::current_open_ms() const {
  advance(clock_.monotonic_ns());
  return open_ms_;
}

void CircuitBreaker::advance(std::int64_t now_ns) const {
  if (state_ == BreakerState::HalfOpen && probe_out_ && now_ns >= probe_deadline_ns_) {
    fail_probe(probe_deadline_ns_);
  }
  if (state_ == BreakerState::Open && now_ns >= open_until_ns_) {
    move_to(BreakerState::HalfOpen);
  }
}

void CircuitBreaker::open(std::int64_t at_ns) const {
  probe_out_ = false;
  open_until_ns_ = at_ns + open_ms_ * kNsPerMs;
  move_to(BreakerState::Open);
}

void CircuitBreaker::fail_probe(std::int64_t at_ns) const {
  open_ms_ = doubled(open_ms_, options_.open_max_ms);
  open(at_ns);
}

void CircuitBreaker::move_to(BreakerState to) const {
  const BreakerState from = state_;
  state_ = to;
  if (on_transition_) on_transition_(from, to);
}

}  // namespace spot
