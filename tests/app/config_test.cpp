// spotd configuration: TOML file, environment, single keys, validation.
#include <gtest/gtest.h>

#include <toml++/toml.h>
#include <unistd.h>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "spot/app/config.h"

namespace spot {
namespace {

// A TOML file in the test's temporary directory, removed afterwards.
class TempToml {
 public:
  explicit TempToml(const std::string& text) {
    static int counter = 0;
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("spot_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
             ".toml");
    std::ofstream(path_) << text;
  }
  ~TempToml() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::optional<ConfigError> load(Config& config, const std::string& text) {
  TempToml file(text);
  return load_config_file(config, file.path());
}

SymbolSpec symbol(const std::string& name) {
  SymbolSpec s;
  s.name = name;
  return s;
}

Config valid_config() {
  Config c;
  c.symbols.push_back(symbol("BTC-USDT"));
  return c;
}

TEST(ConfigFile, LoadsEverySectionAndSymbolsWithDecimals) {
  Config c;
  const auto error = load(c, R"(
ports_file = "/tmp/ports.json"

[http]
address = "127.0.0.2"
port = 18080
max_header_bytes = 4096
max_body_bytes = 2048
max_connections = 50
max_inflight_per_connection = 8
read_timeout_ms = 1500
write_timeout_ms = 2500

[tcp]
address = "127.0.0.3"
port = 19090
max_frame_bytes = 128
max_connections = 60
max_inflight_per_connection = 100
max_outbound_bytes = 65536
login_timeout_ms = 700
heartbeat_interval_ms = 250
idle_timeout_ms = 900

[admin]
address = "127.0.0.4"
port = 18081
token = "s3cret"

[engine]
io_threads = 3
queue_capacity = 1024
batch_max = 64
order_history = 500
idempotency_window = 300
max_open_orders_per_account = 77
book_order_capacity = 2048
book_level_capacity = 128

[limits]
orders_per_second_per_account = 250.5
burst_per_account = 1000

[shutdown]
drain_timeout_ms = 1234

[log]
level = "debug"

[[symbols]]
name = "BTC-USDT"
tick_size = "0.5"
lot_size = "0.01"
min_price = "1.0"
max_price = "1000"
min_qty = "0.01"
max_qty = "5"

[[symbols]]
name = "ETH-USDT"
tick_size = "0.01"
lot_size = "0.001"
)");
  ASSERT_FALSE(error) << error->key << ": " << error->message;
  EXPECT_EQ(c.ports_file, "/tmp/ports.json");
  EXPECT_EQ(c.http.address, "127.0.0.2");
  EXPECT_EQ(c.http.port, 18080);
  EXPECT_EQ(c.http.max_header_bytes, 4096u);
  EXPECT_EQ(c.http.max_body_bytes, 2048u);
  EXPECT_EQ(c.http.max_connections, 50u);
  EXPECT_EQ(c.http.max_inflight_per_connection, 8u);
  EXPECT_EQ(c.http.read_timeout_ms, 1500);
  EXPECT_EQ(c.http.write_timeout_ms, 2500);
  EXPECT_EQ(c.tcp.address, "127.0.0.3");
  EXPECT_EQ(c.tcp.port, 19090);
  EXPECT_EQ(c.tcp.max_frame_bytes, 128u);
  EXPECT_EQ(c.tcp.max_connections, 60u);
  EXPECT_EQ(c.tcp.max_inflight_per_connection, 100u);
  EXPECT_EQ(c.tcp.max_outbound_bytes, 65536u);
  EXPECT_EQ(c.tcp.login_timeout_ms, 700);
  EXPECT_EQ(c.tcp.heartbeat_interval_ms, 250);
  EXPECT_EQ(c.tcp.idle_timeout_ms, 900);
  EXPECT_EQ(c.admin.address, "127.0.0.4");
  EXPECT_EQ(c.admin.port, 18081);
  EXPECT_EQ(c.admin.token, "s3cret");
  EXPECT_EQ(c.engine.io_threads, 3u);
  EXPECT_EQ(c.engine.queue_capacity, 1024u);
  EXPECT_EQ(c.engine.batch_max, 64u);
  EXPECT_EQ(c.engine.limits.order_history, 500u);
  EXPECT_EQ(c.engine.limits.idempotency_window, 300u);
  EXPECT_EQ(c.engine.limits.max_open_orders_per_account, 77u);
  EXPECT_EQ(c.engine.limits.book_capacity.orders, 2048u);
  EXPECT_EQ(c.engine.limits.book_capacity.levels, 128u);
  EXPECT_DOUBLE_EQ(c.limits.orders_per_second_per_account, 250.5);
  EXPECT_DOUBLE_EQ(c.limits.burst_per_account, 1000);
  EXPECT_EQ(c.shutdown.drain_timeout_ms, 1234);
  EXPECT_EQ(c.log.level, "debug");

  ASSERT_EQ(c.symbols.size(), 2u);
  const SymbolSpec& btc = c.symbols[0];
  EXPECT_EQ(btc.name, "BTC-USDT");
  EXPECT_EQ(btc.tick_size.mantissa, 5);
  EXPECT_EQ(btc.tick_size.scale, 1);
  EXPECT_EQ(btc.lot_size.mantissa, 1);
  EXPECT_EQ(btc.lot_size.scale, 2);
  EXPECT_EQ(btc.min_price, 2);     // 1.0 / 0.5
  EXPECT_EQ(btc.max_price, 2000);  // 1000 / 0.5
  EXPECT_EQ(btc.min_qty, 1);       // 0.01 / 0.01
  EXPECT_EQ(btc.max_qty, 500);     // 5 / 0.01
  const SymbolSpec& eth = c.symbols[1];
  EXPECT_EQ(eth.name, "ETH-USDT");
  EXPECT_EQ(eth.tick_size.mantissa, 1);
  EXPECT_EQ(eth.tick_size.scale, 2);
  EXPECT_EQ(eth.lot_size.scale, 3);
  // Bounds not given keep their defaults.
  EXPECT_EQ(eth.min_price, SymbolSpec{}.min_price);
  EXPECT_EQ(eth.max_price, SymbolSpec{}.max_price);
  EXPECT_EQ(eth.min_qty, SymbolSpec{}.min_qty);
  EXPECT_EQ(eth.max_qty, SymbolSpec{}.max_qty);
  EXPECT_FALSE(validate_config(c));
}

TEST(ConfigFile, SmallFractionalRatesKeepTheirPrecision) {
  Config config;
  ASSERT_FALSE(load(config, "[limits]\norders_per_second_per_account = 0.0000015\n"));
  EXPECT_DOUBLE_EQ(config.limits.orders_per_second_per_account, 0.0000015);
}

TEST(ConfigFile, KeysNotInTheFileKeepTheirDefaults) {
  Config c;
  ASSERT_FALSE(load(c, "[http]\nport = 1\n"));
  const Config defaults;
  EXPECT_EQ(c.http.port, 1);
  EXPECT_EQ(c.http.address, defaults.http.address);
  EXPECT_EQ(c.tcp.port, defaults.tcp.port);
  EXPECT_EQ(c.engine.queue_capacity, defaults.engine.queue_capacity);
  EXPECT_EQ(c.log.level, defaults.log.level);
}

struct FileErrorCase {
  const char* name;
  const char* toml;
  const char* key;  // the key the error must name
};

TEST(ConfigFile, ErrorsNameTheOffendingKey) {
  const std::vector<FileErrorCase> cases = {
      {"unknown key in a section", "[http]\nbogus_key = 1\n", "http.bogus_key"},
      {"unknown top-level key", "nonsense = 1\n", "nonsense"},
      {"unknown section", "[nosuch]\nport = 1\n", "nosuch.port"},
      {"integer given as text", "[http]\nport = \"abc\"\n", "http.port"},
      {"integer with a fraction", "[engine]\nbatch_max = 1.5\n", "engine.batch_max"},
      {"integer out of range", "[http]\nport = 70000\n", "http.port"},
      {"negative integer", "[tcp]\nport = -1\n", "tcp.port"},
      {"below minimum", "[engine]\nqueue_capacity = 1\n", "engine.queue_capacity"},
      {"non-positive rate", "[limits]\norders_per_second_per_account = 0\n",
       "limits.orders_per_second_per_account"},
      {"rate not a number", "[limits]\nburst_per_account = \"lots\"\n", "limits.burst_per_account"},
      {"table value", "[http]\nport = { a = 1 }\n", "http.port"},
      {"symbol without name", "[[symbols]]\ntick_size = \"0.01\"\nlot_size = \"0.001\"\n",
       "symbols[0].name"},
      {"symbol without tick size", "[[symbols]]\nname = \"X\"\nlot_size = \"0.001\"\n",
       "symbols[0].tick_size"},
      {"symbol with zero lot size",
       "[[symbols]]\nname = \"X\"\ntick_size = \"0.01\"\nlot_size = \"0\"\n",
       "symbols[0].lot_size"},
      {"bound off the grid",
       "[[symbols]]\nname = \"X\"\ntick_size = \"0.01\"\nlot_size = \"0.001\"\n"
       "[[symbols]]\nname = \"Y\"\ntick_size = \"0.5\"\nlot_size = \"0.001\"\nmin_price = "
       "\"0.3\"\n",
       "symbols[1].min_price"},
      {"bound as a number",
       "[[symbols]]\nname = \"X\"\ntick_size = \"0.01\"\nlot_size = \"0.001\"\nmax_qty = 5\n",
       "symbols[0].max_qty"},
      {"symbols not an array of tables", "symbols = 3\n", "symbols"},
      {"mistyped symbol key",
       "[[symbols]]\nname = \"X\"\ntick_size = \"0.01\"\nlot_size = \"0.001\"\nmax_quantity = "
       "\"5\"\n",
       "symbols[0].max_quantity"},
      {"infinite rate", "[limits]\norders_per_second_per_account = inf\n",
       "limits.orders_per_second_per_account"},
      // Found by tests/fuzz/config: the error named no key at all.
      {"empty top-level key", "\"\" = \"0.01\"\n", "\"\""},
      // Found by tests/fuzz/config: toml++ cast the float to int64 unchecked (UB).
      {"float beyond int64 for an integer", "[http]\nport = 1e90\n", "http.port"},
      {"float beyond int64 for a fee",
       "[[symbols]]\nname = \"X\"\ntick_size = \"0.01\"\nlot_size = \"0.001\"\n"
       "maker_fee_bps = -1e300\n",
       "symbols[0].maker_fee_bps"},
  };
  for (const FileErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    Config config;
    const auto error = load(config, c.toml);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->key, c.key) << error->message;
    EXPECT_FALSE(error->message.empty());
  }
}

TEST(ConfigFile, BadIntegerMessageSaysWhatWasExpected) {
  Config c;
  const auto error = load(c, "[http]\nport = \"eighty\"\n");
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("integer"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("eighty"), std::string::npos) << error->message;
}

TEST(ConfigFile, OutOfRangeMessageGivesTheRange) {
  Config c;
  const auto error = load(c, "[http]\nport = 70000\n");
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("65535"), std::string::npos) << error->message;
}

TEST(ConfigFile, SyntaxErrorAndMissingFileAreErrorsNotExceptions) {
  Config c;
  const auto syntax = load(c, "[http\nport = 1\n");
  ASSERT_TRUE(syntax);
  EXPECT_FALSE(syntax->message.empty());

  std::optional<ConfigError> missing;
  EXPECT_NO_THROW(missing = load_config_file(c, "/nonexistent/dir/spotd.toml"));
  EXPECT_TRUE(missing);
}

TEST(ConfigEnvironment, OverridesAndIgnoresUnrelatedVariables) {
  Config c;
  ASSERT_FALSE(load(c, "[http]\nport = 8000\n"));
  const auto error = apply_environment(
      c, {"PATH=/usr/bin", "SPOT_HTTP_PORT=1234", "SPOT_LOG_LEVEL=warn",
          "SPOT_ENGINE_QUEUE_CAPACITY=256", "SPOT_ADMIN_TOKEN=tok=with=equals", "SPOT_TCP_PORTX=1",
          "XSPOT_TCP_PORT=2", "SPOT_LIMITS_BURST_PER_ACCOUNT=12.5"});
  ASSERT_FALSE(error) << error->key << ": " << error->message;
  EXPECT_EQ(c.http.port, 1234);
  EXPECT_EQ(c.log.level, "warn");
  EXPECT_EQ(c.engine.queue_capacity, 256u);
  EXPECT_EQ(c.admin.token, "tok=with=equals");
  EXPECT_EQ(c.tcp.port, Config{}.tcp.port);
  EXPECT_DOUBLE_EQ(c.limits.burst_per_account, 12.5);
}

TEST(ConfigEnvironment, BadValueNamesTheVariable) {
  Config c;
  const auto error = apply_environment(c, {"SPOT_HTTP_PORT=not-a-port"});
  ASSERT_TRUE(error);
  EXPECT_NE(error->key.find("SPOT_HTTP_PORT"), std::string::npos) << error->key;
  EXPECT_FALSE(error->message.empty());

  const auto range = apply_environment(c, {"SPOT_ENGINE_IO_THREADS=0"});
  ASSERT_TRUE(range);
  EXPECT_NE(range->key.find("SPOT_ENGINE_IO_THREADS"), std::string::npos) << range->key;
}

TEST(ConfigEnvironment, EveryKeyHasItsVariable) {
  const std::string value = "zz-not-valid";
  for (const auto& [key, description] : config_keys()) {
    SCOPED_TRACE(key);
    std::string name = "SPOT_" + key;
    for (char& ch : name) ch = ch == '.' ? '_' : static_cast<char>(std::toupper(ch));
    Config direct;
    const auto direct_error = set_config_value(direct, key, value);
    Config from_env;
    const auto env_error = apply_environment(from_env, {name + "=" + value});
    // The variable reaches the key: numbers reject the value, strings take it.
    ASSERT_EQ(static_cast<bool>(env_error), static_cast<bool>(direct_error));
    if (env_error) {
      EXPECT_NE(env_error->key.find(name), std::string::npos) << env_error->key;
    } else {
      const Config d;
      auto strings = [](const Config& c) {
        return c.http.address + "|" + c.tcp.address + "|" + c.admin.address + "|" + c.admin.token +
               "|" + c.log.level + "|" + c.ports_file + "|" + c.journal.dir + "|" + c.postgres.url +
               "|" + c.admin.token_label + "|" + c.redis.url + "|" + c.redis.key_prefix + "|" +
               c.auth.secret_key_file;
      };
      EXPECT_EQ(strings(from_env), strings(direct));
      EXPECT_NE(strings(from_env), strings(d));
    }
  }
}

// [redis]: a URL that parses, only beside a database (the cache is written after
// PostgreSQL commits), a prefix that is safe in a key, usable breaker options.
TEST(ConfigRedis, IsValidatedAndNeedsADatabase) {
  Config c;
  c.symbols = {SymbolSpec{}};
  c.symbols[0].name = "BTC-USDT";
  EXPECT_FALSE(validate_config(c));  // no cache: the default
  c.redis.url = "redis://127.0.0.1:6379/0";
  auto e = validate_config(c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->key, "redis.url");
  EXPECT_NE(e->message.find("postgres.url"), std::string::npos) << e->message;
  c.journal.dir = "/tmp/j";
  c.postgres.url = "postgresql://postgres@127.0.0.1:5432/spotd";
  EXPECT_FALSE(validate_config(c));
  c.redis.url = "redis://127.0.0.1:99999/0";
  e = validate_config(c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->key, "redis.url");
  c.redis.url = "http://127.0.0.1:6379";
  EXPECT_TRUE(validate_config(c));
  c.redis.url = "redis://:pw@cache:6380/3";
  EXPECT_FALSE(validate_config(c));
  for (const char* bad : {"", "has space", "a:b", "x*"}) {
    Config p = c;
    p.redis.key_prefix = bad;
    e = validate_config(p);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->key, "redis.key_prefix");
  }
  Config b = c;
  b.redis.breaker.min_calls = b.redis.breaker.window_calls + 1;
  e = validate_config(b);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->key, "redis.breaker_*");
  EXPECT_TRUE(set_config_value(c, "redis.command_timeout_ms", "0"));
  EXPECT_TRUE(set_config_value(c, "redis.pipeline_max_commands", "0"));
  EXPECT_FALSE(set_config_value(c, "redis.order_ttl_s", "60"));
  EXPECT_EQ(c.redis.order_ttl_s, 60);
  EXPECT_FALSE(apply_environment(c, {"SPOT_REDIS_URL=redis://127.0.0.1:7000/1"}));
  EXPECT_EQ(c.redis.url, "redis://127.0.0.1:7000/1");
}

