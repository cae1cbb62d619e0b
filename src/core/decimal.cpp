#include "spot/core/decimal.h"

#include <limits>

namespace spot {
namespace {

// 128-bit intermediates make overflow impossible for int64 inputs.
__extension__ using int128 = __int128;

constexpr int128 pow10(int n) {
  int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

}  // namespace

Result<Decimal> parse_decimal(std::string_view text) {
  if (text.empty()) return RejectReason::BadRequest;
  int128 mantissa = 0;
  int scale = 0;
  bool seen_dot = false;
  bool seen_digit = false;
  for (char c : text) {
    if (c == '.') {
      if (seen_dot) return RejectReason::BadRequest;
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') return RejectReason::BadRequest;
    seen_digit = true;
    mantissa = mantissa * 10 + (c - '0');
    if (mantissa > std::numeric_limits<std::int64_t>::max()) return RejectReason::BadRequest;
    if (seen_dot && ++scale > Decimal::kMaxScale) return RejectReason::BadRequest;
  }
  if (!seen_digit) return RejectReason::BadRequest;
  return Decimal{static_cast<std::int64_t>(mantissa), scale};
}

Result<std::int64_t> to_steps(Decimal value, Decimal step, RejectReason off_grid) {
  // Bring both to the larger scale, then divide exactly.
  const int scale = value.scale > step.scale ? value.scale : step.scale;
  const int128 v = static_cast<int128>(value.mantissa) * pow10(scale - value.scale);
  const int128 s = static_cast<int128>(step.mantissa) * pow10(scale - step.scale);
  if (s <= 0) return off_grid;
  if (v % s != 0) return off_grid;
  const int128 steps = v / s;
  if (steps > std::numeric_limits<std::int64_t>::max()) return off_grid;
  return static_cast<std::int64_t>(steps);
}

std::string format_steps(std::int64_t steps, Decimal step) {
  const bool negative = steps < 0;
  int128 v = static_cast<int128>(steps) * step.mantissa;
  if (negative) v = -v;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v > 0);
  if (step.scale > 0) {
    if (static_cast<int>(digits.size()) <= step.scale) {
      digits.insert(0, static_cast<std::size_t>(step.scale + 1 - static_cast<int>(digits.size())),
                    '0');
    }
    digits.insert(digits.size() - static_cast<std::size_t>(step.scale), 1, '.');
  }
  if (negative) digits.insert(digits.begin(), '-');
  return digits;
}

}  // namespace spot
