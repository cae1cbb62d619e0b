// SPOT_ASSERT(cond, "invariant"): an assertion that stays on in release builds, in the
// spirit of TigerBeetle's TIGER_STYLE. A broken invariant means the state can no longer
// be trusted, so the process stops rather than match, journal or answer from it: on
// failure one line goes to stderr, naming the invariant, the expression and file:line,
// and the process aborts.
//
// Use it for what must hold whatever the input (REQUIRES lines, pool bounds, an index
// entry that must exist), at points where the check is O(1); bad input is a reject or
// a Status, never an assertion. `invariant` must be a string literal, named
// "<module>: <what must hold>". `cond` is evaluated exactly once.
#pragma once

namespace spot::detail {

[[noreturn, gnu::cold]] void assertion_failed(const char* invariant, const char* expression,
                                              const char* file, int line) noexcept;

}  // namespace spot::detail

#define SPOT_ASSERT(cond, invariant)                                             \
  do {                                                                           \
    if (!static_cast<bool>(cond)) [[unlikely]] {                                 \
      ::spot::detail::assertion_failed("" invariant, #cond, __FILE__, __LINE__); \
    }                                                                            \
  } while (false)
