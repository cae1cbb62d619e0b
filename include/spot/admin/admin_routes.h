// The admin listener's routes: health (/livez, /readyz), /metrics, and the
// token-protected /admin/v1/* API (accounts and state today; the DLQ joins later).
#pragma once

#include <string>

#include "spot/metrics/metrics.h"
#include "spot/net/http_server.h"
#include "spot/net/intake.h"

namespace spot {

class AdminHandler final : public HttpHandler {
 public:
  // An empty token disables /admin/v1/* (every call answers 403).
  AdminHandler(Intake& intake, Metrics& metrics, std::string token);
  void handle(HttpRequest& request, const std::string& request_id, Respond respond) override;

 private:
  bool authorized(const HttpRequest& request) const;
  void create_account(HttpRequest& request, const std::string& request_id, Respond respond);
  // GET /admin/v1/state: the engine's state hash and counters (for recovery checks).
  void state(const std::string& request_id, Respond respond);

  Intake& intake_;
  Metrics& metrics_;
  std::string token_;
};

}  // namespace spot
