#include "store/store_test_support.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <thread>

#include "spot/app/config.h"
#include "spot/core/decimal.h"
#include "spot/journal/file_system.h"
#include "spot/journal/recovery.h"

namespace spot::test {

namespace http = boost::beast::http;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A seed for what the tests choose at random (printed, so a failing run can be rerun
// with SPOT_TEST_SEED set to it).
std::uint64_t seed() {
  static const std::uint64_t s = [] {
    const char* env = std::getenv("SPOT_TEST_SEED");
    const std::uint64_t v = env != nullptr ? std::strtoull(env, nullptr, 10)
                                           : static_cast<std::uint64_t>(std::random_device{}());
    std::printf("SPOT_TEST_SEED=%llu\n", static_cast<unsigned long long>(v));
    return v;
  }();
  return s;
}

// spotd projecting into `url`, with a short flush and drain so tests move quickly.
std::unique_ptr<SpotdProcess> spotd_with(const std::string& url, const std::string& journal,
                                         std::vector<std::string> extra) {
  std::vector<std::string> args = {"--set", "postgres.url=" + url,
                                   "--set", "postgres.flush_ms=50",
                                   "--set", "postgres.drain_timeout_ms=3000"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<SpotdProcess>(args, "", journal);
}

json readyz(const SpotdProcess& spotd) {
  const HttpReply r = HttpClient(spotd.admin_port()).request(http::verb::get, "/readyz");
  return json::parse(r.body);
}

// Journal records durable now = what the projector must reach.
std::uint64_t durable_seq(const SpotdProcess& spotd) {
  return readyz(spotd)["postgres"]["durableSeq"].get<std::uint64_t>();
}

std::uint64_t db_checkpoint(const PostgresServer& pg) {
  return std::stoull(pg.psql("SELECT last_seq FROM projector_checkpoint"));
}

// Waits until the database checkpoint reaches `seq`; returns how long it took.
std::chrono::milliseconds wait_for_checkpoint(const PostgresServer& pg, std::uint64_t seq,
                                              std::chrono::seconds limit) {
  const auto t0 = Clock::now();
  while (true) {
    std::uint64_t at = 0;
    try {
      at = db_checkpoint(pg);
    } catch (const std::exception&) {
      // not reachable yet
    }
    if (at >= seq) break;
    if (Clock::now() - t0 > limit) {
      ADD_FAILURE() << "checkpoint " << at << " never reached " << seq << " within "
                    << limit.count() << " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

std::uint64_t Load::errors() const {
  std::uint64_t n = 0;
  for (const auto& [name, count] : summary["errors"].items()) n += count.get<std::uint64_t>();
  return n;
}

Load run_load(const SpotdProcess& spotd, const std::string& key, double rate, double seconds,
              std::uint64_t client_offset) {
  const ExitResult r =
      run_program({SPOT_BENCH_PATH, "http", "--port", std::to_string(spotd.http_port()),
                   "--api-key", key, "--rate", std::to_string(rate), "--duration",
                   std::to_string(seconds), "--connections", "4", "--prefill", "20", "--seed",
                   std::to_string(seed()), "--client-id-offset", std::to_string(client_offset)});
  EXPECT_EQ(r.status, 0) << r.output;
  Load load;
  const std::size_t line = r.output.rfind("{\"mode\"");
  if (line == std::string::npos) {
    ADD_FAILURE() << "no summary from spot-bench: " << r.output;
    load.summary = json{{"errors", json::object()}, {"acked", 0}};
    return load;
  }
  load.summary = json::parse(r.output.substr(line, r.output.find('\n', line) - line));
  return load;
}

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find(by, at), text.size());
    out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// The database holds exactly what the journal says: rebuilt by recovery from the
// snapshot and journal spotd left behind (spotd must have stopped).
void expect_database_equals_journal(const PostgresServer& pg, const SpotdProcess& spotd) {
  Config config;
  ASSERT_FALSE(load_config_file(config, spotd.config_path()).has_value());
  PosixFileSystem fs;
  RecoveredEngine recovered;
  const Status s =
      recover_engine(fs, spotd.journal_dir(), config.symbols, config.engine.limits, &recovered);
  ASSERT_TRUE(s.ok()) << s.to_string();
  const Engine& engine = *recovered.engine;
  const SymbolTable symbols(config.symbols);

  EXPECT_EQ(db_checkpoint(pg), recovered.next_seq - 1) << "the projection stopped short";
  EXPECT_EQ(std::stoull(pg.psql("SELECT count(*) FROM accounts")), engine.account_count());
  // Every order the engine remembers is a row, once (order_history is not exceeded here).
  EXPECT_EQ(std::stoull(pg.psql("SELECT count(*) FROM orders")), engine.record_count());
  const std::string rows = pg.psql(
      "SELECT order_id, account_id, symbol, status, executed_qty, quantity, "
      "coalesce(price::text, ''), coalesce(client_order_id, '') FROM orders ORDER BY order_id");
  std::size_t wrong = 0;
  for (const std::string& line : split(rows, '\n')) {
    if (line.empty()) continue;
    const auto f = split(line, '|');
    ASSERT_EQ(f.size(), 8u) << line;
    const OrderReply r =
        engine.get(GetOrder{AccountId{std::stoull(f[1])}, OrderId{std::stoull(f[0])}});
    const auto symbol = symbols.find(f[2]);
    const bool same =
        r.reject == RejectReason::None && symbol && r.order.symbol == *symbol &&
        f[3] == to_string(r.order.status) &&
        f[4] == format_steps(r.order.executed, symbols.spec(*symbol).lot_size) &&
        f[5] == format_steps(r.order.qty, symbols.spec(*symbol).lot_size) &&
        f[6] == (r.order.type == OrderType::Market
                     ? std::string()
                     : format_steps(r.order.price, symbols.spec(*symbol).tick_size)) &&
        f[7] == r.order.client_order_id;
    if (!same && ++wrong <= 5) ADD_FAILURE() << "database row differs from the engine: " << line;
  }
  EXPECT_EQ(wrong, 0u);
  // Every trade once, ids 1..N with no gap, and each order's executed quantity is the sum
  // of its trades on either side.
  EXPECT_EQ(pg.psql("SELECT count(*), count(DISTINCT trade_id), coalesce(min(trade_id), 0), "
                    "coalesce(max(trade_id), 0) FROM trades"),
            std::to_string(engine.trade_count()) + "|" + std::to_string(engine.trade_count()) +
                "|" + (engine.trade_count() > 0 ? "1" : "0") + "|" +
                std::to_string(engine.trade_count()));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders o WHERE o.executed_qty <> coalesce((SELECT "
                    "sum(qty) FROM trades t WHERE t.maker_order_id = o.order_id OR "
                    "t.taker_order_id = o.order_id), 0)"),
            "0");
  // Every balance, the fee account's included, as the engine has it (an absent row is a
  // zero balance), and each the sum of its ledger rows.
  std::map<std::pair<std::uint64_t, std::string>, std::string> rows_of;
  for (const std::string& line :
       split(pg.psql("SELECT account_id, asset, free, locked FROM balances"), '\n')) {
    if (line.empty()) continue;
    const auto f = split(line, '|');
    ASSERT_EQ(f.size(), 4u) << line;
    rows_of[{std::stoull(f[0]), f[1]}] = f[2] + "|" + f[3];
  }
  std::size_t differ = 0;
  for (std::uint64_t account = 0; account <= engine.account_count(); ++account) {
    for (AssetId a = 0; a < engine.assets().size(); ++a) {
      const Decimal unit{1, engine.asset_decimals(a)};
      const Balance b = engine.balance(AccountId{account}, a);
      const std::string want = format_steps(b.free, unit) + "|" + format_steps(b.locked, unit);
      const auto it = rows_of.find({account, engine.assets()[a]});
      const std::string got =
          it != rows_of.end() ? it->second : format_steps(0, unit) + "|" + format_steps(0, unit);
      if (got != want && ++differ <= 5) {
        ADD_FAILURE() << "balance of account " << account << " " << engine.assets()[a]
                      << ": database " << got << ", engine " << want;
      }
    }
  }
  EXPECT_EQ(differ, 0u);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM balances b FULL JOIN (SELECT account_id, asset, "
                    "sum(delta_free) AS free, sum(delta_locked) AS locked FROM ledger GROUP BY "
                    "account_id, asset) l USING (account_id, asset) WHERE b.free IS DISTINCT "
                    "FROM l.free OR b.locked IS DISTINCT FROM l.locked"),
            "0");
}

double metric(const SpotdProcess& spotd, const std::string& name) {
  const std::string text = HttpClient(spotd.admin_port()).request(http::verb::get, "/metrics").body;
  const std::size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

}  // namespace spot::test
