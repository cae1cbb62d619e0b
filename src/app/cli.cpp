// spotd's command line: configuration from file, environment and flags, then the
// daemon or a journal replay.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "spot/app/config.h"
#include "spot/app/daemon.h"
#include "spot/journal/file_system.h"

extern char** environ;

namespace spot {
namespace {

std::string keys_help() {
  std::string out =
      "\nConfiguration keys (TOML section.key; env SPOT_SECTION_KEY; --set key=value):\n";
  for (const auto& [key, description] : spot::config_keys()) {
    out +=
        "  " + key + std::string(key.size() < 38 ? 38 - key.size() : 1, ' ') + description + "\n";
  }
  return out;
}

int config_error(const spot::ConfigError& e) {
  std::fprintf(stderr, "spotd: configuration error: %s: %s\n", e.key.c_str(), e.message.c_str());
  return 2;
}

}  // namespace

int spotd_main(int argc, char** argv, FileSystem& fs) {
  CLI::App app{"spotd: spot-market matching engine"};
  app.footer(keys_help());
  app.set_version_flag("--version", std::string("spotd ") + spot::kVersion);
  std::string config_path;
  std::vector<std::string> sets;
  std::optional<std::string> http_port, tcp_port, admin_port, admin_token, log_level, ports_file;
  app.add_option("-c,--config", config_path,
                 "TOML configuration file (default: config/spotd.toml if present)");
  app.add_option("--set", sets, "override a key: --set http.port=8080 (repeatable)");
  app.add_option("--http-port", http_port, "same as --set http.port=");
  app.add_option("--tcp-port", tcp_port, "same as --set tcp.port=");
  app.add_option("--admin-port", admin_port, "same as --set admin.port=");
  app.add_option("--admin-token", admin_token, "same as --set admin.token=");
  app.add_option("--log-level", log_level, "same as --set log.level=");
  app.add_option("--ports-file", ports_file, "same as --set ports_file=");
  bool replay_only = false;
  app.add_flag("--replay-only", replay_only,
               "replay the journal, print its record count and state hash as JSON, and exit");
  CLI11_PARSE(app, argc, argv);

  spot::Config config;
  if (config_path.empty() && std::filesystem::exists("config/spotd.toml")) {
    config_path = "config/spotd.toml";
  }
  if (!config_path.empty()) {
    if (!std::filesystem::exists(config_path)) {
      return config_error({"--config", "no such file: " + config_path});
    }
    if (auto e = spot::load_config_file(config, config_path)) return config_error(*e);
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  if (auto e = spot::apply_environment(config, env)) return config_error(*e);
  auto flag = [&](const char* key,
                  const std::optional<std::string>& v) -> std::optional<spot::ConfigError> {
    if (!v) return std::nullopt;
    return spot::set_config_value(config, key, *v);
  };
  for (const auto& [key, value] : {std::pair{"http.port", http_port},
                                   {"tcp.port", tcp_port},
                                   {"admin.port", admin_port},
                                   {"admin.token", admin_token},
                                   {"log.level", log_level},
                                   {"ports_file", ports_file}}) {
    if (auto e = flag(key, value)) return config_error(*e);
  }
  for (const std::string& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) return config_error({s, "--set takes key=value"});
    if (auto e = spot::set_config_value(config, s.substr(0, eq), s.substr(eq + 1)))
      return config_error(*e);
  }
  if (auto e = spot::validate_config(config)) return config_error(*e);
  if (replay_only) return spot::replay_journal_only(config, fs);
  return spot::run_daemon(config, fs);
}

}  // namespace spot
