// Durability of a real spotd: restart on its journal after SIGKILL (repeatedly, under
// load), and fail-closed on a full disk. Labels: `integration` for the restart test,
// `fault` for the others.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "../integration/spotd_process.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;
namespace fs = std::filesystem;

std::string temp_dir() {
  std::string templ = (fs::temp_directory_path() / "spotd-fault-XXXXXX").string();
  return mkdtemp(templ.data());
}

std::string order_body(const std::string& side, const std::string& qty, const std::string& price,
                       const std::string& extra = "") {
  return R"({"symbol":"BTC-USDT","side":")" + side + R"(","type":"LIMIT","quantity":")" + qty +
         R"(","price":")" + price + "\"" + extra + "}";
}

std::string admin_state(SpotdProcess& spotd) {
  return HttpClient(spotd.admin_port())
      .request(http::verb::get, "/admin/v1/state", "",
               {{"Authorization", "Bearer " + spotd.admin_token()}})
      .body;
}

void sigkill(SpotdProcess& spotd) {
  kill(spotd.pid(), SIGKILL);
  EXPECT_EQ(spotd.wait_exit(std::chrono::seconds(10)), -SIGKILL);
}

std::string account_balances(SpotdProcess& spotd, const std::string& key) {
  return HttpClient(spotd.http_port())
      .request(http::verb::get, "/api/v1/account", "", {{"X-API-Key", key}})
      .body;
}

TEST(Recovery, RestartAfterSigkillRebuildsOrdersAccountsAndIds) {
  const std::string journal = temp_dir() + "/journal";
  std::string key;
  std::string other;
  std::vector<std::string> ids;
  std::map<std::string, std::string> bodies;
  std::string state;
  std::string alice_balances;
  std::string bob_balances;
  {
    SpotdProcess first({}, "", journal);
    key = first.create_account("alice");
    other = first.create_account("bob");
    HttpClient c(first.http_port());
    auto post = [&](const std::string& k, const std::string& body) {
      const auto r = c.request(http::verb::post, "/api/v1/orders", body, {{"X-API-Key", k}});
      EXPECT_TRUE(r.status == 201) << r.body;
      return json_field(r.body, "orderId");
    };
    ids.push_back(post(key, order_body("SELL", "2", "100.5", R"(,"clientOrderId":"keep-1")")));
    ids.push_back(post(key, order_body("SELL", "1", "101")));
    ids.push_back(post(other, order_body("BUY", "1.5", "100.5")));  // partial fill of the first
    ids.push_back(post(key, order_body("BUY", "3", "90")));
    EXPECT_EQ(
        c.request(http::verb::delete_, "/api/v1/orders/" + ids.back(), "", {{"X-API-Key", key}})
            .status,
        200u);
    for (const auto& id : {ids[0], ids[1], ids[3]}) {
      bodies[id] =
          c.request(http::verb::get, "/api/v1/orders/" + id, "", {{"X-API-Key", key}}).body;
    }
    // A withdrawal too, so that every kind of balance change is in the journal.
    HttpClient admin(first.admin_port());
    EXPECT_EQ(admin
                  .request(http::verb::post, "/admin/v1/accounts/2/withdrawals",
                           R"({"asset":"USDT","amount":"12.345","reference":"out-1"})",
                           {{"Authorization", "Bearer " + first.admin_token()}})
                  .status,
              201u);
    state = admin_state(first);
    alice_balances = account_balances(first, key);
    bob_balances = account_balances(first, other);
    sigkill(first);
  }
  SpotdProcess second({}, "", journal);
  EXPECT_EQ(admin_state(second), state);
  // Every balance exactly: alice sold 1.5 BTC at 100.5 and still has 0.5 + 1 BTC locked
  // in her resting sells; bob bought 1.5 and withdrew 12.345 USDT.
  EXPECT_EQ(account_balances(second, key), alice_balances);
  EXPECT_EQ(account_balances(second, other), bob_balances);
  EXPECT_NE(alice_balances.find(R"({"asset":"BTC","free":"99997.00000000","locked":"1.50000000"})"),
            std::string::npos)
      << alice_balances;
  EXPECT_NE(
      bob_balances.find(R"({"asset":"USDT","free":"99999836.90500000","locked":"0.00000000"})"),
      std::string::npos)
      << bob_balances;
  HttpClient c(second.http_port());
  for (const auto& [id, body] : bodies) {
    const auto r = c.request(http::verb::get, "/api/v1/orders/" + id, "", {{"X-API-Key", key}});
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, body);
  }
  EXPECT_EQ(json_field(bodies[ids[0]], "status"), "PARTIALLY_FILLED");
  // Idempotency survives the restart, and new ids continue the sequence.
  const auto again = c.request(http::verb::post, "/api/v1/orders",
                               order_body("SELL", "2", "100.5", R"(,"clientOrderId":"keep-1")"),
                               {{"X-API-Key", key}});
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(json_field(again.body, "orderId"), ids[0]);
  const auto next = c.request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", "50"),
                              {{"X-API-Key", key}});
  EXPECT_EQ(json_field(next.body, "orderId"), std::to_string(std::stoull(ids.back()) + 1));
  EXPECT_NE(second.log().find("journal replayed"), std::string::npos);
}