TEST(ConfigSetValue, SetsChecksAndRejects) {
  Config c;
  EXPECT_FALSE(set_config_value(c, "tcp.port", "0"));
  EXPECT_EQ(c.tcp.port, 0);
  EXPECT_FALSE(set_config_value(c, "engine.order_history", "0"));
  EXPECT_EQ(c.engine.limits.order_history, 0u);
  EXPECT_EQ(Config{}.engine.limits.order_history, 50'000u);
  EXPECT_EQ(Config{}.engine.limits.idempotency_window, 1'000'000u);
  EXPECT_FALSE(set_config_value(c, "engine.idempotency_window", "0"));  // keeps none
  EXPECT_EQ(c.engine.limits.idempotency_window, 0u);
  EXPECT_FALSE(set_config_value(c, "engine.idempotency_window", "1000000000"));
  EXPECT_EQ(c.engine.limits.idempotency_window, 1'000'000'000u);
  EXPECT_FALSE(set_config_value(c, "limits.orders_per_second_per_account", "2.5"));
  EXPECT_DOUBLE_EQ(c.limits.orders_per_second_per_account, 2.5);
  EXPECT_FALSE(set_config_value(c, "ports_file", "/run/spotd.json"));
  EXPECT_EQ(c.ports_file, "/run/spotd.json");

  const struct {
    const char* key;
    const char* value;
  } bad[] = {
      {"http.port", ""},
      {"http.port", "12ab"},
      {"http.port", "65536"},
      {"http.port", "-5"},
      {"http.port", " 80"},
      {"engine.io_threads", "0"},
      {"engine.io_threads", "257"},
      {"tcp.max_frame_bytes", "69"},
      {"engine.idempotency_window", "-1"},
      {"engine.idempotency_window", "1000000001"},
      {"engine.idempotency_window", "lots"},
      {"limits.burst_per_account", "-1"},
      {"limits.burst_per_account", "abc"},
      {"limits.burst_per_account", "1x"},
      {"http.read_timeout_ms", "99999999999999999999"},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(std::string(b.key) + "=" + b.value);
    Config before;
    Config config;
    const auto error = set_config_value(config, b.key, b.value);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->key, b.key);
    EXPECT_EQ(config.http.port, before.http.port);
    EXPECT_EQ(config.engine.io_threads, before.engine.io_threads);
  }

  const auto unknown = set_config_value(c, "http.nope", "1");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->key, "http.nope");
}

