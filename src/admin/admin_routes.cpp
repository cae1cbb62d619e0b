#include "spot/admin/admin_routes.h"

#include <charconv>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "spot/gateway/secrets.h"
#include "spot/log/log.h"
#include "spot/proto/http_json.h"

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
                          Responder& responder, RenderReply render,
                          std::optional<AccountId> account) {
  responder.route(route);
  if (const auto refused =
          gateway_.submit({std::move(body), request_id, account, RejectReason::None},
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
    if (path.substr(0, 19) == "/admin/v1/accounts/") {
      return account_route(request, target, path, request_id, responder);
    }
    if (path == "/admin/v1/state" && request.method() == http::verb::get) {
      return state(request_id, responder);
    }
    if (path == "/admin/v1/log") return log_level(request, request_id, responder);
    if (path == "/admin/v1/dlq" || path.substr(0, 14) == "/admin/v1/dlq/") {
      return dead_letters(request, target, path, responder);
    }
    return answer(responder, "/admin/v1", error_response(404, -1100, "no such admin route"));
  }
  answer(responder, "other", error_response(404, -1100, "no such route"));
}

// GET /admin/v1/log: {"level":...}; PUT with {"level":"debug"} changes it at once.
void AdminHandler::log_level(HttpRequest& request, const std::string& request_id,
                             Responder& responder) {
  if (request.method() == http::verb::get) {
    return answer(responder, "/admin/v1/log",
                  json_response(200, json{{"level", log::level()}}.dump()));
  }
  if (request.method() != http::verb::put) {
    return answer(responder, "/admin/v1/log", error_response(405, -1100, "GET or PUT"));
  }
  const json body = json::parse(request.body(), nullptr, false);
  const bool named = body.is_object() && body.contains("level") && body["level"].is_string();
  const std::string before = log::level();
  if (!named || !log::set_level(body["level"].get<std::string>())) {
    return answer(
        responder, "/admin/v1/log",
        error_response(400, -1102, "body must be {\"level\":\"trace|debug|info|warn|error|off\"}"));
  }
  log::warn("log level changed", request_id, {{"from", before}, {"to", log::level()}});
  answer(responder, "/admin/v1/log", json_response(200, json{{"level", log::level()}}.dump()));
}

namespace {

// Error codes of the DLQ routes (beside -1100 malformed request and -2015 auth).
constexpr int kBadParameter = -1102;
constexpr int kNoSuchDeadLetter = -2013;
constexpr int kDeadLetterConflict = -2016;
constexpr int kReplayRefused = -2017;
constexpr int kDatabaseUnavailable = -2018;

std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

HttpResponse dead_letter_response(const DeadLetterAnswer& a) {
  using Kind = DeadLetterAnswer::Kind;
  switch (a.kind) {
    case Kind::Ok:
      return json_response(200, a.body);
    case Kind::BadRequest:
      return error_response(400, kBadParameter, a.message);
    case Kind::NotFound:
      return error_response(404, kNoSuchDeadLetter, a.message);
    case Kind::Conflict:
      return error_response(409, kDeadLetterConflict, a.message);
    case Kind::ReplayFailed: {
      // The entry comes along: its attempts and the new error.
      json body = {{"code", kReplayRefused}, {"msg", a.message}};
      const json entry = json::parse(a.body, nullptr, false);
      if (!entry.is_discarded()) body["entry"] = entry;
      return json_response(422, body.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    case Kind::Unavailable:
      break;
  }
  return error_response(503, kDatabaseUnavailable, a.message);
}

}  // namespace

void AdminHandler::dead_letters(HttpRequest& request, std::string_view target,
                                std::string_view path, Responder& responder) {
  // Which route: "" (list), "/replay" (all), "/{id}", "/{id}/replay", "/{id}/discard".
  const std::string_view rest = path.substr(13);
  std::string_view route = "/admin/v1/dlq";
  std::optional<std::uint64_t> id;
  std::string_view action;
  if (rest == "/replay") {
    route = "/admin/v1/dlq/replay";
    action = "replay";
  } else if (!rest.empty()) {
    std::string_view id_text = rest.substr(1);
    const std::size_t slash = id_text.find('/');
    if (slash != std::string_view::npos) {
      action = id_text.substr(slash + 1);
      id_text = id_text.substr(0, slash);
    }
    route = action.empty()        ? "/admin/v1/dlq/{id}"
            : action == "replay"  ? "/admin/v1/dlq/{id}/replay"
            : action == "discard" ? "/admin/v1/dlq/{id}/discard"
                                  : "/admin/v1";
    if (route == "/admin/v1") {
      return answer(responder, route, error_response(404, -1100, "no such admin route"));
    }
    id = parse_id(id_text);
    if (!id || *id == 0) {
      return answer(responder, route,
                    error_response(400, kBadParameter,
                                   "'" + std::string(id_text) +
                                       "' is not a dead-letter id (a positive integer)"));
    }
  }
  const http::verb want = action.empty() ? http::verb::get : http::verb::post;
  if (request.method() != want) {
    return answer(responder, route,
                  error_response(405, -1100,
                                 std::string("use ") + (want == http::verb::get ? "GET" : "POST") +
                                     " for this route"));
  }
  DeadLetterQueue* dlq = dead_letters_.load();
  if (dlq == nullptr) {
    return answer(responder, route,
                  error_response(503, kDatabaseUnavailable,
                                 "no dead-letter queue: spotd runs embedded (postgres.url is "
                                 "empty), or is still starting"));
  }
  const DeadLetterOptions& limits = dlq->options();
  const auto bad = [&](const std::string& message) {
    answer(responder, route, error_response(400, kBadParameter, message));
  };

  // Who and why, from the body of a POST: {"by":"alice","reason":"..."}.
  std::string actor = options_.token_label;
  std::string reason;
  if (want == http::verb::post && !request.body().empty()) {
    const json j = json::parse(request.body(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || (j.contains("by") && !j["by"].is_string()) ||
        (j.contains("reason") && !j["reason"].is_string())) {
      return bad(R"(body must be a JSON object like {"by":"alice","reason":"..."})");
    }
    if (j.contains("by")) actor = j["by"].get<std::string>();
    reason = j.value("reason", "");
  }
  if (actor.empty() || actor.size() > limits.max_actor_bytes) {
    return bad("by must be 1 to " + std::to_string(limits.max_actor_bytes) + " characters");
  }

  std::function<DeadLetterAnswer(DeadLetterStore&)> job;
  if (action == "discard") {
    if (reason.empty()) return bad(R"(a discard needs a reason: {"reason":"..."})");
    if (reason.size() > limits.max_reason_bytes) {
      return bad("reason is longer than " + std::to_string(limits.max_reason_bytes) +
                 " characters");
    }
    job = [id = *id, actor, reason](DeadLetterStore& s) { return s.discard(id, actor, reason); };
  } else if (action == "replay" && id) {
    job = [id = *id, actor](DeadLetterStore& s) { return s.replay(id, actor); };
  } else if (action == "replay") {
    const std::string status = proto::http::query_param(target, "status");
    if (!status.empty() && status != "PENDING") {
      return bad("only PENDING entries are replayed in bulk (status=PENDING)");
    }
    job = [actor](DeadLetterStore& s) { return s.replay_pending(actor); };
  } else if (id) {
    job = [id = *id](DeadLetterStore& s) { return s.get(id); };
  } else {
    DeadLetterFilter filter;
    filter.status = proto::http::query_param(target, "status");
    filter.entity = proto::http::query_param(target, "entity");
    if (!filter.status.empty() && !parse_dead_letter_status(filter.status)) {
      return bad("status must be PENDING, REPLAYING, RESOLVED or DISCARDED");
    }
    if (!filter.entity.empty() && filter.entity != "order" && filter.entity != "account" &&
        filter.entity != "trade" && filter.entity != "balance") {
      return bad("entity must be order, trade, account or balance");
    }
    for (const auto& [name, field] :
         {std::pair<const char*, std::uint64_t*>{"entity_id", &filter.entity_id},
          std::pair<const char*, std::uint64_t*>{"after", &filter.after_id}}) {
      const std::string text = proto::http::query_param(target, name);
      if (text.empty()) continue;
      const auto v = parse_id(text);
      if (!v) return bad(std::string(name) + " must be a non-negative integer");
      *field = *v;
    }
    const std::string limit = proto::http::query_param(target, "limit");
    if (!limit.empty()) {
      const auto v = parse_id(limit);
      if (!v || *v == 0 || *v > limits.page_max) {
        return bad("limit must be between 1 and " + std::to_string(limits.page_max));
      }
      filter.limit = static_cast<std::size_t>(*v);
    }
    job = [filter](DeadLetterStore& s) { return s.list(filter); };
  }
  responder.route(route);
  auto later = responder.answer_later();
  const bool queued = dlq->post([later, job = std::move(job)](DeadLetterStore& store) {
    later(dead_letter_response(job(store)));
  });
  if (!queued) {
    HttpResponse busy = error_response(503, kDatabaseUnavailable,
                                       "too many dead-letter requests waiting; try again");
    busy.set(http::field::retry_after, "1");
    later(std::move(busy));
  }
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

void AdminHandler::account_route(HttpRequest& request, std::string_view target,
                                 std::string_view path, const std::string& request_id,
                                 Responder& responder) {
  // /admin/v1/accounts/{id}/{what}
  const std::string_view rest = path.substr(19);
  const std::size_t slash = rest.find('/');
  // Account 0 is the fee account: its balances can be read, nothing moved in or out.
  const auto id = slash == std::string_view::npos ? std::nullopt : parse_id(rest.substr(0, slash));
  const std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  constexpr std::string_view route = "/admin/v1/accounts/{id}";
  if (!id ||
      (what != "deposits" && what != "withdrawals" && what != "balances" && what != "ledger")) {
    return answer(responder, route, error_response(404, -1100, "no such admin route"));
  }
  const bool get = what == "balances" || what == "ledger";
  if (request.method() != (get ? http::verb::get : http::verb::post)) {
    return answer(responder, route, error_response(405, -1100, get ? "GET" : "POST"));
  }
  if (what == "ledger") return ledger(AccountId{*id}, target, responder);
  if (!get) return transfer(request, AccountId{*id}, what == "deposits", request_id, responder);
  submit(
      GetBalances{AccountId{*id}}, request_id, "/admin/v1/accounts/{id}/balances", responder,
      [](Reply&& r) {
        const auto& reply = std::get<BalancesReply>(r);
        if (reply.reject != RejectReason::None) {
          const proto::http::Error e = proto::http::error_for(reply.reject);
          return error_response(e.status, e.code, e.msg);
        }
        return json_response(200, proto::http::balances_json(reply));
      },
      AccountId{*id});
}

void AdminHandler::ledger(AccountId account, std::string_view target, Responder& responder) {
  constexpr std::string_view route = "/admin/v1/accounts/{id}/ledger";
  ReadPath* reads = reads_.load(std::memory_order_acquire);
  if (reads == nullptr) {
    return answer(responder, route,
                  error_response(501, -1016,
                                 "this spotd has no database (postgres.url): the ledger is read "
                                 "from PostgreSQL"));
  }
  const SymbolTable& symbols = reads->symbols();
  const ReadOptions& limits = reads->options();
  AccountLedgerQuery q;
  q.account_id = account.value;
  q.limit = limits.ledger_default_limit;
  const std::string asset = proto::http::query_param(target, "asset");
  if (!asset.empty()) {
    const auto& assets = symbols.assets();
    for (std::size_t a = 0; a < assets.size(); ++a) {
      if (assets[a].name == asset) q.asset = static_cast<AssetId>(a);
    }
    if (!q.asset) {
      const proto::http::Error e = proto::http::error_for(RejectReason::UnknownAsset);
      return answer(responder, route, error_response(e.status, e.code, e.msg));
    }
  }
  const std::string limit = proto::http::query_param(target, "limit");
  if (!limit.empty()) {
    const auto v = parse_id(limit);
    if (!v || *v == 0 || *v > limits.ledger_max_limit) {
      return answer(
          responder, route,
          error_response(400, -1100,
                         "limit must be between 1 and " + std::to_string(limits.ledger_max_limit)));
    }
    q.limit = static_cast<std::size_t>(*v);
  }
  responder.route(route);
  auto later = responder.answer_later();
  const bool queued = reads->account_ledger(
      q, [later, &symbols, account](const ReadOutcome& o, std::vector<LedgerRow>&& rows) {
        if (o.kind != ReadOutcome::Kind::Ok) {
          return later(error_response(503, -1007, o.message));
        }
        json entries = json::array();
        for (const LedgerRow& r : rows) {
          const AssetSpec& a = symbols.assets()[r.asset];
          entries.push_back(
              json{{"journalSeq", r.journal_seq},
                   {"n", r.n},
                   {"asset", a.name},
                   {"deltaFree", proto::http::format_units(r.delta_free, a.decimals)},
                   {"deltaLocked", proto::http::format_units(r.delta_locked, a.decimals)},
                   {"cause", to_string(r.cause)},
                   {"orderId", r.order_id},
                   {"tradeId", r.trade_id},
                   {"reference", r.reference.empty() ? json(nullptr) : json(r.reference)},
                   {"correlationId", r.correlation_id},
                   {"time", r.created_us / 1'000}});
        }
        HttpResponse res = json_response(
            200, json{{"accountId", account.value}, {"entries", std::move(entries)}}.dump(
                     -1, ' ', false, json::error_handler_t::replace));
        res.set("X-Spot-Projected-Seq", std::to_string(o.projected_seq));
        later(std::move(res));
      });
  if (!queued) {
    later(error_response(503, -1016, "too many reads waiting for the database: try again"));
  }
}

void AdminHandler::transfer(HttpRequest& request, AccountId account, bool deposit,
                            const std::string& request_id, Responder& responder) {
  const std::string_view route =
      deposit ? "/admin/v1/accounts/{id}/deposits" : "/admin/v1/accounts/{id}/withdrawals";
  const json j = json::parse(request.body(), nullptr, false);
  auto text = [&j](const char* name) -> std::string {
    if (!j.is_object() || !j.contains(name) || !j[name].is_string()) return {};
    return j[name].get<std::string>();
  };
  const std::string asset = text("asset");
  const std::string amount_text = text("amount");
  const std::string reference = text("reference");
  if (asset.empty() || amount_text.empty() || reference.empty()) {
    return answer(responder, route,
                  error_response(400, -1100,
                                 "body must be {\"asset\":\"USDT\",\"amount\":\"1000.5\","
                                 "\"reference\":\"...\"}"));
  }
  if (!is_safe_id(reference, 128)) {
    return answer(responder, route,
                  error_response(400, -1100, "reference: 1 to 128 characters of [A-Za-z0-9._:-]"));
  }
  const auto decimals = asset_decimals_.find(asset);
  if (decimals == asset_decimals_.end()) {
    const proto::http::Error e = proto::http::error_for(RejectReason::UnknownAsset);
    return answer(responder, route, error_response(e.status, e.code, e.msg));
  }
  const auto amount = proto::http::parse_units(amount_text, decimals->second);
  if (!amount) {
    return answer(responder, route,
                  error_response(400, -1100,
                                 "amount must be a positive decimal with at most " +
                                     std::to_string(decimals->second) + " decimals"));
  }
  const Transfer t{account, asset, *amount, reference};
  CommandBody body = deposit ? CommandBody{Deposit{t}} : CommandBody{Withdraw{t}};
  const int places = decimals->second;
  submit(std::move(body), request_id, route, responder, [places, reference, request_id](Reply&& r) {
    const auto& reply = std::get<TransferReply>(r);
    if (reply.reject != RejectReason::None) {
      const proto::http::Error e = proto::http::error_for(reply.reject);
      return error_response(e.status, e.code, e.msg);
    }
    if (!reply.replayed) {
      log::info(reply.deposit ? "deposit" : "withdrawal", request_id,
                {{"account", std::to_string(reply.account.value)},
                 {"asset", reply.asset},
                 {"amount", std::to_string(reply.amount)},
                 {"reference", reference}});
    }
    return json_response(reply.replayed ? 200 : 201,
                         proto::http::transfer_json(reply, places, reference));
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
  // The secret goes to the journal only sealed; in the clear it is in this reply alone.
  AccountDirectory::NewSecret secret = accounts_.new_secret(key_hash);
  AccountDirectory* accounts = &accounts_;
  submit(CreateAccount{name, key_hash, secret.sealed}, request_id, route, responder,
         [accounts, api_key, key_hash, name, request_id, secret = std::move(secret)](Reply&& r) {
           const auto& reply = std::get<AccountReply>(r);
           if (reply.reject != RejectReason::None) {
             return error_response(400, -1100, to_string(reply.reject));
           }
           // The account is durable now; its key works from this response on.
           accounts->add(key_hash, reply.account, secret.sealed);
           log::info("account created", request_id,
                     {{"account", std::to_string(reply.account.value)}});
           json body{{"accountId", reply.account.value}, {"name", name}, {"apiKey", api_key}};
           // Shown once; absent when spotd has no server key to seal it with.
           if (!secret.plain.empty()) body["apiSecret"] = secret.plain;
           return json_response(201, body.dump());
         });
}

}  // namespace spot
