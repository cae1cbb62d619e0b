// Exact decimal strings <-> integer grid steps (ticks, lots). No floating point.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spot/core/result.h"

namespace spot {

// value = mantissa / 10^scale, mantissa >= 0.
struct Decimal {
  std::int64_t mantissa = 0;
  int scale = 0;

  static constexpr int kMaxScale = 18;
};

// Parses "123", "123.45", "0.001". Rejects signs, exponents, empty strings, more than
// Decimal::kMaxScale fractional digits and values that do not fit in int64.
// Returns BadRequest on malformed text.
Result<Decimal> parse_decimal(std::string_view text);

// Number of whole `step`s in `value`. Fails (with `off_grid`) when value is not an exact
// multiple of step or the result does not fit in int64. REQUIRES: step.mantissa > 0.
Result<std::int64_t> to_steps(Decimal value, Decimal step, RejectReason off_grid);

// Formats steps * step as a plain decimal string with exactly step.scale fractional
// digits ("100.25" for 10025 steps of 0.01).
std::string format_steps(std::int64_t steps, Decimal step);

}  // namespace spot
