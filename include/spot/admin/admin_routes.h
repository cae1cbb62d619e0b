// The admin listener's routes: health (/livez, /readyz), /metrics, and the
// token-protected /admin/v1/* API: accounts, state, and the dead-letter queue
// (/admin/v1/dlq..., docs/runbook-dlq.md). Commands to the engine go through the
// gateway like every trader request; DLQ requests, which wait on the database, run on
// the DLQ thread (store/dead_letters.h), never on an I/O thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "spot/cache/cache_writer.h"
#include "spot/cache/read_path.h"
#include "spot/engine/order_queue.h"
#include "spot/gateway/account_directory.h"
#include "spot/gateway/gateway.h"
#include "spot/metrics/metrics.h"
#include "spot/net/http_server.h"
#include "spot/store/dead_letters.h"
#include "spot/store/projector.h"

namespace spot {

struct AdminOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8081;
  std::string token;  // Bearer token for /admin/v1/*; empty disables those routes
  // Who an action was by when the request names nobody: the holder of the token.
  std::string token_label = "admin";
  std::size_t max_connections = 64;
  std::size_t max_account_name_bytes = 128;
};

class AdminHandler final : public HttpHandler {
 public:
  // An empty token disables /admin/v1/* (every call answers 403). New accounts' keys
  // go into `accounts` once the account is durable.
  AdminHandler(Gateway& gateway, AccountDirectory& accounts, const OrderQueue& queue,
               Metrics& metrics, AdminOptions options);
  void handle(HttpRequest& request, const std::string& request_id, Responder responder) override;

  // The database projector whose health /readyz shows; null (the default): embedded.
  // Set once before the daemon reports ready; it must outlive the handler's use of it.
  void set_projector(const Projector* projector) { projector_.store(projector); }
  // The dead-letter queue the /admin/v1/dlq routes use; null (the default): embedded,
  // and those routes answer 503. Same lifetime rule as set_projector.
  void set_dead_letters(DeadLetterQueue* dlq) { dead_letters_.store(dlq); }
  // The Redis cache writer whose health /readyz shows; null (the default): no cache.
  // The same contract as set_projector.
  void set_cache(const CacheWriter* cache) { cache_.store(cache); }
  // The read path GET /admin/v1/accounts/{id}/ledger reads PostgreSQL through; null (the
  // default): no database, and that route answers 501. Same lifetime rule.
  void set_read_path(ReadPath* reads) { reads_.store(reads); }
  // The decimals of every asset the engine knows, for the amounts of deposits and
  // withdrawals. Set once before the daemon serves; without it every asset is unknown.
  void set_asset_decimals(std::map<std::string, int> decimals) {
    asset_decimals_ = std::move(decimals);
  }

 private:
  bool authorized(const HttpRequest& request) const;
  void create_account(HttpRequest& request, const std::string& request_id, Responder& responder);
  // /admin/v1/accounts/{id}/deposits|withdrawals (POST), /balances and /ledger (GET).
  void account_route(HttpRequest& request, std::string_view target, std::string_view path,
                     const std::string& request_id, Responder& responder);
  // GET /admin/v1/accounts/{id}/ledger?asset=&limit=: from PostgreSQL, newest first.
  void ledger(AccountId account, std::string_view target, Responder& responder);
  void transfer(HttpRequest& request, AccountId account, bool deposit,
                const std::string& request_id, Responder& responder);
  // GET /admin/v1/state: the engine's state hash and counters (for recovery checks).
  void state(const std::string& request_id, Responder& responder);
  void log_level(HttpRequest& request, const std::string& request_id, Responder& responder);
  // /admin/v1/dlq and below; `path` has no query string.
  void dead_letters(HttpRequest& request, std::string_view target, std::string_view path,
                    Responder& responder);
  // `route` is the template the response is counted under (a literal).
  void answer(Responder& responder, std::string_view route, HttpResponse&& response);
  // Admits a command to the engine; `render` makes the response of its reply.
  // `account`: the account a command about one account's money is for (the gateway
  // needs one for GetBalances; the operator acts for it).
  void submit(CommandBody body, const std::string& request_id, std::string_view route,
              Responder& responder, RenderReply render,
              std::optional<AccountId> account = std::nullopt);

  Gateway& gateway_;
  AccountDirectory& accounts_;
  const OrderQueue& queue_;
  Metrics& metrics_;
  AdminOptions options_;
  std::atomic<const Projector*> projector_{nullptr};
  std::atomic<DeadLetterQueue*> dead_letters_{nullptr};
  std::atomic<const CacheWriter*> cache_{nullptr};
  std::atomic<ReadPath*> reads_{nullptr};
  std::map<std::string, int> asset_decimals_;
};

}  // namespace spot
