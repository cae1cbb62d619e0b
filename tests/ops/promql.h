// Test support: the metric names a PromQL expression reads, for checking that the
// dashboard and the alert rules name only metrics spotd exports.
#pragma once

#include <set>
#include <string>

namespace spot::test {

// The metric names `expr` selects: every identifier that is not a function or
// aggregation (followed by `(`), a keyword or operator (by, without, on, ignoring,
// group_left, group_right, bool, and, or, unless, offset, inf, nan), a label name in a
// grouping list, or anything inside a string, a `{...}` matcher or a `[...]` range.
// Throws std::invalid_argument on what it does not understand: a selector by
// `__name__`, an unbalanced bracket or quote, a `$` (a Grafana variable left in).
std::set<std::string> promql_metric_names(const std::string& expr);

// `expr` with Grafana's interval variables ($__rate_interval, $__interval, $__range)
// replaced by `interval` (e.g. "1m"), so that Prometheus can run it.
std::string substitute_grafana_intervals(std::string expr, const std::string& interval);

}  // namespace spot::test
