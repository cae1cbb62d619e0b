#include "spot/app/daemon.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "spot/admin/admin_routes.h"
#include "spot/app/matching_loop.h"
#include "spot/engine/engine.h"
#include "spot/journal/file_system.h"
#include "spot/journal/journal.h"
#include "spot/journal/recovery.h"
#include "spot/journal/snapshot.h"
#include "spot/metrics/metrics.h"
#include "spot/net/api.h"
#include "spot/net/http_server.h"
#include "spot/net/log.h"
#include "spot/net/tcp_server.h"

namespace spot {

namespace asio = boost::asio;

namespace {

void write_ports_file(const std::string& path, std::uint16_t http, std::uint16_t tcp,
                      std::uint16_t admin) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "{\"http\":" << http << ",\"tcp\":" << tcp << ",\"admin\":" << admin << "}\n";
  }
  std::filesystem::rename(tmp, path);
}

HttpLimits http_limits(const Config::Http& c) {
  HttpLimits l;
  l.max_header_bytes = c.max_header_bytes;
  l.max_body_bytes = c.max_body_bytes;
  l.max_connections = c.max_connections;
  l.max_inflight_per_connection = c.max_inflight_per_connection;
  l.read_timeout_ms = c.read_timeout_ms;
  l.write_timeout_ms = c.write_timeout_ms;
  return l;
}

}  // namespace

namespace {

EngineLimits engine_limits(const Config& config) {
  EngineLimits limits;
  limits.order_history = config.engine.order_history;
  limits.max_open_orders_per_account = config.engine.max_open_orders_per_account;
  limits.book_capacity =
      BookCapacity{config.engine.book_order_capacity, config.engine.book_level_capacity};
  return limits;
}

std::optional<RecoveredEngine> recover_state(const Config& config, FileSystem& fs,
                                             std::string* error) {
  return recover_engine(fs, config.journal.dir, config.symbols, engine_limits(config), error);
}

}  // namespace

int replay_journal_only(const Config& config, FileSystem& fs) {
  std::string error;
  const auto r = recover_state(config, fs, &error);
  if (!r) {
    std::fprintf(stderr, "spotd: journal replay failed: %s\n", error.c_str());
    return 1;
  }
  std::printf(
      "{\"snapshotSeq\":%llu,\"records\":%llu,\"stateHash\":\"%016llx\",\"truncatedBytes\":%llu}\n",
      static_cast<unsigned long long>(r->snapshot_seq), static_cast<unsigned long long>(r->records),
      static_cast<unsigned long long>(r->engine->state_hash()),
      static_cast<unsigned long long>(r->truncated_bytes));
  return 0;
}

