// Structured logs: one JSON object per line on stderr via spdlog, always with ts, level
// and msg, plus the request's correlation id and any fields given.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace spot::log {

using Field = std::pair<std::string_view, std::string>;

// REQUIRES: level is one of trace, debug, info, warn, error, off.
void init(const std::string& level);

// Builds the JSON body of a log line: "msg":...,"request_id":...,<fields>.
std::string json_body(std::string_view msg, std::string_view request_id,
                      std::initializer_list<Field> fields);

template <class... Unused>
void write(spdlog::level::level_enum level, std::string_view msg, std::string_view request_id,
           std::initializer_list<Field> fields = {}) {
  if (!spdlog::should_log(level)) return;
  spdlog::log(level, "{}", json_body(msg, request_id, fields));
}

inline void info(std::string_view msg, std::string_view rid = {},
                 std::initializer_list<Field> f = {}) {
  write(spdlog::level::info, msg, rid, f);
}
inline void warn(std::string_view msg, std::string_view rid = {},
                 std::initializer_list<Field> f = {}) {
  write(spdlog::level::warn, msg, rid, f);
}
inline void error(std::string_view msg, std::string_view rid = {},
                  std::initializer_list<Field> f = {}) {
  write(spdlog::level::err, msg, rid, f);
}
inline void debug(std::string_view msg, std::string_view rid = {},
                  std::initializer_list<Field> f = {}) {
  write(spdlog::level::debug, msg, rid, f);
}

}  // namespace spot::log
