// spotctl: the operator's command line over spotd's admin endpoint (DESIGN.md §5):
// the dead-letter queue, accounts, health. Where it connects and with which token comes
// from flags, then SPOTCTL_* environment variables, then the spotd config file, then
// the defaults (127.0.0.1:8081). Tables for people by default, --json for scripts.
//
// Exit codes (also in --help and docs/runbook-dlq.md):
//   0 done; 1 any other failure; 2 bad usage; 3 spotd unreachable; 4 token refused
//   (401/403); 5 no such entry (404); 6 conflict (409: resolved, discarded, being
//   replayed, an earlier entry first); 7 the database refused a replay again (422);
//   8 the database is unavailable or spotd is busy (503).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "spot/app/config.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

enum Exit : int {
  kOk = 0,
  kFailed = 1,
  kUsage = 2,
  kUnreachable = 3,
  kUnauthorized = 4,
  kNotFound = 5,
  kConflict = 6,
  kReplayRefused = 7,
  kUnavailable = 8,
};

struct Target {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8081;
  std::string token;
  std::int64_t timeout_ms = 30'000;
};

struct Response {
  unsigned status = 0;
  std::string body;
};

// One request; nullopt (and *error) if spotd could not be reached or did not answer.
std::optional<Response> request(const Target& t, http::verb method, const std::string& target,
                                const std::string& body, std::string* error) {
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::milliseconds(t.timeout_ms));
    asio::ip::tcp::resolver resolver(ioc);
    stream.connect(resolver.resolve(t.address, std::to_string(t.port)));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, t.address);
    req.set(http::field::user_agent, "spotctl");
    if (!t.token.empty()) req.set(http::field::authorization, "Bearer " + t.token);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return Response{res.result_int(), res.body()};
  } catch (const boost::system::system_error& e) {
    *error = e.code().message();
    return std::nullopt;
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

std::string field(const json& j, const char* name) {
  if (!j.contains(name) || j[name].is_null()) return "-";
  if (j[name].is_string()) return j[name].get<std::string>();
  return j[name].dump();
}

std::string clip(std::string s, std::size_t n) {
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
}

// A table with columns as wide as their widest cell.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  line(header);
  for (const auto& row : rows) line(row);
}

// The exit code and message of a failed response.
int fail(const Response& r) {
  std::string msg = r.body;
  const json j = json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("msg")) msg = field(j, "msg");
  std::fprintf(stderr, "spotctl: %s (HTTP %u)\n", msg.c_str(), r.status);
  switch (r.status) {
    case 400:
      return kUsage;
    case 401:
    case 403:
      return kUnauthorized;
    case 404:
      return kNotFound;
    case 409:
      return kConflict;
    case 422:
      return kReplayRefused;
    case 503:
      return kUnavailable;
    default:
      return kFailed;
  }
}

