// spotd configuration: every key, its default, and how it is read.
// Sources, later ones winning: defaults here < the TOML file < SPOT_* environment
// variables < command-line flags. Keys are "section.name"; the environment variable
// of a key is SPOT_ + the key upper-cased with '.' -> '_' (http.port -> SPOT_HTTP_PORT).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spot/admin/admin_routes.h"
#include "spot/cache/read_path.h"
#include "spot/cache/redis.h"
#include "spot/engine/engine.h"
#include "spot/engine/symbol.h"
#include "spot/gateway/gateway.h"
#include "spot/journal/journal.h"
#include "spot/journal/snapshot.h"
#include "spot/net/http_api.h"
#include "spot/net/http_server.h"
#include "spot/net/tcp_server.h"
#include "spot/store/dead_letters.h"
#include "spot/store/postgres.h"

namespace spot {

// The config holds each module's own options struct (the module owns its defaults);
// the key table in config.cpp maps "section.key" names onto their fields.
struct Config {
  HttpOptions http;
  TcpOptions tcp;
  AdminOptions admin;
  ApiOptions api;
  // The threads around the engine are wired by app alone, so their defaults live here.
  struct Engine {
    std::size_t io_threads = 2;
    std::size_t queue_capacity = 65'536;  // power of two
    std::size_t batch_max = 512;          // commands the matching thread takes at once
    EngineLimits limits;
  } engine;
  GatewayOptions limits;
  // The server key that seals API secrets at rest (gateway/secrets.h): 64 hex
  // characters in this file, or in the environment variable SPOTD_SECRET_KEY (which
  // wins). Neither: accounts get no API secret and signed /api/v3 requests get 401.
  struct Auth {
    std::string secret_key_file;
  } auth;
  // The matching thread writes and fsyncs each batch it executed (journal.writer_thread).
  JournalOptions journal{.writer_thread = false};
  SnapshotPolicy snapshot;
  PostgresOptions postgres;  // url empty: embedded, journal only
  DeadLetterOptions dlq;     // used with postgres only
  RedisOptions redis;        // url empty: no cache
  ReadOptions reads;         // the read path, used with postgres only
  struct Shutdown {
    std::int64_t drain_timeout_ms = 5'000;
  } shutdown;
  struct Log {
    std::string level = "info";  // trace, debug, info, warn, error, off
    // Lines of one message a second, at most (info and above; 0: no limit).
    std::size_t repeats_per_second = 20;
  } log;
  std::string ports_file;  // if set, the bound ports are written here as JSON
  std::vector<SymbolSpec> symbols;
  // [assets]: decimals of each asset's smallest unit, applied to the symbols' specs when
  // the file is read (an asset not listed keeps SymbolSpec's default).
  std::map<std::string, int> asset_decimals;
};

struct ConfigError {
  std::string key;
  std::string message;
};

// Every scalar key with a one-line description, for --help and validation.
const std::map<std::string, std::string>& config_keys();

// Sets one scalar key from text. Fails for unknown keys and bad values.
std::optional<ConfigError> set_config_value(Config& config, const std::string& key,
                                            const std::string& value);

// Reads the TOML file (scalar keys and the [[symbols]] array) into config.
std::optional<ConfigError> load_config_file(Config& config, const std::string& path);

// The same for TOML text already in memory; `source` names it in errors.
std::optional<ConfigError> load_config_text(Config& config, std::string_view text,
                                            const std::string& source);

// Applies SPOT_* variables from `environ`-style "NAME=value" strings.
std::optional<ConfigError> apply_environment(Config& config, const std::vector<std::string>& env);

// Checks values against each other (ports, sizes, symbols). Called after all sources.
std::optional<ConfigError> validate_config(const Config& config);

}  // namespace spot
