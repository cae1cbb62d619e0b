#include "spot/log/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <nlohmann/json.hpp>

namespace spot::log {

void init(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("spotd");
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

namespace {
std::string quote(std::string_view s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

std::string json_body(std::string_view msg, std::string_view request_id,
                      std::initializer_list<Field> fields) {
  std::string out = "\"msg\":" + quote(msg);
  if (!request_id.empty()) out += ",\"request_id\":" + quote(request_id);
  for (const auto& [key, value] : fields) {
    out += ',';
    out += quote(key);
    out += ':';
    out += quote(value);
  }
  return out;
}

}  // namespace spot::log
