#include "cache/cache_test_support.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "spot/core/decimal.h"

namespace spot::test {

SymbolTable test_symbols() {
  SymbolSpec btc;
  btc.name = "BTC-USDT";
  btc.tick_size = Decimal{1, 2};
  btc.lot_size = Decimal{1, 3};
  SymbolSpec eth;
  eth.name = "ETH-USDT";
  eth.tick_size = Decimal{5, 2};
  eth.lot_size = Decimal{1, 2};
  return SymbolTable({btc, eth});
}

std::unique_ptr<SpotdProcess> spotd_with(const PostgresServer& pg, const RedisServer& redis,
                                         std::vector<std::string> extra) {
  std::vector<std::string> args = {
      "--set", "postgres.url=" + pg.url(),       "--set", "postgres.flush_ms=50",
      "--set", "postgres.drain_timeout_ms=3000", "--set", "redis.url=" + redis.url()};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<SpotdProcess>(args);
}

void wait_for_cache(const SpotdProcess& spotd, std::chrono::seconds limit) {
  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json r;
  while (std::chrono::steady_clock::now() - t0 < limit) {
    r = readyz(spotd);
    const auto durable = r["postgres"]["durableSeq"].get<std::uint64_t>();
    if (durable > 0 && r["postgres"]["checkpoint"].get<std::uint64_t>() == durable &&
        r["redis"]["writtenSeq"].get<std::uint64_t>() == durable) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "the cache did not catch up within " << limit.count() << " s: " << r.dump();
}

}  // namespace spot::test