int run_daemon(const Config& config, FileSystem& fs) {
  log::init(config.log.level);
  Metrics metrics(kVersion);
  // The network side validates against the symbol list only; the engine itself comes
  // from recovery below and belongs to the matching thread.
  const Matcher symbols(config.symbols, BookCapacity{16, 16});
  RingOrderQueue queue(config.engine.queue_capacity);
  AccountDirectory accounts;
  const Clock& clock = SystemClock::instance();
  RateLimiter limiter(config.limits.orders_per_second_per_account, config.limits.burst_per_account,
                      clock);
  Intake intake(queue, accounts, limiter, metrics, clock);

  asio::io_context ioc(static_cast<int>(config.engine.io_threads));
  ApiHandler api(intake, symbols);
  AdminHandler admin(intake, metrics, config.admin.token);

  std::unique_ptr<HttpServer> http_server;
  std::unique_ptr<HttpServer> admin_server;
  std::unique_ptr<TcpServer> tcp_server;
  try {
    http_server = std::make_unique<HttpServer>(
        ioc, config.http.address, config.http.port, http_limits(config.http), api,
        &metrics.connections(false), [&intake] { return intake.draining(); });
    HttpLimits admin_limits = http_limits(config.http);
    admin_limits.max_connections = 64;
    admin_server = std::make_unique<HttpServer>(ioc, config.admin.address, config.admin.port,
                                                admin_limits, admin, nullptr, [] { return false; });
    tcp_server =
        std::make_unique<TcpServer>(ioc, config.tcp, intake, symbols, &metrics.connections(true));
  } catch (const std::exception& e) {
    log::error("cannot listen", {}, {{"error", e.what()}});
    std::fprintf(stderr, "spotd: cannot listen: %s\n", e.what());
    return 1;
  }

  // Listen at once; until the journal is replayed, the API answers 503 "not ready"
  // and /readyz reports "starting".
  asio::signal_set signals(ioc, SIGTERM, SIGINT);
  http_server->start();
  admin_server->start();
  tcp_server->start();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < config.engine.io_threads; ++i)
    threads.emplace_back([&ioc] { ioc.run(); });
  auto stop_io = [&] {
    ioc.stop();
    for (auto& t : threads) t.join();
  };

  std::unique_ptr<Engine> engine;
  std::unique_ptr<JournalWriter> journal;
  std::unique_ptr<Snapshotter> snapshots;
  std::uint64_t next_seq = 1;
  if (config.journal.dir.empty()) {
    log::warn("journal disabled (journal.dir is empty): acknowledged orders are NOT durable");
    engine = std::make_unique<Engine>(config.symbols, engine_limits(config));
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    std::string error;
    auto recovered = recover_state(config, fs, &error);
    if (!recovered) {
      log::error("journal recovery failed", {}, {{"error", error}});
      std::fprintf(stderr, "spotd: journal recovery failed: %s\n", error.c_str());
      stop_io();
      return 1;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    metrics.journal_replayed(static_cast<double>(recovered->records), seconds);
    if (!recovered->warning.empty())
      log::warn("snapshot skipped", {}, {{"detail", recovered->warning}});
    if (recovered->truncated_bytes > 0) {
      log::warn("journal: torn tail truncated", {},
                {{"bytes", std::to_string(recovered->truncated_bytes)}});
    }
    log::info("journal replayed", {},
              {{"snapshot_seq", std::to_string(recovered->snapshot_seq)},
               {"records", std::to_string(recovered->records)},
               {"seconds", std::to_string(seconds)},
               {"dir", config.journal.dir}});
    engine = std::move(recovered->engine);
    next_seq = recovered->next_seq;
    JournalOptions options;
    options.dir = config.journal.dir;
    options.segment_bytes = config.journal.segment_bytes;
    options.max_batch_entries = config.journal.max_batch_entries;
    options.max_pending_entries = config.journal.max_pending_entries;
    journal = std::make_unique<JournalWriter>(fs, options, next_seq, &metrics);
    journal->start();
    if (config.snapshot.interval_ms > 0) {
      SnapshotterOptions so;
      so.dir = config.journal.dir;
      so.symbols = config.symbols;
      so.limits = engine_limits(config);
      so.interval_ms = config.snapshot.interval_ms;
      so.follow_ms = config.snapshot.follow_ms;
      so.keep = config.snapshot.keep;
      snapshots = std::make_unique<Snapshotter>(
          fs, so, [j = journal.get()] { return j->durable_seq(); }, &metrics,
          [](const std::string& error) {
            log::error("snapshot failed; retrying at the next interval", {}, {{"error", error}});
          });
      snapshots->start();
    }
  }
  engine->for_each_account(
      [&accounts](AccountId id, const std::string& key_hash) { accounts.add(key_hash, id); });

  std::atomic<bool> journal_failure_logged{false};
  MatchingLoop loop(
      *engine, queue, metrics, clock, config.engine.batch_max,
      [&tcp_server](const std::vector<MakerFill>& fills) { tcp_server->notify_maker_fills(fills); },
      journal.get(),
      [&] {
        // Fail closed: stop taking orders; never acknowledge what is not durable.
        intake.set_ready(false);
        metrics.ready(false);
        if (!journal_failure_logged.exchange(true)) {
          log::error(
              "journal write failed: spotd stops acknowledging and is unready until restarted");
        }
      });
  loop.start();
  if (!config.ports_file.empty()) {
    write_ports_file(config.ports_file, http_server->port(), tcp_server->port(),
                     admin_server->port());
  }
  intake.set_ready(true);
  metrics.ready(true);
  log::info("spotd ready", {},
            {{"version", kVersion},
             {"http_port", std::to_string(http_server->port())},
             {"tcp_port", std::to_string(tcp_server->port())},
             {"admin_port", std::to_string(admin_server->port())},
             {"symbols", std::to_string(config.symbols.size())}});

  // SIGTERM/SIGINT: stop accepting, answer what is in flight, then stop, all within
  // shutdown.drain_timeout_ms.
  asio::steady_timer drain_timer(ioc);
  std::chrono::steady_clock::time_point drain_deadline;
  std::function<void()> poll_drain = [&] {
    const bool idle = intake.inflight() == 0;
    if (idle || std::chrono::steady_clock::now() >= drain_deadline) {
      if (!idle) {
        log::warn("drain deadline passed with requests in flight", {},
                  {{"inflight", std::to_string(intake.inflight())}});
      }
      log::info("spotd stopping");
      ioc.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(5));
    drain_timer.async_wait([&](const boost::system::error_code&) { poll_drain(); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::info("signal received, draining", {}, {{"signal", std::to_string(signo)}});
    intake.start_draining();
    metrics.ready(false);
    http_server->stop();
    tcp_server->stop();
    drain_deadline = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(config.shutdown.drain_timeout_ms);
    poll_drain();
  });

  for (auto& t : threads) t.join();
  loop.stop();
  if (journal) {
    if (snapshots) snapshots->stop();
    journal->stop();
    // A clean stop leaves a snapshot of everything, so the next start replays nothing;
    // but only of an engine the journal holds entirely: never after a journal failure
    // or a refusal, when the engine may be ahead of it.
    const std::uint64_t last_seq = journal->durable_seq();
    if (!journal->failed() && !loop.halted() && journal->last_seq() == last_seq) {
      const auto t0 = std::chrono::steady_clock::now();
      std::string state;
      engine->serialize(state);
      std::string error;
      if (write_snapshot(fs, config.journal.dir, last_seq, state, config.snapshot.keep, &error)) {
        log::info(
            "snapshot written", {},
            {{"last_seq", std::to_string(last_seq)},
             {"bytes", std::to_string(state.size())},
             {"seconds",
              std::to_string(
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count())}});
      } else {
        log::error("snapshot at shutdown failed", {}, {{"error", error}});
      }
    } else {
      log::warn("no snapshot at shutdown: the journal failed; the next start replays it");
    }
  }
  log::info("spotd stopped");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace spot
