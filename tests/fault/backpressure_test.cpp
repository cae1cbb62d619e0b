// The engine never runs ahead of the journal. Sixty connections pipeline crossing
// GTC orders into a spotd whose journal is slow (every fdatasync sleeps) and may hold
// only a few pending entries; spotd is stopped with SIGTERM and restarted, loaded
// again and killed with SIGKILL, and restarted once more. Every reply a client got
// with 201 must then be exactly what a replay of the journal says (order id, client
// id, status, executed quantity, every fill with its price, quantity and trade id),
// every acknowledged order must be there after the restart, and the restarted
// engine's state hash must equal the replay's. Label `fault`.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "../integration/spotd_process.h"
#include "spot/app/config.h"
#include "spot/core/decimal.h"
#include "spot/engine/engine.h"
#include "spot/engine/symbol.h"
#include "spot/journal/file_system.h"
#include "spot/journal/journal.h"
#include "spot/proto/http_json.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

constexpr std::uint64_t kSeed = 20261201;
constexpr int kConnections = 60;
constexpr int kWindow = 16;  // requests pipelined per connection before reading replies

struct Ack {
  std::string client_order_id;
  std::string api_key;
  json body;
};

struct LoadResult {
  std::vector<Ack> acks;       // 201s
  std::size_t overloaded = 0;  // 503 -1016 "overloaded": the order queue was full
  std::size_t other = 0;       // anything else (503 while draining, ...)
};

// One connection: pipelines kWindow crossing orders, reads their replies, repeats
// until `stop` or the server goes away.
void connection(std::uint16_t port, const std::string& key, const std::string& tag,
                std::uint64_t seed, const std::atomic<bool>& stop, LoadResult& out,
                std::mutex& out_mutex) {
  std::optional<HttpClient> client;
  try {
    client.emplace(port);
  } catch (const std::exception&) {
    return;  // spotd is already going away
  }
  std::mt19937_64 rng(seed);
  LoadResult mine;
  for (int round = 0; !stop.load(); ++round) {
    std::string bytes;
    std::vector<std::string> ids;
    for (int i = 0; i < kWindow; ++i) {
      const bool buy = rng() % 2 == 0;
      // Prices straddle 100.00 so that buys and sells keep crossing.
      const int ticks = 10'000 + (buy ? 1 : -1) * static_cast<int>(rng() % 6);
      const std::string price = format_steps(ticks, Decimal{1, 2});
      const std::string qty = format_steps(1 + static_cast<std::int64_t>(rng() % 5), {1, 3});
      ids.push_back(tag + "-" + std::to_string(round) + "-" + std::to_string(i));
      const std::string body =
          R"({"symbol":"BTC-USDT","side":")" + std::string(buy ? "BUY" : "SELL") +
          R"(","type":"LIMIT","timeInForce":"GTC","quantity":")" + qty + R"(","price":")" + price +
          R"(","clientOrderId":")" + ids.back() + "\"}";
      bytes +=
          "POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + key +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + body;
    }
    if (!client->try_write(bytes)) break;
    bool broken = false;
    for (int i = 0; i < kWindow && !broken; ++i) {
      const auto res = client->try_read();
      if (!res) {
        broken = true;
        break;
      }
      const auto j = json::parse(res->body, nullptr, false);
      if (res->status == 201) {
        mine.acks.push_back({ids[static_cast<std::size_t>(i)], key, j});
      } else if (res->status == 503 && j.is_object() && j.value("code", 0) == -1016 &&
                 j.value("msg", "").rfind("overloaded", 0) == 0) {
        ++mine.overloaded;
      } else {
        ++mine.other;
      }
    }
    if (broken) break;
  }
  std::lock_guard<std::mutex> lock(out_mutex);
  out.acks.insert(out.acks.end(), mine.acks.begin(), mine.acks.end());
  out.overloaded += mine.overloaded;
  out.other += mine.other;
}

// Loads spotd from kConnections connections until `end` (SIGTERM or SIGKILL) is done.
LoadResult load_then(SpotdProcess& spotd, const std::vector<std::string>& keys, int phase,
                     std::uint64_t seed, const std::function<void()>& end) {
  LoadResult result;
  std::mutex mutex;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      connection(spotd.http_port(), keys[static_cast<std::size_t>(c) % keys.size()],
                 "p" + std::to_string(phase) + "c" + std::to_string(c), seed * 1000 + c, stop,
                 result, mutex);
    });
  }
  std::mt19937_64 rng(seed);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200 + rng() % 800));
  end();
  stop = true;
  for (auto& t : threads) t.join();
  return result;
}

struct ReplayedOrder {
  std::string client_order_id;
  std::string status;
  std::string executed;
  json fills = json::array();
};

// Replays the whole journal (it is one file per process start, never cut by a
// snapshot here) through a fresh engine, as recovery does, and keeps each new order's
// reply in the form the HTTP API renders it.
std::map<std::uint64_t, ReplayedOrder> replay(const Config& config, const std::string& dir,
                                              std::uint64_t* state_hash) {
  Engine engine(config.symbols, config.engine.limits);
  const SymbolSpec& spec = config.symbols.at(0);
  std::map<std::uint64_t, ReplayedOrder> orders;
  PosixFileSystem fs;
  const RecoveryResult r = recover_journal(fs, dir, [&](const JournalRecord& record) {
    // With the record's time, as recovery does: the market data is in the hash.
    const CommandBody& command = record.command;
    const Reply reply = engine.execute(command, record.request_id, record.time_ns);
    if (!std::holds_alternative<SubmitOrder>(command)) return;
    const auto& o = std::get<OrderReply>(reply);
    if (o.reject != RejectReason::None || o.replayed) return;
    ReplayedOrder& out = orders[o.order.id.value];
    out.client_order_id = o.order.client_order_id;
    out.status = std::string(to_string(o.order.status));
    out.executed = format_steps(o.order.executed, spec.lot_size);
    // The fee each fill paid, in the asset the order receives.
    const bool buys = o.order.side == Side::Buy;
    const std::string fee_asset = buys ? base_asset_of(spec) : quote_asset_of(spec);
    const int fee_decimals = buys ? spec.base_decimals : spec.quote_decimals;
    for (const Fill& f : o.fills) {
      out.fills.push_back({{"price", format_steps(f.price, spec.tick_size)},
                           {"qty", format_steps(f.qty, spec.lot_size)},
                           {"commission", proto::http::format_units(f.fee, fee_decimals)},
                           {"commissionAsset", fee_asset},
                           {"tradeId", f.trade_id.value}});
    }
  });
  EXPECT_TRUE(r.status.ok()) << r.status.to_string();
  *state_hash = engine.state_hash();
  return orders;
}

