#include "ops/promql.h"

#include <array>
#include <cctype>
#include <stdexcept>
#include <string_view>

namespace spot::test {
namespace {

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

constexpr std::array<std::string_view, 12> kAggregations = {
    "sum",    "min",   "max",          "avg",     "group", "stddev",
    "stdvar", "count", "count_values", "bottomk", "topk",  "quantile"};
constexpr std::array<std::string_view, 6> kGrouping = {"by",       "without",    "on",
                                                       "ignoring", "group_left", "group_right"};
constexpr std::array<std::string_view, 7> kKeywords = {"bool",   "and", "or", "unless",
                                                       "offset", "inf", "nan"};

template <std::size_t N>
bool among(const std::array<std::string_view, N>& words, std::string_view w) {
  for (std::string_view x : words) {
    if (x == w) return true;
  }
  return false;
}

[[noreturn]] void fail(const std::string& why, const std::string& expr) {
  throw std::invalid_argument("promql_metric_names: " + why + " in: " + expr);
}

// The index just past the string literal that starts at `at`.
std::size_t skip_string(const std::string& expr, std::size_t at) {
  const char quote = expr[at];
  for (std::size_t i = at + 1; i < expr.size(); ++i) {
    if (expr[i] == '\\' && quote != '`') {
      ++i;
    } else if (expr[i] == quote) {
      return i + 1;
    }
  }
  fail("an unterminated string", expr);
}

// The index just past the bracket that closes the one at `at` (strings inside skipped).
std::size_t skip_bracketed(const std::string& expr, std::size_t at, char open, char close) {
  int depth = 0;
  for (std::size_t i = at; i < expr.size();) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(expr, i);
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  fail(std::string("an unclosed '") + open + "'", expr);
}

std::size_t skip_space(const std::string& expr, std::size_t i) {
  while (i < expr.size() && std::isspace(static_cast<unsigned char>(expr[i])) != 0) ++i;
  return i;
}

}  // namespace

std::set<std::string> promql_metric_names(const std::string& expr) {
  if (expr.find("__name__") != std::string::npos) fail("a selector by __name__", expr);
  if (expr.find('$') != std::string::npos) fail("a '$' (a Grafana variable left in)", expr);
  std::set<std::string> names;
  for (std::size_t i = 0; i < expr.size();) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(expr, i);
    } else if (c == '{') {
      i = skip_bracketed(expr, i, '{', '}');
    } else if (c == '[') {
      i = skip_bracketed(expr, i, '[', ']');
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
               (c == '.' && i + 1 < expr.size() &&
                std::isdigit(static_cast<unsigned char>(expr[i + 1])) != 0)) {
      // A number or a duration (offset 5m): digits, letters, dots, an exponent's sign.
      ++i;
      while (i < expr.size() &&
             (std::isalnum(static_cast<unsigned char>(expr[i])) != 0 || expr[i] == '.' ||
              ((expr[i] == '+' || expr[i] == '-') && (expr[i - 1] == 'e' || expr[i - 1] == 'E')))) {
        ++i;
      }
    } else if (ident_start(c)) {
      std::size_t end = i;
      while (end < expr.size() && ident_char(expr[end])) ++end;
      const std::string word = expr.substr(i, end - i);
      const std::size_t next = skip_space(expr, end);
      const bool call = next < expr.size() && expr[next] == '(';
      if (among(kGrouping, word)) {
        // A label list: by (a, b), on (x), group_left (y); group_left may have none.
        i = call ? skip_bracketed(expr, next, '(', ')') : end;
        continue;
      }
      if (!call && !among(kAggregations, word) && !among(kKeywords, word)) names.insert(word);
      i = end;
    } else {
      if (c == '}' || c == ']' || c == '"') fail(std::string("an unbalanced '") + c + "'", expr);
      ++i;
    }
  }
  return names;
}

std::string substitute_grafana_intervals(std::string expr, const std::string& interval) {
  for (const std::string var : {"$__rate_interval", "$__interval", "$__range"}) {
    for (std::size_t at = expr.find(var); at != std::string::npos; at = expr.find(var, at)) {
      expr.replace(at, var.size(), interval);
      at += interval.size();
    }
  }
  return expr;
}

}  // namespace spot::test