bool has_snapshot(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".snap") return true;
  }
  return false;
}

TEST(Recovery, CleanStopWritesASnapshotAndRestartReplaysNothing) {
  const std::string journal = temp_dir() + "/journal";
  std::string key;
  std::string state;
  {
    SpotdProcess first({"--set", "snapshot.interval_ms=0"}, "", journal);
    key = first.create_account();
    HttpClient c(first.http_port());
    for (const char* price : {"10", "11", "12"}) {
      EXPECT_EQ(c.request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", price),
                          {{"X-API-Key", key}})
                    .status,
                201u);
    }
    state = admin_state(first);
    EXPECT_FALSE(has_snapshot(journal));
    EXPECT_EQ(first.terminate(), 0);
    EXPECT_NE(first.log().find("snapshot written"), std::string::npos);
  }
  EXPECT_TRUE(has_snapshot(journal));
  SpotdProcess second({}, "", journal);
  EXPECT_EQ(admin_state(second), state);
  EXPECT_NE(second.log().find(R"("records":"0")"), std::string::npos) << second.log();
  HttpClient c(second.http_port());
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/openOrders", "", {{"X-API-Key", key}})
                    .body.find("12.00") != std::string::npos,
            true);
}

TEST(Recovery, PeriodicSnapshotsThenSigkill) {
  const std::string journal = temp_dir() + "/journal";
  std::string state;
  {
    SpotdProcess first({"--set", "snapshot.interval_ms=100"}, "", journal);
    const std::string key = first.create_account();
    HttpClient c(first.http_port());
    for (int i = 0; i < 50; ++i) {
      c.request(http::verb::post, "/api/v1/orders",
                order_body(i % 2 ? "BUY" : "SELL", "1", i % 2 ? "99" : "99.5"),
                {{"X-API-Key", key}});
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!has_snapshot(journal) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(has_snapshot(journal));
    // More orders after the snapshot: they come back from the journal tail.
    for (int i = 0; i < 10; ++i) {
      c.request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", "50"),
                {{"X-API-Key", key}});
    }
    // The snapshot thread reports its snapshot just after the file is in place: the
    // metrics are read until they show it.
    std::string metrics;
    const auto reported = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
      metrics = HttpClient(first.admin_port()).request(http::verb::get, "/metrics").body;
      if (metrics.find("spot_snapshot_age_seconds -1") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < reported);
    EXPECT_NE(metrics.find("spot_snapshot_serialize_seconds "), std::string::npos);
    EXPECT_EQ(metrics.find("spot_snapshot_age_seconds -1"), std::string::npos);
    state = admin_state(first);
    sigkill(first);
  }
  SpotdProcess second({}, "", journal);
  EXPECT_EQ(admin_state(second), state);
}

// The spotd setting for a journal written by a thread of its own, or by the matching
// thread (journal.writer_thread).
std::string writer_thread_setting(bool writer_thread) {
  return std::string("journal.writer_thread=") + (writer_thread ? "true" : "false");
}