TEST(Fault, SlowJournalBackpressureNeverAcknowledgesWhatReplayDoesNotSay) {
  std::printf("seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::string templ = (std::filesystem::temp_directory_path() / "spotd-bp-XXXXXX").string();
  const std::string work = mkdtemp(templ.data());
  const std::string journal = work + "/journal";
  setenv("SPOT_TEST_FSYNC_DELAY_US", "2000", 1);
  const std::vector<std::string> slow_args = {
      "--set", "journal.max_pending_entries=8",
      "--set", "engine.queue_capacity=256",
      "--set", "snapshot.interval_ms=0",
      "--set", "log.level=info",
      "--set", "limits.orders_per_second_per_account=1000000",
      "--set", "limits.burst_per_account=1000000"};
  const char* binary = std::getenv("SPOT_FAULT_SPOTD");  // to try another build
  const std::string slow = binary != nullptr ? binary : SLOW_JOURNAL_SPOTD_PATH;

  std::vector<std::string> keys;
  std::vector<Ack> acks;
  std::size_t overloaded = 0;
  std::string config_path;
  {
    SpotdProcess first(slow_args, "", journal, slow);
    for (int i = 0; i < 4; ++i) keys.push_back(first.create_account("bp" + std::to_string(i)));
    const LoadResult r = load_then(first, keys, 1, kSeed, [&] {
      EXPECT_EQ(first.terminate(std::chrono::seconds(20)), 0) << first.log();
    });
    acks = r.acks;
    overloaded += r.overloaded;
    EXPECT_NE(first.log().find("snapshot written"), std::string::npos);
  }
  {
    SpotdProcess second(slow_args, "", journal, slow);
    config_path = second.config_path();
    const LoadResult r = load_then(second, keys, 2, kSeed + 1, [&] {
      kill(second.pid(), SIGKILL);
      EXPECT_EQ(second.wait_exit(std::chrono::seconds(10)), -SIGKILL);
    });
    acks.insert(acks.end(), r.acks.begin(), r.acks.end());
    overloaded += r.overloaded;
    std::filesystem::copy_file(config_path, work + "/spotd.toml");
  }
  unsetenv("SPOT_TEST_FSYNC_DELAY_US");
  std::printf("%zu orders acknowledged, %zu turned away as overloaded\n", acks.size(), overloaded);
  EXPECT_GT(acks.size(), 200u) << "too little load reached the journal";
  // The journal was the bottleneck: the gateway turned orders away rather than the engine
  // running ahead of it.
  EXPECT_GT(overloaded, 0u);

  Config config;
  ASSERT_FALSE(load_config_file(config, work + "/spotd.toml").has_value());
  std::uint64_t replay_hash = 0;
  const auto replayed = replay(config, journal, &replay_hash);
  std::size_t wrong = 0;
  for (const Ack& ack : acks) {
    const std::uint64_t id = ack.body.value("orderId", 0ull);
    const auto it = replayed.find(id);
    const bool same = it != replayed.end() && it->second.client_order_id == ack.client_order_id &&
                      ack.body.value("clientOrderId", "") == ack.client_order_id &&
                      it->second.status == ack.body.value("status", "") &&
                      it->second.executed == ack.body.value("executedQty", "") &&
                      it->second.fills == ack.body.value("fills", json::array());
    if (!same && ++wrong <= 5) {
      ADD_FAILURE() << "acknowledged " << ack.body.dump() << " for " << ack.client_order_id
                    << ", but the journal replays "
                    << (it == replayed.end()
                            ? std::string("no such order")
                            : it->second.client_order_id + " " + it->second.status + " " +
                                  it->second.executed + " " + it->second.fills.dump());
    }
  }
  EXPECT_EQ(wrong, 0u) << "of " << acks.size() << " acknowledged orders";

  SpotdProcess restarted({}, "", journal);
  HttpClient c(restarted.http_port());
  std::size_t missing = 0;
  for (const Ack& ack : acks) {
    const std::string id = std::to_string(ack.body.value("orderId", 0ull));
    const auto r =
        c.request(http::verb::get, "/api/v1/orders/" + id, "", {{"X-API-Key", ack.api_key}});
    if (r.status != 200 ||
        json::parse(r.body, nullptr, false).value("clientOrderId", "") != ack.client_order_id) {
      ++missing;
    }
  }
  EXPECT_EQ(missing, 0u) << "of " << acks.size() << " acknowledged orders";
  const auto state = HttpClient(restarted.admin_port())
                         .request(http::verb::get, "/admin/v1/state", "",
                                  {{"Authorization", "Bearer " + restarted.admin_token()}});
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(replay_hash));
  EXPECT_EQ(json_field(state.body, "stateHash"), hash);
  std::filesystem::remove_all(work);
}

}  // namespace
}  // namespace spot::test
