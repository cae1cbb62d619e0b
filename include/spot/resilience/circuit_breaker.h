// A circuit breaker for one dependency (PostgreSQL, Redis): stops calling it while it is
// failing, then lets single probes through until one succeeds (DESIGN.md §6).
//
//   Closed   --(window has >= min_calls and failed+slow >= failure_ratio of them)--> Open
//   Open     --(open wait passed, or on_reachable())--> HalfOpen
//   HalfOpen --(allow() admits one probe; it succeeds)--> Closed (window cleared, wait reset)
//   HalfOpen --(the probe fails, is slow, or is not reported by its deadline)--> Open,
//              with the open wait doubled up to open_max_ms
//
// Time-driven changes (wait passed, probe deadline reached) are applied lazily by the next
// call of any member, dated at the moment they fell due, so the outcome does not depend on
// how often the breaker is asked.
//
// Pure code: no I/O, no threads, no logging. Not thread-safe: one owner calls it, or the
// caller serialises calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "spot/core/clock.h"

namespace spot {

// The values are the state metric's values.
enum class BreakerState : std::uint8_t { Closed = 0, HalfOpen = 1, Open = 2 };

// "closed", "half_open", "open": for metric labels, log fields and health answers.
std::string_view to_string(BreakerState state);

// Config sections [postgres] and [redis], keys breaker_*. Defaults from DESIGN.md §6.
// The ranges are validate_options() below.
struct BreakerOptions {
  std::size_t window_calls = 20;          // sliding window: the outcomes of the last N calls
  std::size_t min_calls = 5;              // no opening before this many calls in the window
  double failure_ratio = 0.5;             // opens when failed+slow >= ratio * calls in window
  std::int64_t slow_call_ms = 1000;       // a success slower than this counts as a failure
  std::int64_t open_ms = 5000;            // first open wait
  std::int64_t open_max_ms = 20000;       // the wait doubles per failed probe up to this
  std::int64_t probe_deadline_ms = 2000;  // a probe not reported within this has failed
};

// A day: long enough for any wait, small enough that no ns arithmetic can overflow.
inline constexpr std::int64_t kBreakerMaxMs = 86'400'000;

// Empty when the options are usable, else the rule they break: 1 <= min_calls <=
// window_calls; 0 < failure_ratio <= 1; every *_ms in [1, kBreakerMaxMs]; open_ms <=
// open_max_ms. For config validation; the CircuitBreaker constructor asserts it.
std::string_view validate_options(const BreakerOptions& options);

class CircuitBreaker {
 public:
  // Runs synchronously inside the member call that caused the change, after the change.
  // REQUIRES: it does not call back into this breaker.
  using Transition = std::function<void(BreakerState from, BreakerState to)>;

  // REQUIRES: validate_options(options) is empty; `clock` outlives the breaker.
  CircuitBreaker(BreakerOptions options, const Clock& clock, Transition on_transition = {});

  // May a call go now? Closed: true. Open: false. HalfOpen: true exactly once (the
  // probe), then false until the probe is reported or its deadline passes.
  bool allow();

  // The outcome of a call allow() admitted; `elapsed_ns` is its duration, and a success
  // slower than slow_call_ms counts as a failure. Closed: recorded in the window, which
  // may open the breaker. HalfOpen with the probe out: the probe's outcome. Ignored
  // otherwise: in Open, and in HalfOpen with no probe out, it is a call admitted before
  // the breaker opened; a probe reported after its deadline has already counted as
  // failed. A late call reported while a probe is out is taken for the probe (calls
  // carry no ticket).
  void record_success(std::int64_t elapsed_ns);
  void record_failure();

  // The dependency answered a cheap check (a ping): an Open breaker moves to HalfOpen
  // now, so the next allow() admits the probe without waiting out the open wait. The
  // wait is not reset: a failing probe still doubles it. No effect in other states.
  void on_reachable();

  BreakerState state() const;

  // Monotonic ns until allow() would return true if nothing is reported meanwhile:
  // 0 when it would now (Closed, or HalfOpen with no probe out); the rest of the open
  // wait in Open; with a probe out, the rest of its deadline plus the doubled wait that
  // would follow.
  std::int64_t wait_ns() const;

  // The open wait in force: the one Open is serving, or that a failed probe doubles.
  // options.open_ms whenever Closed.
  std::int64_t current_open_ms() const;

 private:
  // The outcomes of the last `capacity` calls (true = failed or slow).
  class Window {
   public:
    explicit Window(std::size_t capacity) : failed_(capacity) {}
    void push(bool failed);
    void clear();
    std::size_t calls() const { return calls_; }
    std::size_t failures() const { return failures_; }

   private:
    std::vector<bool> failed_;  // a ring; `next_` is the oldest entry once full
    std::size_t next_ = 0;
    std::size_t calls_ = 0;
    std::size_t failures_ = 0;
  };

  // Applies what fell due by `now_ns`: a probe deadline, then the end of an open wait.
  void advance(std::int64_t now_ns) const;
  void record(bool failed);
  void open(std::int64_t at_ns) const;
  void fail_probe(std::int64_t at_ns) const;
  void move_to(BreakerState to) const;

  const BreakerOptions options_;
  const Clock& clock_;
  const Transition on_transition_;
  Window window_;
  // Mutable: the const members apply time-driven changes too (advance()).
  mutable BreakerState state_ = BreakerState::Closed;
  mutable std::int64_t open_ms_;
  mutable std::int64_t open_until_ns_ = 0;
  mutable bool probe_out_ = false;
  mutable std::int64_t probe_deadline_ns_ = 0;
};

}  // namespace spot
