#include <gtest/gtest.h>

#include "spot/core/decimal.h"

namespace spot {
namespace {

TEST(Decimal, ParsesPlainDecimals) {
  auto d = parse_decimal("100.25");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().mantissa, 10025);
  EXPECT_EQ(d.value().scale, 2);
  EXPECT_EQ(parse_decimal("7").value().mantissa, 7);
  EXPECT_EQ(parse_decimal("0.001").value().scale, 3);
  EXPECT_EQ(parse_decimal("5.").value().mantissa, 5);
  EXPECT_EQ(parse_decimal(".5").value().mantissa, 5);
}

TEST(Decimal, RejectsMalformedText) {
  for (const char* bad : {"", ".", "-1", "+1", "1e5", "1.2.3", "abc", " 1", "1 ", "0x10",
                          "99999999999999999999", "0.0000000000000000001"}) {
    EXPECT_FALSE(parse_decimal(bad).ok()) << bad;
    EXPECT_EQ(parse_decimal(bad).error(), RejectReason::BadRequest) << bad;
  }
}

TEST(Decimal, ConvertsExactlyToSteps) {
  const Decimal tick{1, 2};  // 0.01
  EXPECT_EQ(to_steps(parse_decimal("100.25").value(), tick, RejectReason::BadPrice).value(), 10025);
  EXPECT_EQ(to_steps(parse_decimal("100.250000").value(), tick, RejectReason::BadPrice).value(),
            10025);
  EXPECT_EQ(to_steps(parse_decimal("3").value(), tick, RejectReason::BadPrice).value(), 300);
  const Decimal five_cents{5, 2};
  EXPECT_EQ(to_steps(parse_decimal("0.15").value(), five_cents, RejectReason::BadPrice).value(), 3);
  EXPECT_EQ(to_steps(parse_decimal("0.17").value(), five_cents, RejectReason::BadPrice).error(),
            RejectReason::BadPrice);
  EXPECT_EQ(to_steps(parse_decimal("100.255").value(), tick, RejectReason::BadPrice).error(),
            RejectReason::BadPrice);
  const Decimal ten{10, 0};
  EXPECT_EQ(to_steps(parse_decimal("120").value(), ten, RejectReason::BadQuantity).value(), 12);
  EXPECT_EQ(to_steps(parse_decimal("125").value(), ten, RejectReason::BadQuantity).error(),
            RejectReason::BadQuantity);
  // Too many steps for int64.
  EXPECT_FALSE(
      to_steps(parse_decimal("9223372036854775807").value(), Decimal{1, 3}, RejectReason::BadPrice)
          .ok());
  EXPECT_FALSE(to_steps(parse_decimal("1").value(), Decimal{0, 0}, RejectReason::BadPrice).ok());
}

TEST(Decimal, FormatsSteps) {
  EXPECT_EQ(format_steps(10025, Decimal{1, 2}), "100.25");
  EXPECT_EQ(format_steps(5, Decimal{1, 3}), "0.005");
  EXPECT_EQ(format_steps(0, Decimal{1, 2}), "0.00");
  EXPECT_EQ(format_steps(12, Decimal{10, 0}), "120");
  EXPECT_EQ(format_steps(3, Decimal{5, 2}), "0.15");
  EXPECT_EQ(format_steps(-150, Decimal{1, 2}), "-1.50");
}

TEST(Decimal, RoundTrips) {
  const Decimal step{1, 4};
  for (std::int64_t steps : {0LL, 1LL, 9LL, 10LL, 12345LL, 100000000LL}) {
    const std::string text = format_steps(steps, step);
    EXPECT_EQ(to_steps(parse_decimal(text).value(), step, RejectReason::BadPrice).value(), steps)
        << text;
  }
}

}  // namespace
}  // namespace spot
