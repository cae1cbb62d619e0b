#include "spot/log/log.h"

#include <pthread.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace spot::log {

namespace {

thread_local std::string t_component = "main";

std::string quote(std::string_view s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The repetition limit: per message, lines in the current one-second window.
struct Repeats {
  std::mutex mutex;
  std::size_t per_second = 20;
  struct Window {
    std::int64_t start_ns = 0;
    std::size_t lines = 0;
    std::size_t suppressed = 0;  // left out since the last line that went out
  };
  std::unordered_map<std::string, Window> by_msg;
};

Repeats& repeats() {
  static Repeats r;
  return r;
}

// Bounds the table: messages are literals in the code, so this only guards against a
// caller that puts variable text in msg.
constexpr std::size_t kMaxTrackedMessages = 4'096;

}  // namespace

void init(const std::string& level, std::size_t repeats_per_second) {
  spdlog::drop("spotd");
  auto logger = spdlog::stderr_logger_mt("spotd");
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  std::lock_guard lock(repeats().mutex);
  repeats().per_second = repeats_per_second;
}

void set_component(std::string_view component) {
  t_component = std::string(component);
  if (component != "main") {
    const std::string name = ("spot-" + t_component).substr(0, 15);  // the kernel's limit
    pthread_setname_np(pthread_self(), name.c_str());
  }
}

std::string level() {
  const auto name = spdlog::level::to_string_view(spdlog::default_logger()->level());
  return std::string(name.data(), name.size());
}

bool set_level(std::string_view name) {
  for (const auto l : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                       spdlog::level::warn, spdlog::level::err, spdlog::level::off}) {
    const auto n = spdlog::level::to_string_view(l);
    if (std::string_view(n.data(), n.size()) == name ||
        (name == "error" && l == spdlog::level::err)) {
      spdlog::default_logger()->set_level(l);
      return true;
    }
  }
  return false;
}

std::string json_body(std::string_view msg, std::string_view correlation_id,
                      std::initializer_list<Field> fields) {
  std::string out =
      "\"msg\":" + quote(msg) + ",\"component\":" + quote(t_component) + ",\"correlation_id\":" +
      (correlation_id.empty() ? std::string("null") : quote(correlation_id)) + ",\"fields\":{";
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (!first) out += ',';
    first = false;
    out += quote(key);
    out += ':';
    out += quote(value);
  }
  out += '}';
  return out;
}

bool admit(spdlog::level::level_enum level, std::string_view msg, std::size_t* suppressed) {
  *suppressed = 0;
  if (level < spdlog::level::info) return true;  // debug and trace are asked for
  Repeats& r = repeats();
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::lock_guard lock(r.mutex);
  if (r.per_second == 0) return true;
  auto it = r.by_msg.find(std::string(msg));
  if (it == r.by_msg.end()) {
    if (r.by_msg.size() >= kMaxTrackedMessages) r.by_msg.clear();
    it = r.by_msg.emplace(std::string(msg), Repeats::Window{now, 0, 0}).first;
  }
  Repeats::Window& w = it->second;
  if (now - w.start_ns >= 1'000'000'000) {
    w.start_ns = now;
    w.lines = 0;
  }
  if (w.lines >= r.per_second) {
    ++w.suppressed;
    return false;
  }
  ++w.lines;
  *suppressed = w.suppressed;
  w.suppressed = 0;
  return true;
}

void emit(spdlog::level::level_enum level, std::string_view msg, std::string_view correlation_id,
          std::initializer_list<Field> fields) {
  std::size_t suppressed = 0;
  if (!admit(level, msg, &suppressed)) return;
  if (suppressed == 0) {
    spdlog::log(level, "{}", json_body(msg, correlation_id, fields));
    return;
  }
  std::string body = json_body(msg, correlation_id, fields);
  // "fields":{...}: the count goes first inside it.
  const std::size_t at = body.rfind("\"fields\":{") + 10;
  body.insert(at, "\"repeats_suppressed\":\"" + std::to_string(suppressed) + "\"" +
                      (body[at] == '}' ? "" : ","));
  spdlog::log(level, "{}", body);
}

}  // namespace spot::log
