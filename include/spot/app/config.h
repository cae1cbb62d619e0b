// spotd configuration: every key, its default, and how it is read.
// Sources, later ones winning: defaults here < the TOML file < SPOT_* environment
// variables < command-line flags. Keys are "section.name"; the environment variable
// of a key is SPOT_ + the key upper-cased with '.' -> '_' (http.port -> SPOT_HTTP_PORT).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spot/engine/symbol.h"

namespace spot {

struct Config {
  struct Http {
    std::string address = "0.0.0.0";
    std::uint16_t port = 8080;
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 16 * 1024;
    std::size_t max_connections = 10'000;
    std::size_t max_inflight_per_connection = 64;
    std::int64_t read_timeout_ms = 10'000;  // to receive one whole request, idle included
    std::int64_t write_timeout_ms = 10'000;
  } http;
  struct Tcp {
    std::string address = "0.0.0.0";
    std::uint16_t port = 9090;
    std::size_t max_frame_bytes = 256;
    std::size_t max_connections = 1'000;
    std::size_t max_inflight_per_connection = 4'096;
    std::size_t max_outbound_bytes = 4 * 1024 * 1024;  // unsent bytes before a slow reader is cut
    std::int64_t login_timeout_ms = 5'000;
    std::int64_t heartbeat_interval_ms = 1'000;
    std::int64_t idle_timeout_ms = 10'000;
  } tcp;
  struct Admin {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8081;
    std::string token;  // Bearer token for /admin/v1/*; empty disables those routes
  } admin;
  struct Engine {
    std::size_t io_threads = 2;
    std::size_t queue_capacity = 65'536;  // power of two
    std::size_t batch_max = 512;          // commands the matching thread takes at once
    std::size_t order_history = 1'000'000;
    std::size_t max_open_orders_per_account = 100'000;
    std::size_t book_order_capacity = 65'536;  // per symbol, preallocated
    std::size_t book_level_capacity = 4'096;   // per symbol and side, preallocated
  } engine;
  struct Limits {
    double orders_per_second_per_account = 50'000;
    double burst_per_account = 100'000;
  } limits;
  struct Journal {
    std::string dir = "var/journal";  // empty: no journal (acks are not durable)
    std::uint64_t segment_bytes = 64ull << 20;
    std::size_t max_batch_entries = 8'192;
    std::size_t max_pending_entries = 1 << 20;
  } journal;
  struct Snapshot {
    std::int64_t interval_ms = 60'000;  // 0: only at clean shutdown
    std::int64_t follow_ms = 1000;      // how often the snapshot replica reads the journal
    std::size_t keep = 2;               // snapshots kept; journal segments before the oldest go
  } snapshot;
  struct Shutdown {
    std::int64_t drain_timeout_ms = 5'000;
  } shutdown;
  struct Log {
    std::string level = "info";  // trace, debug, info, warn, error, off
  } log;
  std::string ports_file;  // if set, the bound ports are written here as JSON
  std::vector<SymbolSpec> symbols;
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

// Applies SPOT_* variables from `environ`-style "NAME=value" strings.
std::optional<ConfigError> apply_environment(Config& config, const std::vector<std::string>& env);

// Checks values against each other (ports, sizes, symbols). Called after all sources.
std::optional<ConfigError> validate_config(const Config& config);

}  // namespace spot