struct ValidateCase {
  const char* name;
  std::function<void(Config&)> mutate;
  const char* key;  // nullptr: valid
};

TEST(ConfigValidate, ScenarioTable) {
  const std::vector<ValidateCase> cases = {
      {"defaults plus one symbol", [](Config&) {}, nullptr},
      {"queue capacity 1024", [](Config& c) { c.engine.queue_capacity = 1024; }, nullptr},
      {"queue capacity not a power of two", [](Config& c) { c.engine.queue_capacity = 1000; },
       "engine.queue_capacity"},
      {"queue capacity 3", [](Config& c) { c.engine.queue_capacity = 3; }, "engine.queue_capacity"},
      {"no symbols", [](Config& c) { c.symbols.clear(); }, "symbols"},
      {"duplicate symbol", [](Config& c) { c.symbols.push_back(symbol("BTC-USDT")); },
       "symbols[1].name"},
      {"two distinct symbols", [](Config& c) { c.symbols.push_back(symbol("ETH-USDT")); }, nullptr},
      {"min price above max",
       [](Config& c) {
         c.symbols[0].min_price = 10;
         c.symbols[0].max_price = 9;
       },
       "symbols[0].min_price"},
      {"min price equal to max",
       [](Config& c) {
         c.symbols[0].min_price = 10;
         c.symbols[0].max_price = 10;
       },
       nullptr},
      {"min qty above max",
       [](Config& c) {
         c.symbols.push_back(symbol("ETH-USDT"));
         c.symbols[1].min_qty = 100;
         c.symbols[1].max_qty = 1;
       },
       "symbols[1].min_qty"},
      {"bad log level", [](Config& c) { c.log.level = "verbose"; }, "log.level"},
      {"log level off", [](Config& c) { c.log.level = "off"; }, nullptr},
      {"burst below one", [](Config& c) { c.limits.burst_per_account = 0.5; },
       "limits.burst_per_account"},
      {"tcp port equal to http port",
       [](Config& c) {
         c.http.port = 9000;
         c.tcp.port = 9000;
       },
       "tcp.port"},
      {"admin port equal to tcp port", [](Config& c) { c.admin.port = c.tcp.port; }, "admin.port"},
      {"a page of balances past what a connection may queue",
       [](Config& c) {
         c.tcp.max_outbound_bytes = 4096;
         c.tcp.max_balances_per_reply = 66;  // 66 x 62 + 15 = 4107
       },
       "tcp.max_balances_per_reply"},
      {"a page of balances that just fits",
       [](Config& c) {
         c.tcp.max_outbound_bytes = 4096;
         c.tcp.max_balances_per_reply = 65;
       },
       nullptr},
      {"an asset name from the symbol's name too long for the TCP asset code",
       [](Config& c) { c.symbols.push_back(symbol(std::string(33, 'A') + "-USDT")); },
       "symbols[1].base_asset"},
      {"an asset name from the symbol's name with a space",
       [](Config& c) { c.symbols.push_back(symbol("ETH-US DT")); }, "symbols[1].quote_asset"},
      {"a 32-character asset name",
       [](Config& c) { c.symbols.push_back(symbol(std::string(32, 'A') + "-USDT")); }, nullptr},
      {"all ports 0 (ephemeral)",
       [](Config& c) {
         c.http.port = 0;
         c.tcp.port = 0;
         c.admin.port = 0;
       },
       nullptr},
  };
  for (const ValidateCase& c : cases) {
    SCOPED_TRACE(c.name);
    Config config = valid_config();
    c.mutate(config);
    const auto error = validate_config(config);
    if (c.key == nullptr) {
      EXPECT_FALSE(error) << error->key << ": " << error->message;
    } else {
      ASSERT_TRUE(error);
      EXPECT_EQ(error->key, c.key) << error->message;
      EXPECT_FALSE(error->message.empty());
    }
  }
}

