// What the libFuzzer targets of tests/fuzz share: a check that aborts (so libFuzzer
// reports the input) whatever the build type, the symbols the targets decode against,
// and an in-memory FileSystem for the journal and snapshot readers.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spot/engine/engine.h"
#include "spot/engine/symbol.h"
#include "spot/journal/file_system.h"

// Aborts with the condition's text: a property the code must keep for every input.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace spot::fuzz {

// Two symbols as config/spotd.toml has them (BTC-USDT, ETH-USDT), fees on one.
inline std::vector<SymbolSpec> symbol_specs() {
  SymbolSpec btc;
  btc.name = "BTC-USDT";
  btc.tick_size = Decimal{1, 2};
  btc.lot_size = Decimal{1, 3};
  btc.maker_fee_bps = 10;
  btc.taker_fee_bps = 20;
  SymbolSpec eth = btc;
  eth.name = "ETH-USDT";
  eth.maker_fee_bps = 0;
  eth.taker_fee_bps = 0;
  return {btc, eth};
}

// Small engine limits (engine.* config values), so that each run allocates little and a
// state holding more than they allow must be refused by restore.
inline EngineLimits engine_limits() {
  EngineLimits limits;
  limits.order_history = 256;
  limits.idempotency_window = 256;
  limits.max_open_orders_per_account = 256;
  limits.book_capacity = BookCapacity{1024, 256};
  limits.recent_trades = 64;
  return limits;
}

// Files in a map keyed by path; directories exist implicitly. Never fails.
class MemoryFileSystem final : public FileSystem {
 public:
  std::map<std::string, std::string> files;

  Status open_append(const std::string& path, std::unique_ptr<AppendFile>* file) override {
    class Appender final : public AppendFile {
     public:
      explicit Appender(std::string& data) : data_(data) {}
      Status append(std::string_view data) override {
        data_.append(data);
        return Status();
      }
      Status sync() override { return Status(); }

     private:
      std::string& data_;
    };
    *file = std::make_unique<Appender>(files[path]);
    return Status();
  }
  Status read_file(const std::string& path, std::string* out) override {
    const auto it = files.find(path);
    if (it == files.end()) return Status::not_found(path);
    *out = it->second;
    return Status();
  }
  Status list(const std::string& dir, std::vector<std::string>* names) override {
    names->clear();
    const std::string prefix = dir + "/";
    for (const auto& [path, data] : files) {
      if (path.rfind(prefix, 0) == 0 && path.find('/', prefix.size()) == std::string::npos)
        names->push_back(path.substr(prefix.size()));
    }
    return Status();
  }
  Status truncate(const std::string& path, std::uint64_t size) override {
    files[path].resize(size);
    return Status();
  }
  Status create_dirs(const std::string&) override { return Status(); }
  Status sync_dir(const std::string&) override { return Status(); }
  Status rename(const std::string& from, const std::string& to) override {
    files[to] = files[from];
    files.erase(from);
    return Status();
  }
  Status remove(const std::string& path) override {
    files.erase(path);
    return Status();
  }
};

}  // namespace spot::fuzz
