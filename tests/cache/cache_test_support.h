// What the cache's integration tests share (cache_test.cpp, read_path_test.cpp): spotd
// with a private PostgreSQL and Redis, and waiting for the cache to catch up. The rest
// (load, metrics, readyz) is the store's (tests/store/store_test_support.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "integration/spotd_process.h"
#include "spot/engine/symbol.h"
#include "store/store_test_support.h"
#include "support/postgres_server.h"
#include "support/redis_server.h"

namespace spot::test {

// The symbols SpotdProcess configures (tests/integration/spotd_process.cpp).
SymbolTable test_symbols();

// spotd projecting into `pg` and caching in `redis`, with a short flush and drain.
std::unique_ptr<SpotdProcess> spotd_with(const PostgresServer& pg, const RedisServer& redis,
                                         std::vector<std::string> extra = {});

// Waits until the projector has committed everything durable and the cache has written
// it (readyz: redis.writtenSeq == postgres.checkpoint == durableSeq).
void wait_for_cache(const SpotdProcess& spotd, std::chrono::seconds limit);

}  // namespace spot::test
