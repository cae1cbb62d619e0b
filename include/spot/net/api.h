// The trader HTTP API (DESIGN.md §5): routes, JSON codecs, and the mapping of
// RejectReason to HTTP status and error code.
#pragma once

#include <string>
#include <string_view>

#include "spot/engine/commands.h"
#include "spot/engine/matcher.h"
#include "spot/net/http_server.h"
#include "spot/net/intake.h"

namespace spot {

struct HttpError {
  unsigned status;
  int code;
  std::string_view msg;
};

// Stable mapping; the codes follow the widely used Binance-style numbering.
HttpError http_error(RejectReason reason);

// Parses a POST /api/v1/orders body. On failure returns the error to send.
struct ParsedOrder {
  std::optional<HttpError> error;
  std::string error_msg;                     // detail naming the bad field
  RejectReason reason = RejectReason::None;  // for metrics
  SubmitOrder order;
};
ParsedOrder parse_order_json(std::string_view body, const Matcher& symbols);

std::string order_json(const OrderRecord& order, const SymbolSpec& spec,
                       const std::vector<Fill>* fills);

class ApiHandler final : public HttpHandler {
 public:
  // `symbols` is read concurrently but never changes after start-up.
  ApiHandler(Intake& intake, const Matcher& symbols);
  void handle(HttpRequest& request, const std::string& request_id, Respond respond) override;

 private:
  std::optional<AccountId> authenticate(const HttpRequest& request, const std::string& route,
                                        const std::string& request_id, Respond& respond);
  bool rate_limited(AccountId account, const std::string& route, const std::string& request_id,
                    Respond& respond);
  void dispatch(CommandBody body, const std::string& route, const std::string& request_id,
                Respond respond, std::function<HttpResponse(Reply&&)> render);
  void reply(Respond& respond, const std::string& route, HttpResponse&& response);

  Intake& intake_;
  const Matcher& symbols_;
  std::string exchange_info_;
};

}  // namespace spot