void print_entry(const json& e) {
  for (const char* k :
       {"id", "status", "entity", "entityId", "journalSeq", "correlationId", "idempotencyKey",
        "errorClass", "sqlstate", "message", "attempts", "firstFailedAt", "lastFailedAt",
        "replayCount", "lastReplayedAt", "lastReplayedBy", "note"}) {
    std::printf("%-16s %s\n", k, field(e, k).c_str());
  }
  if (e.contains("payload")) std::printf("payload\n%s\n", e["payload"].dump(2).c_str());
  if (e.contains("actions") && e["actions"].is_array()) {
    std::printf("actions\n");
    for (const json& a : e["actions"]) {
      std::printf(
          "  %s  %-13s %-10s by %s%s\n", field(a, "at").c_str(), field(a, "action").c_str(),
          field(a, "result").c_str(), field(a, "by").c_str(),
          a.contains("detail") && a["detail"].is_string() && !a["detail"].get<std::string>().empty()
              ? (": " + clip(a["detail"].get<std::string>(), 100)).c_str()
              : "");
    }
  }
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string read_token_file(const std::string& path, bool* ok) {
  std::ifstream in(path);
  std::string token;
  *ok = static_cast<bool>(std::getline(in, token));
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "spotctl: the admin command line of spotd (dead-letter queue, accounts, health).\n"
      "Connection: flags, then SPOTCTL_ADDRESS, SPOTCTL_PORT, SPOTCTL_TOKEN, "
      "SPOTCTL_TOKEN_FILE, SPOTCTL_CONFIG, then the spotd config file (admin.address, "
      "admin.port, admin.token), then 127.0.0.1:8081.\n"
      "Exit codes: 0 done, 1 other failure, 2 bad usage, 3 unreachable, 4 token refused, "
      "5 not found, 6 conflict, 7 replay refused again, 8 database unavailable or busy."};
  app.require_subcommand(1);
  // The connection flags and --json may come after the subcommand too, and the last one
  // given wins (a script may override an alias).
  app.fallthrough();
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string address, token, token_file, config_path;
  int port = 0;
  std::int64_t timeout_ms = 0;
  bool as_json = false;
  app.add_option("--address", address, "admin address of spotd (SPOTCTL_ADDRESS)");
  app.add_option("--port", port, "admin port (SPOTCTL_PORT)")->check(CLI::Range(1, 65535));
  app.add_option("--token", token, "admin Bearer token (SPOTCTL_TOKEN)");
  app.add_option("--token-file", token_file,
                 "file holding the token, e.g. var/admin-token (SPOTCTL_TOKEN_FILE)");
  app.add_option("--config", config_path,
                 "spotd config file to read the above from (SPOTCTL_CONFIG)");
  app.add_option("--timeout-ms", timeout_ms, "time allowed for one request (default 30000)")
      ->check(CLI::Range(1, 3'600'000));
  app.add_flag("--json", as_json, "print spotd's JSON answer instead of a table");

  CLI::App* dlq = app.add_subcommand("dlq", "the dead-letter queue");
  dlq->require_subcommand(1);
  std::string status, entity, by, reason;
  std::uint64_t entity_id = 0, after = 0, id = 0;
  std::size_t limit = 0;
  bool all = false;
  CLI::App* list = dlq->add_subcommand("list", "entries, oldest first");
  list->add_option("--status", status, "PENDING, REPLAYING, RESOLVED or DISCARDED");
  list->add_option("--entity", entity, "order, trade, account or balance");
  list->add_option("--entity-id", entity_id, "one order's or account's entries");
  list->add_option("--limit", limit, "entries per page (spotd's dlq.page_default)");
  list->add_option("--after", after, "entries after this id (the page's \"next\")");
  CLI::App* show = dlq->add_subcommand("show", "one entry: its error, rows and actions");
  show->add_option("ID", id, "entry id")->required();
  CLI::App* replay = dlq->add_subcommand("replay", "write an entry's rows again (idempotent)");
  auto* replay_id = replay->add_option("ID", id, "entry id");
  auto* replay_all = replay->add_flag("--all", all, "every PENDING entry, in journal order");
  replay_id->excludes(replay_all);
  replay->add_option("--by", by, "who is replaying (default: $USER)");
  CLI::App* discard = dlq->add_subcommand("discard", "give an entry up, with the reason");
  discard->add_option("ID", id, "entry id")->required();
  discard->add_option("--reason", reason, "why (recorded in the entry)")->required();
  discard->add_option("--by", by, "who is discarding (default: $USER)");
  CLI::App* account = app.add_subcommand("account", "accounts");
  account->require_subcommand(1);
  std::string name;
  CLI::App* create = account->add_subcommand("create", "a new account; prints its API key once");
  create->add_option("NAME", name, "account name")->required();
  std::uint64_t account_id = 0;
  std::string asset, amount, reference;
  CLI::App* deposit =
      account->add_subcommand("deposit", "credit an account (idempotent on --reference)");
  CLI::App* withdraw = account->add_subcommand(
      "withdraw", "debit an account's free balance (idempotent on --reference)");
  for (CLI::App* t : {deposit, withdraw}) {
    t->add_option("ACCOUNT", account_id, "account id")->required();
    t->add_option("ASSET", asset, "asset, e.g. USDT")->required();
    t->add_option("AMOUNT", amount, "decimal amount, e.g. 1000.5")->required();
    t->add_option("--reference", reference, "unique reference of the transfer")->required();
  }
  CLI::App* balances = account->add_subcommand("balances", "an account's free and locked balances");
  balances->add_option("ACCOUNT", account_id, "account id (0: the fee account)")->required();
  CLI::App* ledger = account->add_subcommand(
      "ledger", "an account's balance changes, newest first (read from PostgreSQL)");
  ledger->add_option("ACCOUNT", account_id, "account id (0: the fee account)")->required();
  ledger->add_option("--asset", asset, "one asset's changes only, e.g. USDT");
  ledger->add_option("--limit", limit, "rows (spotd's reads.ledger_default_limit)");
  CLI::App* health = app.add_subcommand("health", "spotd's readiness and the database's state");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }
  if (replay->parsed() && !all && id == 0) {
    std::fprintf(stderr, "spotctl: dlq replay needs an ID or --all\n");
    return kUsage;
  }

  // Where to connect: flags > SPOTCTL_* > the spotd config file > defaults.
  Target target;
  if (config_path.empty()) config_path = env("SPOTCTL_CONFIG");
  if (!config_path.empty()) {
    spot::Config config;
    if (const auto e = spot::load_config_file(config, config_path)) {
      std::fprintf(stderr, "spotctl: %s: %s\n", e->key.c_str(), e->message.c_str());
      return kUsage;
    }
    target.address = config.admin.address == "0.0.0.0" ? "127.0.0.1" : config.admin.address;
    target.port = config.admin.port;
    target.token = config.admin.token;
  }
  if (address.empty()) address = env("SPOTCTL_ADDRESS");
  if (!address.empty()) target.address = address;
  if (port == 0 && !env("SPOTCTL_PORT").empty()) {
    port = std::atoi(env("SPOTCTL_PORT").c_str());
    if (port < 1 || port > 65535) {
      std::fprintf(stderr, "spotctl: SPOTCTL_PORT must be a port number\n");
      return kUsage;
    }
  }
  if (port != 0) target.port = static_cast<std::uint16_t>(port);
  if (token.empty()) token = env("SPOTCTL_TOKEN");
  if (token.empty() && token_file.empty()) token_file = env("SPOTCTL_TOKEN_FILE");
  if (token.empty() && !token_file.empty()) {
    bool ok = false;
    token = read_token_file(token_file, &ok);
    if (!ok) {
      std::fprintf(stderr, "spotctl: cannot read the token file %s\n", token_file.c_str());
      return kUsage;
    }
  }
  if (!token.empty()) target.token = token;
  if (timeout_ms > 0) target.timeout_ms = timeout_ms;
  if (by.empty()) by = env("USER");

  http::verb method = http::verb::get;
  std::string path;
  json body;
  if (list->parsed()) {
    path = "/admin/v1/dlq?status=" + url_encode(status) + "&entity=" + url_encode(entity);
    if (entity_id != 0) path += "&entity_id=" + std::to_string(entity_id);
    if (limit != 0) path += "&limit=" + std::to_string(limit);
    if (after != 0) path += "&after=" + std::to_string(after);
  } else if (show->parsed()) {
    path = "/admin/v1/dlq/" + std::to_string(id);
  } else if (replay->parsed()) {
    method = http::verb::post;
    path = all ? "/admin/v1/dlq/replay?status=PENDING"
               : "/admin/v1/dlq/" + std::to_string(id) + "/replay";
    if (!by.empty()) body["by"] = by;
  } else if (discard->parsed()) {
    method = http::verb::post;
    path = "/admin/v1/dlq/" + std::to_string(id) + "/discard";
    body["reason"] = reason;
    if (!by.empty()) body["by"] = by;
  } else if (create->parsed()) {
    method = http::verb::post;
    path = "/admin/v1/accounts";
    body["name"] = name;
  } else if (deposit->parsed() || withdraw->parsed()) {
    method = http::verb::post;
    path = "/admin/v1/accounts/" + std::to_string(account_id) +
           (deposit->parsed() ? "/deposits" : "/withdrawals");
    body = {{"asset", asset}, {"amount", amount}, {"reference", reference}};
  } else if (balances->parsed()) {
    path = "/admin/v1/accounts/" + std::to_string(account_id) + "/balances";
  } else if (ledger->parsed()) {
    path =
        "/admin/v1/accounts/" + std::to_string(account_id) + "/ledger?asset=" + url_encode(asset);
    if (limit != 0) path += "&limit=" + std::to_string(limit);
  } else if (health->parsed()) {
    path = "/readyz";
  }

  std::string error;
  const auto r =
      request(target, method, path, body.is_null() ? std::string() : body.dump(), &error);
  if (!r) {
    std::fprintf(stderr, "spotctl: cannot reach spotd's admin endpoint at %s:%u: %s\n",
                 target.address.c_str(), static_cast<unsigned>(target.port), error.c_str());
    return kUnreachable;
  }
  if (health->parsed()) {
    const json j = json::parse(r->body, nullptr, false);
    if (as_json || j.is_discarded()) {
      std::printf("%s\n", r->body.c_str());
    } else {
      std::printf("status      %s\nmode        %s\n", field(j, "status").c_str(),
                  field(j, "mode").c_str());
      if (j.contains("reason")) std::printf("reason      %s\n", field(j, "reason").c_str());
      if (j.contains("postgres")) {
        const json& p = j["postgres"];
        for (const char* k : {"state", "breaker", "checkpoint", "durableSeq", "lagEvents",
                              "lagSeconds", "schemaVersion", "lastError"}) {
          std::printf("postgres.%-14s %s\n", k, field(p, k).c_str());
        }
      }
    }
    return r->status == 200 ? kOk : kFailed;
  }
  if (r->status == 422 && !as_json) {
    const int code = fail(*r);
    const json j = json::parse(r->body, nullptr, false);
    if (!j.is_discarded() && j.contains("entry")) print_entry(j["entry"]);
    return code;
  }
  if (r->status < 200 || r->status >= 300) return fail(*r);
  if (as_json) {
    std::printf("%s\n", r->body.c_str());
    return kOk;
  }
  const json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) {
    std::fprintf(stderr, "spotctl: spotd answered something that is not JSON: %s\n",
                 r->body.c_str());
    return kFailed;
  }
  if (list->parsed()) {
    std::vector<std::vector<std::string>> rows;
    for (const json& e : j["entries"]) {
      rows.push_back({field(e, "id"), field(e, "status"), field(e, "entity"), field(e, "entityId"),
                      field(e, "journalSeq"), field(e, "attempts"), field(e, "firstFailedAt"),
                      field(e, "sqlstate"), clip(field(e, "message"), 70)});
    }
    if (rows.empty()) {
      std::printf("no dead letters%s\n", status.empty() ? "" : (" with status " + status).c_str());
    } else {
      print_table({"ID", "STATUS", "ENTITY", "ENTITY_ID", "JOURNAL_SEQ", "ATTEMPTS",
                   "FIRST_FAILED_AT", "SQLSTATE", "MESSAGE"},
                  rows);
    }
    if (j.contains("next") && !j["next"].is_null()) {
      std::printf("more: spotctl dlq list --after %s\n", j["next"].dump().c_str());
    }
  } else if (show->parsed()) {
    print_entry(j);
  } else if (replay->parsed() && all) {
    std::printf("resolved %s, failed %s, skipped %s\n", field(j, "resolved").c_str(),
                field(j, "failed").c_str(), field(j, "skipped").c_str());
    for (const json& e : j["results"]) {
      if (field(e, "result") != "RESOLVED") {
        std::printf("  %s %s: %s\n", field(e, "id").c_str(), field(e, "result").c_str(),
                    field(e, "message").c_str());
      }
    }
    if (j.value("more", false)) std::printf("more PENDING entries remain: run it again\n");
    if (j.value("failed", 0) > 0) return kReplayRefused;
  } else if (replay->parsed()) {
    std::printf("dead letter %s replayed: %s\n", field(j, "id").c_str(),
                field(j, "status").c_str());
  } else if (discard->parsed()) {
    std::printf("dead letter %s discarded: %s\n", field(j, "id").c_str(), field(j, "note").c_str());
  } else if (create->parsed()) {
    std::printf("account %s created (%s)\napi key: %s\n", field(j, "accountId").c_str(),
                field(j, "name").c_str(), field(j, "apiKey").c_str());
    // The secret signs /api/v3 requests (docs/binance-api.md); none without a server key.
    if (j.contains("apiSecret")) std::printf("api secret: %s\n", field(j, "apiSecret").c_str());
    std::printf("(shown this once)\n");
  } else if (deposit->parsed() || withdraw->parsed()) {
    const bool in = field(j, "type") == "DEPOSIT";
    std::printf("%s of %s %s %s account %s%s: free %s, locked %s\n", in ? "deposit" : "withdrawal",
                field(j, "amount").c_str(), field(j, "asset").c_str(), in ? "to" : "from",
                field(j, "accountId").c_str(),
                j.value("replayed", false) ? " (already applied)" : "", field(j, "free").c_str(),
                field(j, "locked").c_str());
  } else if (balances->parsed()) {
    std::vector<std::vector<std::string>> rows;
    for (const json& b : j["balances"]) {
      rows.push_back({field(b, "asset"), field(b, "free"), field(b, "locked")});
    }
    print_table({"ASSET", "FREE", "LOCKED"}, rows);
  } else if (ledger->parsed()) {
    std::vector<std::vector<std::string>> rows;
    for (const json& e : j["entries"]) {
      rows.push_back({field(e, "journalSeq") + "." + field(e, "n"), field(e, "asset"),
                      field(e, "cause"), field(e, "deltaFree"), field(e, "deltaLocked"),
                      field(e, "orderId"), field(e, "tradeId"),
                      e["reference"].is_null() ? "" : field(e, "reference")});
    }
    if (rows.empty()) {
      std::printf("no balance changes\n");
    } else {
      print_table({"SEQ", "ASSET", "CAUSE", "FREE", "LOCKED", "ORDER", "TRADE", "REFERENCE"}, rows);
    }
  }
  return kOk;
}
