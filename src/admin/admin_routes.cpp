#include "spot/admin/admin_routes.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "spot/net/log.h"

namespace spot {

namespace http = boost::beast::http;
using nlohmann::json;

AdminHandler::AdminHandler(Intake& intake, Metrics& metrics, std::string token)
    : intake_(intake), metrics_(metrics), token_(std::move(token)) {}

bool AdminHandler::authorized(const HttpRequest& request) const {
  const auto header = request[http::field::authorization];
  constexpr std::string_view kBearer = "Bearer ";
  if (token_.empty() || header.size() <= kBearer.size() ||
      header.substr(0, kBearer.size()) != kBearer) {
    return false;
  }
  const std::string_view presented(header.data() + kBearer.size(), header.size() - kBearer.size());
  return constant_time_equal(presented, token_);
}

void AdminHandler::handle(HttpRequest& request, const std::string& request_id, Respond respond) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  auto answer = [&](const std::string& route, HttpResponse&& res) {
    metrics_.http_request(route, res.result_int());
    respond(std::move(res));
  };
  if (path == "/livez") return answer("/livez", json_response(200, R"({"status":"ok"})"));
  if (path == "/readyz") {
    if (intake_.ready()) return answer("/readyz", json_response(200, R"({"status":"ready"})"));
    return answer("/readyz", json_response(503, intake_.draining() ? R"({"status":"draining"})"
                                                                   : R"({"status":"starting"})"));
  }
  if (path == "/metrics" && request.method() == http::verb::get) {
    metrics_.queue_depth(static_cast<double>(intake_.queue().size()));
    HttpResponse res{http::status::ok, 11};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = metrics_.scrape();
    return answer("/metrics", std::move(res));
  }
  if (path.substr(0, 10) == "/admin/v1/") {
    if (token_.empty()) {
      return answer("/admin/v1",
                    error_response(403, -2015, "admin API disabled: admin.token is not set"));
    }
    if (!authorized(request)) {
      log::warn("admin: bad or missing bearer token", request_id);
      HttpResponse res = error_response(401, -2015, "missing or invalid bearer token");
      res.set(http::field::www_authenticate, "Bearer");
      return answer("/admin/v1", std::move(res));
    }
    if (path == "/admin/v1/accounts" && request.method() == http::verb::post) {
      return create_account(request, request_id, std::move(respond));
    }
    if (path == "/admin/v1/state" && request.method() == http::verb::get) {
      return state(request_id, std::move(respond));
    }
    return answer("/admin/v1", error_response(404, -1100, "no such admin route"));
  }
  answer("other", error_response(404, -1100, "no such route"));
}

void AdminHandler::state(const std::string& request_id, Respond respond) {
  const std::string route = "/admin/v1/state";
  Command command;
  command.body = GetState{};
  command.request_id = request_id;
  command.received_ns = intake_.clock().monotonic_ns();
  Intake* intake = &intake_;
  Metrics* metrics = &metrics_;
  command.done = [intake, metrics, respond, route](Reply&& r) mutable {
    const auto& s = std::get<StateReply>(r);
    char hash[17];
    std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(s.state_hash));
    metrics->http_request(route, 200);
    respond(json_response(200, json{{"stateHash", hash},
                                    {"lastOrderId", s.last_order_id},
                                    {"lastTradeId", s.last_trade_id},
                                    {"accounts", s.accounts},
                                    {"restingOrders", s.resting_orders}}
                                   .dump()));
    intake->reply_delivered();
  };
  if (!intake_.push(command)) {
    metrics_.http_request(route, 503);
    respond(error_response(503, -1016, "overloaded, try again"));
  }
}

void AdminHandler::create_account(HttpRequest& request, const std::string& request_id,
                                  Respond respond) {
  const std::string route = "/admin/v1/accounts";
  std::string name;
  if (!request.body().empty()) {
    const json j = json::parse(request.body(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || (j.contains("name") && !j["name"].is_string())) {
      metrics_.http_request(route, 400);
      respond(error_response(400, -1100, "body must be a JSON object like {\"name\":\"alice\"}"));
      return;
    }
    name = j.value("name", "");
    if (name.size() > 128) {
      metrics_.http_request(route, 400);
      respond(error_response(400, -1100, "name is longer than 128 characters"));
      return;
    }
  }
  if (!intake_.ready()) {
    metrics_.http_request(route, 503);
    respond(error_response(503, -1016, "not ready"));
    return;
  }
  const std::string api_key = random_hex(32);
  const std::string key_hash = sha256_hex(api_key);
  Command command;
  command.body = CreateAccount{name, key_hash};
  command.request_id = request_id;
  command.received_ns = intake_.clock().monotonic_ns();
  Intake* intake = &intake_;
  Metrics* metrics = &metrics_;
  command.done = [intake, metrics, respond, api_key, key_hash, name, request_id,
                  route](Reply&& r) mutable {
    const auto& reply = std::get<AccountReply>(r);
    if (reply.reject == RejectReason::NotReady) {
      metrics->http_request(route, 503);
      respond(error_response(503, -1016, "not ready: the account could not be made durable"));
    } else if (reply.reject != RejectReason::None) {
      metrics->http_request(route, 400);
      respond(error_response(400, -1100, to_string(reply.reject)));
    } else {
      intake->accounts().add(key_hash, reply.account);
      log::info("account created", request_id, {{"account", std::to_string(reply.account.value)}});
      metrics->http_request(route, 201);
      respond(json_response(
          201,
          json{{"accountId", reply.account.value}, {"name", name}, {"apiKey", api_key}}.dump()));
    }
    intake->reply_delivered();
  };
  if (!intake_.push(command)) {
    metrics_.http_request(route, 503);
    respond(error_response(503, -1016, "overloaded, try again"));
  }
}

}  // namespace spot
