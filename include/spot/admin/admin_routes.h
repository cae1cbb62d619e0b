// The admin listener's routes: health (/livez, /readyz), /metrics, and the
// token-protected /admin/v1/* API (accounts and state today; the DLQ joins later).
// Commands to the engine go through the gateway like every trader request.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "spot/cache/cache_writer.h"
#include "spot/engine/order_queue.h"
#include "spot/gateway/account_directory.h"
#include "spot/gateway/gateway.h"
#include "spot/metrics/metrics.h"
#include "spot/net/http_server.h"
#include "spot/store/projector.h"

namespace spot {

struct AdminOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8081;
  std::string token;  // Bearer token for /admin/v1/*; empty disables those routes
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
  // The Redis cache writer whose health /readyz shows; null (the default): no cache.
  // The same contract as set_projector.
  void set_cache(const CacheWriter* cache) { cache_.store(cache); }

 private:
  bool authorized(const HttpRequest& request) const;
  void create_account(HttpRequest& request, const std::string& request_id, Responder& responder);
  // GET /admin/v1/state: the engine's state hash and counters (for recovery checks).
  void state(const std::string& request_id, Responder& responder);
  // `route` is the template the response is counted under (a literal).
  void answer(Responder& responder, std::string_view route, HttpResponse&& response);
  // Admits a command to the engine; `render` makes the response of its reply.
  void submit(CommandBody body, const std::string& request_id, std::string_view route,
              Responder& responder, RenderReply render);

  Gateway& gateway_;
  AccountDirectory& accounts_;
  const OrderQueue& queue_;
  Metrics& metrics_;
  AdminOptions options_;
  std::atomic<const Projector*> projector_{nullptr};
  std::atomic<const CacheWriter*> cache_{nullptr};
};

}  // namespace spot
