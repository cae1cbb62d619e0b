// The PromQL metric-name extraction the dashboard test relies on. Label `unit`.
#include "ops/promql.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace spot::test {
namespace {

using Names = std::set<std::string>;

TEST(PromqlNames, ScenarioTable) {
  const struct {
    const char* expr;
    Names names;
  } cases[] = {
      {"spot_ready", {"spot_ready"}},
      {"spot_ready == 0", {"spot_ready"}},
      {"up{job=\"spotd\"} == 0", {"up"}},
      {"sum(rate(spot_orders_accepted_total[1m]))", {"spot_orders_accepted_total"}},
      {"sum by (reason) (rate(spot_orders_rejected_total{reason=~\"A|B\"}[5m])) > 0",
       {"spot_orders_rejected_total"}},
      {"histogram_quantile(0.99, sum by (instance, le) (rate(spot_x_seconds_bucket[5m])))",
       {"spot_x_seconds_bucket"}},
      {"sum without (instance) (a) / on (job) group_left (symbol) b", {"a", "b"}},
      {"a / ignoring(x) group_left b", {"a", "b"}},
      {"max(x offset 5m) > bool 1e-3 and y unless z or w", {"x", "y", "z", "w"}},
      {"topk(3, sum by (le) (rate(h_bucket[1m]))) * 2.5e+2", {"h_bucket"}},
      {"a{l=\"}{[\"} + b[5m:1m] - c{l='x\\'y'}", {"a", "b", "c"}},
      {"count(count by (symbol) (spot_book_levels))", {"spot_book_levels"}},
      {"vector(1) + inf - nan + .5", {}},
      {"rate(process_cpu_seconds_total[1m])", {"process_cpu_seconds_total"}},
      {"ns:rule_name:rate5m > 0", {"ns:rule_name:rate5m"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(promql_metric_names(c.expr), c.names) << c.expr;
  }
}

TEST(PromqlNames, RefusesWhatItCannotRead) {
  for (const char* expr :
       {"{__name__=\"x\"}", "rate(x[$__rate_interval])", "x{a=\"b\"", "x[5m", "x}", "x{a=\"b}"}) {
    EXPECT_THROW(promql_metric_names(expr), std::invalid_argument) << expr;
  }
}

TEST(PromqlNames, SubstitutesGrafanaIntervals) {
  EXPECT_EQ(substitute_grafana_intervals(
                "rate(a[$__rate_interval]) + rate(b[$__interval]) + c[$__range]", "1m"),
            "rate(a[1m]) + rate(b[1m]) + c[1m]");
}

}  // namespace
}  // namespace spot::test
