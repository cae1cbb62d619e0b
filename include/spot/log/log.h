// Structured logs: one JSON object per line on stderr via spdlog:
//   {"ts":...,"level":...,"msg":...,"component":...,"correlation_id":...|null,"fields":{...}}
// `component` is the thread's (set_component: "matching", "journal", "projector", ...).
// The level comes from config and can be changed at run time (set_level; the admin API's
// PUT /admin/v1/log). A storm of one message is cut to `repeats_per_second` lines a
// second; the next line of that message after a cut says how many were left out
// ("fields":{"repeats_suppressed":"N",...}). Nothing on the matching hot path logs.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace spot::log {

using Field = std::pair<std::string_view, std::string>;

// REQUIRES: level is one of trace, debug, info, warn, error, off.
void init(const std::string& level, std::size_t repeats_per_second = 20);

// Names the calling thread's component in its log lines ("main" until set), and the
// thread itself "spot-<component>" (cut to 15 bytes) for top -H, ps -L and perf. The main
// thread keeps the process's name.
void set_component(std::string_view component);

// The level now ("info", ...), and a change of it at run time: false, and no change, for
// a name that is not a level.
std::string level();
bool set_level(std::string_view level);

// Builds the JSON body of a log line after ts and level: "msg":...,"component":...,
// "correlation_id":...,"fields":{...}.
std::string json_body(std::string_view msg, std::string_view correlation_id,
                      std::initializer_list<Field> fields);

// Whether a line of `msg` at `level` goes out now (the repetition limit), and how many
// lines of it were left out before this one (0 if none).
bool admit(spdlog::level::level_enum level, std::string_view msg, std::size_t* suppressed);

void emit(spdlog::level::level_enum level, std::string_view msg, std::string_view correlation_id,
          std::initializer_list<Field> fields);

inline void write(spdlog::level::level_enum level, std::string_view msg,
                  std::string_view correlation_id, std::initializer_list<Field> fields = {}) {
  if (!spdlog::should_log(level)) return;
  emit(level, msg, correlation_id, fields);
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
