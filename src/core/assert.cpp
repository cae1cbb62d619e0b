#include "spot/core/assert.h"

#include <cstdio>
#include <cstdlib>

namespace spot::detail {

void assertion_failed(const char* invariant, const char* expression, const char* file,
                      int line) noexcept {
  // One fprintf to the unbuffered stderr: one line, written before the abort.
  std::fprintf(stderr, "spot: assertion failed: %s: (%s) at %s:%d\n", invariant, expression, file,
               line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace spot::detail