const std::string kShippedConfig = std::string(SPOT_SOURCE_DIR) + "/config/spotd.toml";

TEST(ShippedConfig, LoadsAndValidates) {
  Config c;
  const auto error = load_config_file(c, kShippedConfig);
  ASSERT_FALSE(error) << error->key << ": " << error->message;
  const auto invalid = validate_config(c);
  ASSERT_FALSE(invalid) << invalid->key << ": " << invalid->message;
  ASSERT_FALSE(c.symbols.empty());
  EXPECT_EQ(c.symbols[0].name, "BTC-USDT");
  EXPECT_EQ(c.symbols[0].min_price, 1);              // 0.01 at tick 0.01
  EXPECT_EQ(c.symbols[0].max_price, 1'000'000'000);  // 10000000.00
  EXPECT_EQ(c.symbols[0].min_qty, 1);                // 0.001 at lot 0.001
  EXPECT_EQ(c.symbols[0].max_qty, 1'000'000'000);    // 1000000.000
}

TEST(ShippedConfig, MatchesTheCompiledDefaults) {
  // The file says "every key is listed with its default": loading it changes nothing
  // but the symbols.
  Config loaded;
  ASSERT_FALSE(load_config_file(loaded, kShippedConfig));
  const Config d;
  EXPECT_EQ(loaded.http.port, d.http.port);
  EXPECT_EQ(loaded.http.max_header_bytes, d.http.max_header_bytes);
  EXPECT_EQ(loaded.http.max_body_bytes, d.http.max_body_bytes);
  EXPECT_EQ(loaded.http.read_timeout_ms, d.http.read_timeout_ms);
  EXPECT_EQ(loaded.tcp.port, d.tcp.port);
  EXPECT_EQ(loaded.tcp.max_frame_bytes, d.tcp.max_frame_bytes);
  EXPECT_EQ(loaded.tcp.max_outbound_bytes, d.tcp.max_outbound_bytes);
  EXPECT_EQ(loaded.tcp.max_balances_per_reply, d.tcp.max_balances_per_reply);
  EXPECT_EQ(loaded.admin.address, d.admin.address);
  EXPECT_EQ(loaded.admin.port, d.admin.port);
  EXPECT_EQ(loaded.engine.queue_capacity, d.engine.queue_capacity);
  EXPECT_EQ(loaded.engine.limits.order_history, d.engine.limits.order_history);
  EXPECT_EQ(loaded.engine.limits.idempotency_window, d.engine.limits.idempotency_window);
  EXPECT_EQ(loaded.engine.limits.book_capacity.orders, d.engine.limits.book_capacity.orders);
  EXPECT_DOUBLE_EQ(loaded.limits.orders_per_second_per_account,
                   d.limits.orders_per_second_per_account);
  EXPECT_DOUBLE_EQ(loaded.limits.burst_per_account, d.limits.burst_per_account);
  EXPECT_EQ(loaded.shutdown.drain_timeout_ms, d.shutdown.drain_timeout_ms);
  EXPECT_EQ(loaded.log.level, d.log.level);
  EXPECT_EQ(loaded.redis.url, d.redis.url);
  EXPECT_EQ(loaded.redis.key_prefix, d.redis.key_prefix);
  EXPECT_EQ(loaded.redis.command_timeout_ms, d.redis.command_timeout_ms);
  EXPECT_EQ(loaded.redis.order_ttl_s, d.redis.order_ttl_s);
  EXPECT_EQ(loaded.redis.queue_max_rows, d.redis.queue_max_rows);
  EXPECT_EQ(loaded.redis.pipeline_max_commands, d.redis.pipeline_max_commands);
  EXPECT_EQ(loaded.redis.breaker.slow_call_ms, d.redis.breaker.slow_call_ms);
  EXPECT_EQ(loaded.redis.breaker.probe_deadline_ms, d.redis.breaker.probe_deadline_ms);
}

TEST(ConfigKeys, EveryKeyIsDescribed) {
  ASSERT_GE(config_keys().size(), 30u);
  for (const auto& [key, description] : config_keys()) {
    EXPECT_FALSE(description.empty()) << key;
  }
}

TEST(ConfigKeys, EveryKeyIsDocumentedInTheShippedConfig) {
  const toml::table root = toml::parse_file(kShippedConfig);
  for (const auto& [key, description] : config_keys()) {
    const auto dot = key.find('.');
    const bool present = dot == std::string::npos
                             ? static_cast<bool>(root[key])
                             : static_cast<bool>(root[key.substr(0, dot)][key.substr(dot + 1)]);
    EXPECT_TRUE(present) << key << " is missing from config/spotd.toml";
  }
}

}  // namespace
}  // namespace spot
