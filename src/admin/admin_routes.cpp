#include "spot/admin/admin_routes.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "spot/gateway/secrets.h"
#include "spot/log/log.h"

namespace spot {

namespace http = boost::beast::http;
using nlohmann::json;

AdminHandler::AdminHandler(Gateway& gateway, AccountDirectory& accounts, const OrderQueue& queue,
                           Metrics& metrics, AdminOptions options)
    : gateway_(gateway),
      accounts_(accounts),
      queue_(queue),
      metrics_(metrics),
      options_(std::move(options)) {}

bool AdminHandler::authorized(const HttpRequest& request) const {
  const auto header = request[http::field::authorization];
  constexpr std::string_view kBearer = "Bearer ";
  if (options_.token.empty() || header.size() <= kBearer.size() ||
      header.substr(0, kBearer.size()) != kBearer) {
    return false;
  }
  const std::string_view presented(header.data() + kBearer.size(), header.size() - kBearer.size());
  return constant_time_equal(presented, options_.token);
}

void AdminHandler::answer(Responder& responder, std::string_view route, HttpResponse&& res) {
  responder.route(route);
  responder.answer(std::move(res));
}

void AdminHandler::submit(CommandBody body, const std::string& request_id, std::string_view route,
                          Responder& responder, RenderReply render) {
  responder.route(route);
  if (const auto refused =
          gateway_.submit({std::move(body), request_id, std::nullopt, RejectReason::None},
                          responder.reply_to(std::move(render)))) {
    responder.answer(refusal_response(*refused));
  }
}

void AdminHandler::handle(HttpRequest& request, const std::string& request_id,
                          Responder responder) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/livez")
    return answer(responder, "/livez", json_response(200, R"({"status":"ok"})"));
  if (path == "/readyz") {
    // Order entry depends on the journal alone: the database's state is shown, but a
    // database that is down never makes spotd unready.
    json status = {{"status", "ready"}};
    unsigned code = 200;
    if (!gateway_.ready()) {
      // Why not: failed for good (and what failed), draining, or still starting.
      code = 503;
      status = {{"status", "starting"}};
      if (gateway_.failed()) {
        status = {{"status", "failed"}, {"reason", gateway_.failure()}};
      } else if (gateway_.draining()) {
        status = {{"status", "draining"}};
      }
    }
    const Projector* projector = projector_.load();
    if (projector == nullptr) {
      status["mode"] = "embedded";
    } else {
      const ProjectorHealth h = projector->health();
      status["mode"] = "postgres";
      status["postgres"] = {{"state", h.state},
                            {"breaker", std::string(to_string(h.breaker))},
                            {"checkpoint", h.checkpoint},
                            {"durableSeq", h.durable_seq},
                            {"lagEvents", h.lag_events},
                            {"lagSeconds", h.lag_seconds},
                            {"schemaVersion", h.schema_version},
                            {"lastError", h.last_error}};
    }
    // Nor does the cache: Redis down only means reads go to PostgreSQL.
    const CacheWriter* cache = cache_.load();
    if (cache == nullptr) {
      status["cache"] = "none";
    } else {
      const CacheHealth h = cache->health();
      status["cache"] = "redis";
      status["redis"] = {{"state", h.state},
                         {"breaker", std::string(to_string(h.breaker))},
                         {"epoch", h.epoch},
                         {"writtenSeq", h.written_seq},
                         {"droppedBatches", h.dropped_batches},
                         {"queuedRows", h.queued_rows},
                         {"lastError", h.last_error}};
    }
    return answer(responder, "/readyz", json_response(code, status.dump()));
  }
  if (path == "/metrics" && request.method() == http::verb::get) {
    metrics_.queue_depth(static_cast<double>(queue_.size()));
    HttpResponse res{http::status::ok, 11};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = metrics_.scrape();
    return answer(responder, "/metrics", std::move(res));
  }
  if (path.substr(0, 10) == "/admin/v1/") {
    if (options_.token.empty()) {
      return answer(responder, "/admin/v1",
                    error_response(403, -2015, "admin API disabled: admin.token is not set"));
    }
    if (!authorized(request)) {
      log::warn("admin: bad or missing bearer token", request_id);
      HttpResponse res = error_response(401, -2015, "missing or invalid bearer token");
      res.set(http::field::www_authenticate, "Bearer");
      return answer(responder, "/admin/v1", std::move(res));
    }
    if (path == "/admin/v1/accounts" && request.method() == http::verb::post) {
      return create_account(request, request_id, responder);
    }
    if (path == "/admin/v1/state" && request.method() == http::verb::get) {
      return state(request_id, responder);
    }
    return answer(responder, "/admin/v1", error_response(404, -1100, "no such admin route"));
  }
  answer(responder, "other", error_response(404, -1100, "no such route"));
}

void AdminHandler::state(const std::string& request_id, Responder& responder) {
  submit(GetState{}, request_id, "/admin/v1/state", responder, [](Reply&& r) {
    const auto& s = std::get<StateReply>(r);
    char hash[17];
    std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(s.state_hash));
    return json_response(200, json{{"stateHash", hash},
                                   {"lastOrderId", s.last_order_id},
                                   {"lastTradeId", s.last_trade_id},
                                   {"accounts", s.accounts},
                                   {"restingOrders", s.resting_orders}}
                                  .dump());
  });
}

void AdminHandler::create_account(HttpRequest& request, const std::string& request_id,
                                  Responder& responder) {
  constexpr std::string_view route = "/admin/v1/accounts";
  std::string name;
  if (!request.body().empty()) {
    const json j = json::parse(request.body(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || (j.contains("name") && !j["name"].is_string())) {
      return answer(
          responder, route,
          error_response(400, -1100, "body must be a JSON object like {\"name\":\"alice\"}"));
    }
    name = j.value("name", "");
    if (name.size() > options_.max_account_name_bytes) {
      return answer(
          responder, route,
          error_response(400, -1100,
                         "name is longer than " + std::to_string(options_.max_account_name_bytes) +
                             " characters"));
    }
  }
  const std::string api_key = random_hex(32);
  const std::string key_hash = sha256_hex(api_key);
  AccountDirectory* accounts = &accounts_;
  submit(
      CreateAccount{name, key_hash}, request_id, route, responder,
      [accounts, api_key, key_hash, name, request_id](Reply&& r) {
        const auto& reply = std::get<AccountReply>(r);
        if (reply.reject != RejectReason::None) {
          return error_response(400, -1100, to_string(reply.reject));
        }
        // The account is durable now; its key works from this response on.
        accounts->add(key_hash, reply.account);
        log::info("account created", request_id,
                  {{"account", std::to_string(reply.account.value)}});
        return json_response(
            201,
            json{{"accountId", reply.account.value}, {"name", name}, {"apiKey", api_key}}.dump());
      });
}

}  // namespace spot
