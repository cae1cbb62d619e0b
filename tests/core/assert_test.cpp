#include "spot/core/assert.h"

#include <gtest/gtest.h>

#include "spot/core/result.h"

namespace spot {
namespace {

TEST(SpotAssertDeathTest, NamesTheInvariantTheExpressionAndThePlace) {
  const int resting = 3;
  EXPECT_DEATH(SPOT_ASSERT(resting == 4, "test: four orders rest"),
               "^spot: assertion failed: test: four orders rest: \\(resting == 4\\) at "
               ".*assert_test\\.cpp:[0-9]+\n$");
}

TEST(SpotAssertDeathTest, GuardsResultValue) {
  // Result::value() REQUIRES ok(); this binary is a Release build (NDEBUG), where a
  // plain assert() would be compiled out.
  const Result<int> rejected(RejectReason::BadPrice);
  EXPECT_DEATH((void)rejected.value(), "result: value\\(\\) only of an ok Result");
}

TEST(SpotAssert, AHoldingConditionIsEvaluatedOnceAndPasses) {
  int evaluations = 0;
  SPOT_ASSERT(++evaluations == 1, "test: evaluated once");
  EXPECT_EQ(evaluations, 1);
}

}  // namespace
}  // namespace spot
