#include "spot/app/daemon.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "spot/admin/admin_routes.h"
#include "spot/app/matching_loop.h"
#include "spot/app/service_notify.h"
#include "spot/cache/cache_writer.h"
#include "spot/cache/read_path.h"
#include "spot/engine/engine.h"
#include "spot/gateway/account_directory.h"
#include "spot/gateway/fill_router.h"
#include "spot/gateway/gateway.h"
#include "spot/gateway/rate_limiter.h"
#include "spot/journal/file_system.h"
#include "spot/journal/journal.h"
#include "spot/journal/recovery.h"
#include "spot/journal/snapshot.h"
#include "spot/log/log.h"
#include "spot/metrics/metrics.h"
#include "spot/net/binance_api.h"
#include "spot/net/http_api.h"
#include "spot/net/http_server.h"
#include "spot/net/tcp_server.h"
#include "spot/store/dead_letter_spill.h"
#include "spot/store/dead_letters.h"
#include "spot/store/projector.h"

namespace spot {

namespace asio = boost::asio;

namespace {

// The server key: SPOTD_SECRET_KEY, else auth.secret_key_file, else none (*out null).
// An error names what is wrong, never the key.
std::optional<std::string> load_server_key(const Config& config,
                                           std::shared_ptr<const SecretBox>* out) {
  std::string text;
  std::string source;
  if (const char* env = std::getenv("SPOTD_SECRET_KEY"); env != nullptr && *env != '\0') {
    text = env;
    source = "SPOTD_SECRET_KEY";
  } else if (!config.auth.secret_key_file.empty()) {
    source = config.auth.secret_key_file;
    std::ifstream in(config.auth.secret_key_file);
    if (!in) return "cannot read " + source;
    std::getline(in, text);
  } else {
    return std::nullopt;
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  auto key = from_hex(text);
  if (!key || key->size() != SecretBox::kKeyBytes) {
    return source + " must hold 64 hex characters (32 bytes)";
  }
  *out = std::make_shared<const SecretBox>(std::move(*key));
  return std::nullopt;
}

Status recover_state(const Config& config, FileSystem& fs, RecoveredEngine* out) {
  return recover_engine(fs, config.journal.dir, config.symbols, config.engine.limits, out);
}

// What admits requests: the symbol table, the queue, accounts, rate limits, the
// gateway every protocol goes through, and the router of maker fills.
struct Admission {
  Admission(const Config& config, Metrics& metrics, const Clock& clock,
            std::shared_ptr<const SecretBox> box)
      : symbols(config.symbols),
        queue(config.engine.queue_capacity),
        accounts(config.limits.max_api_key_bytes, std::move(box)),
        limiter(config.limits.orders_per_second_per_account, config.limits.burst_per_account,
                clock),
        gateway(queue, accounts, limiter, metrics, clock) {}

  const SymbolTable symbols;
  RingOrderQueue queue;
  AccountDirectory accounts;
  RateLimiter limiter;
  Gateway gateway;
  FillRouter fills;
};

// The listeners (trader HTTP, binary TCP, admin) and the I/O threads that run them.
class Network {
 public:
  Network(const Config& config, Admission& admission, Metrics& metrics)
      : config_(config),
        ioc_(static_cast<int>(config.engine.io_threads)),
        api_(admission.gateway, admission.symbols, config.api),
        binance_(admission.gateway, admission.accounts, admission.symbols, SystemClock::instance(),
                 ioc_, config.api, config.limits.orders_per_second_per_account),
        admin_(admission.gateway, admission.accounts, admission.queue, metrics, config.admin),
        gateway_(admission.gateway),
        fills_(admission.fills),
        symbols_(admission.symbols),
        metrics_(metrics) {
    api_.set_v3(&binance_);
  }

  // Binds every port; false (logged) if one cannot be bound.
  bool listen() {
    try {
      auto draining = [this] { return gateway_.draining(); };
      http_ = std::make_unique<HttpServer>(ioc_, config_.http, api_, &metrics_,
                                           &metrics_.connections(false), draining);
      HttpOptions admin = config_.http;
      admin.address = config_.admin.address;
      admin.port = config_.admin.port;
      admin.max_connections = config_.admin.max_connections;
      admin_server_ = std::make_unique<HttpServer>(ioc_, admin, admin_, &metrics_, nullptr,
                                                   [] { return false; });
      tcp_ = std::make_unique<TcpServer>(ioc_, config_.tcp, gateway_, fills_, symbols_,
                                         &metrics_.connections(true));
      http_->set_evicted_counter(&metrics_.http_evicted());
      admin_server_->set_evicted_counter(&metrics_.admin_evicted());
      tcp_->set_evicted_counter(&metrics_.tcp_evicted());
    } catch (const std::exception& e) {
      log::error("cannot listen", {}, {{"error", e.what()}});
      std::fprintf(stderr, "spotd: cannot listen: %s\n", e.what());
      return false;
    }
    return true;
  }

  void start() {
    http_->start();
    admin_server_->start();
    tcp_->start();
    for (std::size_t i = 0; i < config_.engine.io_threads; ++i) {
      threads_.emplace_back([this] {
        log::set_component("net");
        ioc_.run();
      });
    }
  }

  // Stops accepting trader connections; open ones finish what they have.
  void stop_accepting() {
    http_->stop();
    tcp_->stop();
  }

  void stop() { ioc_.stop(); }
  void join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  asio::io_context& context() { return ioc_; }
  AdminHandler& admin() { return admin_; }
  ApiHandler& api() { return api_; }
  BinanceApi& binance() { return binance_; }

  void write_ports_file(const std::string& path) const {
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << "{\"http\":" << http_->port() << ",\"tcp\":" << tcp_->port()
          << ",\"admin\":" << admin_server_->port() << "}\n";
    }
    std::filesystem::rename(tmp, path);
  }

  void log_ready() const {
    log::info(
        "spotd ready", {},
        {{"version", kVersion},
         {"http_port", std::to_string(http_->port())},
         {"tcp_port", std::to_string(tcp_->port())},
         {"admin_port", std::to_string(admin_server_->port())},
         {"symbols", std::to_string(config_.symbols.size())},
         {"mode", config_.postgres.url.empty() ? "embedded" : "postgres"},
         {"postgres", config_.postgres.url.empty() ? std::string("none (embedded: journal only)")
                                                   : redact_password(config_.postgres.url)},
         {"cache", config_.redis.url.empty() ? "none" : "redis"},
         {"redis", config_.redis.url.empty() ? std::string("none (no cache)")
                                             : redact_redis_url(config_.redis.url)}});
  }

 private:
  const Config& config_;
  asio::io_context ioc_;
  ApiHandler api_;
  BinanceApi binance_;
  AdminHandler admin_;
  Gateway& gateway_;
  FillRouter& fills_;
  const SymbolTable& symbols_;
  Metrics& metrics_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpServer> admin_server_;
  std::unique_ptr<TcpServer> tcp_;
  std::vector<std::thread> threads_;
};

// The engine and what keeps it durable: recovered from the newest snapshot and the
// journal after it, then the journal writer and the snapshot thread.
struct DurableState {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<JournalWriter> journal;  // null: journal disabled
  std::unique_ptr<Snapshotter> snapshots;  // null: periodic snapshots disabled
  // With a database: the spill file (under the journal directory) of dead letters the
  // table could not take yet, and the DLQ thread. Declared before the projector, which
  // uses them, so that they outlive it.
  std::unique_ptr<DeadLetterSpill> spill;
  std::unique_ptr<DeadLetterQueue> dead_letters;
  std::unique_ptr<CacheWriter> cache;    // null: no cache; declared before the projector,
                                         // which tells it of each batch, so it outlives it
  std::unique_ptr<Projector> projector;  // null: embedded (no database)
  // With a database: reads of what engine memory no longer has. Declared after the
  // projector and the cache, whose progress it reads, so that it stops first.
  std::unique_ptr<ReadPath> reads;

