// The HTTP/1.1 side of the load generator, free of I/O: request texts, an incremental
// response parser (Content-Length bodies only, as spotd sends), and the few JSON fields
// the client reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/workload/workload.h"
#include "spot/core/decimal.h"

namespace spot::bench::load {

// One entry of GET /api/v1/exchangeInfo.
struct SymbolInfo {
  std::string name;
  Decimal tick;  // tickSize
  Decimal lot;   // lotSize
};

// The symbols in the order the server lists them. nullopt (and *error) when the body is
// not the expected JSON, a size is not a positive decimal, or there are no symbols.
std::optional<std::vector<SymbolInfo>> parse_exchange_info(std::string_view body,
                                                           std::string* error);

struct HttpLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
};

enum class HttpParse { Complete, NeedMore, Bad };

struct HttpResponse {
  int status = 0;
  std::string_view body;       // points into the parsed data
  bool close = false;          // "Connection: close": no more responses on this connection
  std::size_t size_bytes = 0;  // header + body: what to consume
};

// Parses the response at the start of `data`. Bad: malformed, over a limit, or a body
// without Content-Length (chunked is not supported; spotd always sends the length).
HttpParse parse_http_response(std::string_view data, const HttpLimits& limits, HttpResponse& out);

// The value of the top-level-looking "orderId" field (number or numeric string).
std::optional<std::uint64_t> find_order_id(std::string_view body);

// Builds the requests of one run. W1 symbol s is symbols[s % symbols.size()]; ticks and
// lots become decimal strings on that symbol's grid.
class HttpRequestWriter {
 public:
  // REQUIRES: !symbols.empty().
  HttpRequestWriter(std::string host_header, std::string api_key, std::vector<SymbolInfo> symbols);

  // POST /api/v1/orders with clientOrderId "w<client_id>". REQUIRES: op is not a cancel.
  void order(const Op& op, std::uint64_t client_id, std::string& out) const;
  // DELETE /api/v1/orders/<server_order_id>.
  void cancel(std::uint64_t server_order_id, std::string& out) const;

  // The reads of the mixed mode, with the API key: GET /api/v1/orders/<id>,
  // GET /api/v1/openOrders?symbol=<name> and GET /api/v1/depth?symbol=<name>&limit=<n>.
  // Symbol s is symbols[s % symbols.size()], as for orders.
  void get_order(std::uint64_t server_order_id, std::string& out) const;
  void open_orders(std::uint32_t symbol, std::string& out) const;
  void depth(std::uint32_t symbol, std::uint32_t limit, std::string& out) const;
  std::size_t symbol_count() const { return symbols_.size(); }

  // A bare GET (for exchangeInfo, /metrics, /readyz), with X-API-Key when api_key is not
  // empty.
  static void get(std::string_view target, std::string_view host_header, std::string& out,
                  std::string_view api_key = {});

  // The JSON body of order(); exposed for tests.
  std::string order_body(const Op& op, std::uint64_t client_id) const;

 private:
  std::string host_header_;
  std::string api_key_;
  std::vector<SymbolInfo> symbols_;
};

}  // namespace spot::bench::load