// Three rounds of HTTP load, each cut short by SIGKILL at a random moment; then every
// order ever acknowledged must be there, and the state must equal a replay's.
// `writer_thread`: journal.writer_thread.
void sigkill_under_load_loses_nothing(bool writer_thread) {
  const std::string work = temp_dir();
  const std::string journal = work + "/journal";
  std::mt19937_64 rng(20261125);  // reproducible kill moments
  std::string key;
  std::vector<std::string> acked_all;
  for (int round = 0; round < 3; ++round) {
    SpotdProcess spotd(
        {"--set", "limits.orders_per_second_per_account=1000000", "--set",
         "limits.burst_per_account=1000000", "--set", writer_thread_setting(writer_thread)},
        "", journal);
    if (round == 0) key = spotd.create_account("load");
    const std::string acks = work + "/acks-" + std::to_string(round) + ".txt";
    std::thread bench([&] {
      run_program({SPOT_BENCH_PATH, "http", "--port", std::to_string(spotd.http_port()),
                   "--api-key", key, "--rate", "3000", "--duration", "4", "--connections", "8",
                   "--prefill", "20", "--client-id-offset",
                   std::to_string((round + 1) * 1'000'000'000ull), "--acks-out", acks});
    });
    const auto kill_after = std::chrono::milliseconds(800 + rng() % 2000);
    std::this_thread::sleep_for(kill_after);
    sigkill(spotd);
    bench.join();
    std::ifstream in(acks);
    std::string id;
    std::size_t n = 0;
    while (std::getline(in, id)) {
      if (!id.empty()) {
        acked_all.push_back(id);
        ++n;
      }
    }
    EXPECT_GT(n, 0u) << "round " << round << ": nothing was acknowledged before the kill";
  }
  // Every order ever acknowledged is there after the last restart.
  SpotdProcess last({}, "", journal);
  HttpClient c(last.http_port());
  std::size_t missing = 0;
  for (const std::string& id : acked_all) {
    const auto r = c.request(http::verb::get, "/api/v1/orders/" + id, "", {{"X-API-Key", key}});
    if (r.status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked_all.size() << " acknowledged orders";
  // The recovered state equals a clean replay of the same journal.
  const std::string state = admin_state(last);
  EXPECT_EQ(last.terminate(), 0);
  const auto replay =
      run_spotd({"--replay-only", "--set", "journal.dir=" + journal},
                "[[symbols]]\nname = \"BTC-USDT\"\ntick_size = \"0.01\"\nlot_size = \"0.001\"\n"
                "min_price = \"0.01\"\nmax_price = \"1000000.00\"\nmin_qty = \"0.001\"\nmax_qty = "
                "\"1000.000\"\n"
                "[[symbols]]\nname = \"ETH-USDT\"\ntick_size = \"0.05\"\nlot_size = \"0.01\"\n");
  ASSERT_EQ(replay.status, 0) << replay.output;
  EXPECT_EQ(json_field(replay.output, "stateHash"), json_field(state, "stateHash"))
      << replay.output << state;
  fs::remove_all(work);
}

TEST(Fault, RepeatedSigkillUnderLoadLosesNoAcknowledgedOrder) {
  sigkill_under_load_loses_nothing(true);
}

// The matching thread writes and fsyncs each batch itself (no journal thread).
TEST(Fault, RepeatedSigkillUnderLoadLosesNoAcknowledgedOrderWithoutAJournalThread) {
  sigkill_under_load_loses_nothing(false);
}

// A journal on a 256 KiB tmpfs fills up under orders: spotd fails closed, says why, and
// every order it acknowledged is in the journal. `writer_thread`: journal.writer_thread.
void full_disk_fails_closed(bool writer_thread) {
  const std::string mount_point = temp_dir();
  ASSERT_EQ(mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k"), 0)
      << "mounting a small tmpfs needs root (scripts/test runs as root)";
  std::vector<std::string> created;
  std::string key;
  {
    SpotdProcess spotd({"--set", writer_thread_setting(writer_thread)}, "",
                       mount_point + "/journal");
    key = spotd.create_account("disk");
    HttpClient c(spotd.http_port());
    const std::string padding = R"(,"clientOrderId":")" + std::string(60, 'p');
    unsigned status = 201;
    for (int i = 0; i < 20000 && status == 201; ++i) {
      const auto r = c.request(http::verb::post, "/api/v1/orders",
                               order_body("BUY", "1", "10", padding + std::to_string(i) + "\""),
                               {{"X-API-Key", key}});
      status = r.status;
      if (status == 201) created.push_back(json_field(r.body, "orderId"));
    }
    EXPECT_EQ(status, 503u);
    EXPECT_GT(created.size(), 100u);
    HttpClient admin(spotd.admin_port());
    const auto readyz = admin.request(http::verb::get, "/readyz");
    EXPECT_EQ(readyz.status, 503u);
    // It says what failed, not "starting".
    EXPECT_EQ(
        readyz.body,
        R"({"cache":"none","mode":"embedded","reason":"journal: no_space","status":"failed"})");
    const std::string metrics = admin.request(http::verb::get, "/metrics").body;
    EXPECT_NE(metrics.find("spot_journal_failed 1"), std::string::npos);
    // A full disk is reported as one, not as a generic I/O error.
    EXPECT_NE(metrics.find(R"(spot_journal_failure_info{code="no_space"} 1)"), std::string::npos)
        << metrics;
    // Nothing is acknowledged any more.
    HttpClient fresh(spotd.http_port());
    EXPECT_EQ(fresh
                  .request(http::verb::post, "/api/v1/orders", order_body("BUY", "1", "10"),
                           {{"X-API-Key", key}})
                  .status,
              503u);
    EXPECT_NE(spotd.log().find("journal write failed"), std::string::npos);
    EXPECT_NE(spotd.log().find(R"("code":"no_space")"), std::string::npos) << spotd.log();
    sigkill(spotd);
  }
  // Every acknowledged order is in the journal: restart on a copy with room to spare.
  const std::string copy = temp_dir() + "/journal";
  fs::copy(mount_point + "/journal", copy);
  umount(mount_point.c_str());
  SpotdProcess restarted({}, "", copy);
  HttpClient c(restarted.http_port());
  std::size_t missing = 0;
  for (const auto& id : created) {
    if (c.request(http::verb::get, "/api/v1/orders/" + id, "", {{"X-API-Key", key}}).status != 200)
      ++missing;
  }
  EXPECT_EQ(missing, 0u);
}

TEST(Fault, FullDiskFailsClosed) { full_disk_fails_closed(true); }

TEST(Fault, FullDiskFailsClosedWithoutAJournalThread) { full_disk_fails_closed(false); }

}  // namespace
}  // namespace spot::test