  // The DLQ thread tells the projector when entries were settled: it stops first, then
  // the projector goes (whose thread may still notify the stopped queue, which is fine).
  ~DurableState() {
    if (dead_letters) dead_letters->stop();
  }
};

bool open_state(const Config& config, FileSystem& fs, Metrics& metrics, DurableState& state) {
  if (config.journal.dir.empty()) {
    log::warn("journal disabled (journal.dir is empty): acknowledged orders are NOT durable");
    state.engine = std::make_unique<Engine>(config.symbols, config.engine.limits);
    return true;
  }
  const auto t0 = std::chrono::steady_clock::now();
  RecoveredEngine recovered;
  const Status s = recover_state(config, fs, &recovered);
  if (!s.ok()) {
    log::error("journal recovery failed", {},
               {{"code", std::string(s.code_name())}, {"error", s.message()}});
    std::fprintf(stderr, "spotd: journal recovery failed: %s\n", s.message().c_str());
    return false;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics.journal_replayed(static_cast<double>(recovered.records), seconds);
  if (!recovered.warning.empty()) {
    log::warn("snapshot skipped", {}, {{"detail", recovered.warning}});
  }
  if (recovered.truncated_bytes > 0) {
    log::warn("journal: torn tail truncated", {},
              {{"bytes", std::to_string(recovered.truncated_bytes)}});
  }
  log::info("journal replayed", {},
            {{"snapshot_seq", std::to_string(recovered.snapshot_seq)},
             {"records", std::to_string(recovered.records)},
             {"seconds", std::to_string(seconds)},
             {"dir", config.journal.dir}});
  state.engine = std::move(recovered.engine);
  state.journal = std::make_unique<JournalWriter>(fs, config.journal, recovered.next_seq, &metrics);
  state.journal->start();
  if (!config.postgres.url.empty()) {
    ProjectorOptions po;
    po.postgres = config.postgres;
    po.journal_dir = config.journal.dir;
    po.symbols = config.symbols;
    po.limits = config.engine.limits;
    state.spill = std::make_unique<DeadLetterSpill>(fs, config.journal.dir);
    const Status spill = state.spill->open();
    if (!spill.ok()) {
      log::error("dead-letter spill file unreadable", {},
                 {{"code", std::string(spill.code_name())}, {"error", spill.message()}});
      std::fprintf(stderr, "spotd: dead-letter spill file unreadable (move it aside): %s\n",
                   spill.message().c_str());
      return false;
    }
    metrics.dlq_spilled(static_cast<double>(state.spill->size()));
    state.dead_letters =
        std::make_unique<DeadLetterQueue>(config.postgres, config.dlq, *state.spill, &metrics);
    // The projector writes dead letters with its checkpoint (or spills them); the DLQ
    // thread then refreshes the gauges, and tells it when an operator settled entries.
    state.projector = std::make_unique<Projector>(
        fs, std::move(po), [j = state.journal.get()] { return j->durable_seq(); }, &metrics,
        SystemClock::instance(), state.spill.get(),
        [dlq = state.dead_letters.get()](const std::vector<DeadLetter>&) { dlq->notify(); });
    state.dead_letters->start([p = state.projector.get()] { p->parked_changed(); });
    if (!config.redis.url.empty()) {
      state.cache = std::make_unique<CacheWriter>(config.redis, config.symbols, &metrics,
                                                  SystemClock::instance());
      state.cache->start();
      state.projector->set_listener(state.cache.get());
    }
    state.projector->start();
    state.reads = std::make_unique<ReadPath>(
        config.reads, config.postgres, state.cache ? &config.redis : nullptr, state.cache.get(),
        config.symbols, &metrics, SystemClock::instance(),
        [j = state.journal.get()] { return j->durable_seq(); },
        [p = state.projector.get()] { return p->committed_seq(); });
    state.reads->start();
  }
  if (config.snapshot.interval_ms > 0) {
    SnapshotterOptions so{
        config.snapshot, config.journal.dir, config.symbols, config.engine.limits, {}};
    // The journal the projector has not committed yet stays on disk.
    if (state.projector) so.hold_seq = [p = state.projector.get()] { return p->committed_seq(); };
    state.snapshots = std::make_unique<Snapshotter>(
        fs, so, [j = state.journal.get()] { return j->durable_seq(); }, &metrics,
        [](const Status& failure) {
          log::error("snapshot failed; retrying at the next interval", {},
                     {{"code", std::string(failure.code_name())}, {"error", failure.message()}});
        });
    state.snapshots->start();
  }
  return true;
}

// Once, when the journal fails closed (or refuses an entry because it is stopping,
// when failure() is still ok): what failed goes into the log as a code and a message.
void log_journal_failure(const JournalWriter& journal) {
  constexpr const char* kMessage =
      "journal write failed: spotd stops acknowledging and is unready until restarted";
  const Status failure = journal.failure();
  if (failure.ok()) {
    log::error(kMessage);
  } else {
    log::error(kMessage, {},
               {{"code", std::string(failure.code_name())}, {"error", failure.message()}});
  }
}

// After the matching loop has stopped: flushes the journal and, if the engine holds
// nothing the journal does not, leaves a snapshot of everything so that the next
// start replays nothing.
void close_state(const Config& config, FileSystem& fs, const MatchingLoop& loop,
                 DurableState& state) {
  if (!state.journal) return;
  if (state.snapshots) state.snapshots->stop();
  if (state.reads) state.reads->stop();
  state.journal->stop();
  std::uint64_t hold_seq = kNoHold;
  if (state.projector) {
    state.projector->stop(std::chrono::milliseconds(config.postgres.drain_timeout_ms));
    hold_seq = state.projector->committed_seq();
    log::info("projector stopped", {},
              {{"checkpoint", std::to_string(hold_seq)},
               {"durable_seq", std::to_string(state.journal->durable_seq())}});
  }
  if (state.dead_letters) state.dead_letters->stop();
  if (state.cache) state.cache->stop(std::chrono::milliseconds(config.redis.drain_timeout_ms));
  const std::uint64_t last_seq = state.journal->durable_seq();
  if (state.journal->failed() || loop.halted() || state.journal->last_seq() != last_seq) {
    log::warn("no snapshot at shutdown: the journal failed; the next start replays it");
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::string bytes;
  state.engine->serialize(bytes);
  const Status s =
      write_snapshot(fs, config.journal.dir, last_seq, bytes, config.snapshot.keep, hold_seq);
  if (!s.ok()) {
    log::error("snapshot at shutdown failed", {},
               {{"code", std::string(s.code_name())}, {"error", s.message()}});
    return;
  }
  log::info("snapshot written", {},
            {{"last_seq", std::to_string(last_seq)},
             {"bytes", std::to_string(bytes.size())},
             {"seconds",
              std::to_string(
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count())}});
}

// SIGTERM/SIGINT: stop accepting, answer what is in flight (every admitted command has
// had its reply handed back), then stop the I/O threads, all within
// shutdown.drain_timeout_ms. Returns once they have stopped.
void serve_until_signal(const Config& config, Network& net, Gateway& gateway,
                        const MatchingLoop& loop, Metrics& metrics, const ServiceNotifier& notifier,
                        const Clock& clock) {
  asio::io_context& ioc = net.context();
  asio::signal_set signals(ioc, SIGTERM, SIGINT);
  // systemd's watchdog (WatchdogSec=): a ping at half the interval while the matching
  // thread goes round its loop; a hung one stops the pings and systemd restarts spotd.
  asio::steady_timer watchdog(ioc);
  bool stopping = false;
  bool warned = false;
  std::function<void()> ping = [&] {
    if (stopping) return;
    const auto interval = *notifier.watchdog_interval();
    const bool alive = clock.monotonic_ns() - loop.heartbeat_ns() <
                       std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count();
    if (alive) {
      notifier.notify("WATCHDOG=1");
      warned = false;
    } else if (!warned) {
      warned = true;
      log::error(
          "matching thread has not gone round its loop within the watchdog interval: "
          "no watchdog ping");
    }
    watchdog.expires_after(interval);
    watchdog.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) ping();
    });
  };
  if (notifier.watchdog_interval()) ping();
  asio::steady_timer drain_timer(ioc);
  std::chrono::steady_clock::time_point deadline;
  std::function<void()> poll_drain = [&] {
    const std::uint64_t inflight = gateway.admitted() - loop.replied();
    if (inflight == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (inflight != 0) {
        log::warn("drain deadline passed with requests in flight", {},
                  {{"inflight", std::to_string(inflight)}});
      }
      log::info("spotd stopping");
      net.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(5));
    drain_timer.async_wait([&](const boost::system::error_code&) { poll_drain(); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::info("signal received, draining", {}, {{"signal", std::to_string(signo)}});
    stopping = true;
    watchdog.cancel();
    notifier.notify("STOPPING=1");
    gateway.start_draining();
    metrics.ready(false);
    net.stop_accepting();
    deadline = std::chrono::steady_clock::now() +
               std::chrono::milliseconds(config.shutdown.drain_timeout_ms);
    poll_drain();
  });
  net.join();
}

}  // namespace

int replay_journal_only(const Config& config, FileSystem& fs) {
  RecoveredEngine r;
  const Status s = recover_state(config, fs, &r);
  if (!s.ok()) {
    std::fprintf(stderr, "spotd: journal replay failed: %s\n", s.message().c_str());
    return 1;
  }
  std::printf(
      "{\"snapshotSeq\":%llu,\"records\":%llu,\"stateHash\":\"%016llx\",\"truncatedBytes\":%llu}\n",
      static_cast<unsigned long long>(r.snapshot_seq), static_cast<unsigned long long>(r.records),
      static_cast<unsigned long long>(r.engine->state_hash()),
      static_cast<unsigned long long>(r.truncated_bytes));
  return 0;
}

int run_daemon(const Config& config, FileSystem& fs) {
  log::init(config.log.level, config.log.repeats_per_second);
  Metrics metrics(kVersion, kCommit);
  {
    std::vector<std::string> names;
    for (const SymbolSpec& spec : config.symbols) names.push_back(spec.name);
    metrics.add_books(names);
  }
  const Clock& clock = SystemClock::instance();
  std::shared_ptr<const SecretBox> box;
  if (const auto error = load_server_key(config, &box)) {
    log::error("cannot load the server key sealing API secrets", {}, {{"detail", *error}});
    return 1;
  }
  if (!box) {
    log::warn(
        "no server key (auth.secret_key_file, SPOTD_SECRET_KEY): new accounts get no API "
        "secret and signed /api/v3 requests are refused");
  }
  Admission admission(config, metrics, clock, std::move(box));

  // Listen at once; until the journal is replayed, the API answers 503 "not ready"
  // and /readyz reports "starting".
  Network net(config, admission, metrics);
  {
    std::map<std::string, int> decimals;
    for (const SymbolSpec& spec : config.symbols) {
      decimals.emplace(base_asset_of(spec), spec.base_decimals);
      decimals.emplace(quote_asset_of(spec), spec.quote_decimals);
    }
    net.admin().set_asset_decimals(std::move(decimals));
  }
  if (!net.listen()) return 1;
  net.start();

  DurableState state;
  if (!open_state(config, fs, metrics, state)) {
    net.stop();
    net.join();
    return 1;
  }
  state.engine->for_each_account(
      [&](AccountId id, const std::string& key_hash, const std::string& sealed_secret) {
        admission.accounts.add(key_hash, id, sealed_secret);
      });
  net.api().set_read_path(state.reads.get());
  net.binance().set_read_path(state.reads.get());
  net.admin().set_projector(state.projector.get());
  net.admin().set_dead_letters(state.dead_letters.get());
  net.admin().set_read_path(state.reads.get());
  net.admin().set_cache(state.cache.get());

  std::atomic<bool> failure_logged{false};
  MatchingLoop loop(*state.engine, admission.queue, metrics, clock, config.engine.batch_max,
                    &admission.fills, state.journal.get(), [&] {
                      // Fail closed: stop taking orders; never acknowledge what is not durable.
                      const Status failure = state.journal->failure();
                      admission.gateway.fail(
                          "journal: " + (failure.ok() ? std::string("refused an executed command")
                                                      : std::string(failure.code_name())));
                      metrics.ready(false);
                      if (!failure_logged.exchange(true)) log_journal_failure(*state.journal);
                    });
  loop.start();
  if (!config.ports_file.empty()) net.write_ports_file(config.ports_file);
  admission.gateway.set_ready(true);
  metrics.ready(true);
  net.log_ready();
  const ServiceNotifier notifier;
  notifier.notify("READY=1\nSTATUS=taking orders");

  serve_until_signal(config, net, admission.gateway, loop, metrics, notifier, clock);
  loop.stop();
  close_state(config, fs, loop, state);
  log::info("spotd stopped");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace spot
