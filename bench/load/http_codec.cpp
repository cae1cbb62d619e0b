#include "bench/load/http_codec.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>

namespace spot::bench::load {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class T>
bool parse_uint(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The JSON string literal of `s` (symbol names are plain, but stay correct anyway).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

std::optional<Decimal> positive_decimal(const nlohmann::json& v) {
  if (!v.is_string()) return std::nullopt;
  auto d = parse_decimal(v.get<std::string>());
  if (!d || d.value().mantissa <= 0) return std::nullopt;
  return d.value();
}

}  // namespace

std::optional<std::vector<SymbolInfo>> parse_exchange_info(std::string_view body,
                                                           std::string* error) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("symbols") ||
      !doc["symbols"].is_array()) {
    *error = "exchangeInfo: expected an object with a \"symbols\" array";
    return std::nullopt;
  }
  std::vector<SymbolInfo> out;
  for (const auto& s : doc["symbols"]) {
    if (!s.is_object() || !s.contains("symbol") || !s["symbol"].is_string() ||
        !s.contains("tickSize") || !s.contains("lotSize")) {
      *error = "exchangeInfo: a symbol lacks symbol/tickSize/lotSize";
      return std::nullopt;
    }
    const auto tick = positive_decimal(s["tickSize"]);
    const auto lot = positive_decimal(s["lotSize"]);
    if (!tick || !lot) {
      *error = "exchangeInfo: tickSize/lotSize must be positive decimal strings";
      return std::nullopt;
    }
    out.push_back({s["symbol"].get<std::string>(), *tick, *lot});
  }
  if (out.empty()) {
    *error = "exchangeInfo: no symbols";
    return std::nullopt;
  }
  return out;
}

HttpParse parse_http_response(std::string_view data, const HttpLimits& limits, HttpResponse& out) {
  const std::size_t header_end = data.find("\r\n\r\n");
  if (header_end == std::string_view::npos) {
    return data.size() > limits.max_header_bytes ? HttpParse::Bad : HttpParse::NeedMore;
  }
  if (header_end + 4 > limits.max_header_bytes) return HttpParse::Bad;
  const std::string_view head = data.substr(0, header_end);

  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return HttpParse::Bad;
  }
  int status = 0;
  if (!parse_uint(status_line.substr(9, 3), status) || status < 100 || status > 999 ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return HttpParse::Bad;
  }

  std::optional<std::size_t> content_length;
  bool close = status_line[7] == '0';  // HTTP/1.0 closes unless told otherwise
  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return HttpParse::Bad;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::size_t n = 0;
      if (!parse_uint(value, n) || (content_length && *content_length != n)) return HttpParse::Bad;
      content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      return HttpParse::Bad;
    } else if (iequals(name, "connection")) {
      if (icontains(value, "close")) close = true;
      if (icontains(value, "keep-alive")) close = false;
    }
  }
  const bool bodiless = status < 200 || status == 204 || status == 304;
  if (!content_length) {
    if (!bodiless) return HttpParse::Bad;
    content_length = 0;
  }
  if (*content_length > limits.max_body_bytes) return HttpParse::Bad;
  const std::size_t body_start = header_end + 4;
  if (data.size() - body_start < *content_length) return HttpParse::NeedMore;
  out.status = status;
  out.body = data.substr(body_start, *content_length);
  out.close = close;
  out.size_bytes = body_start + *content_length;
  return HttpParse::Complete;
}

std::optional<std::uint64_t> find_order_id(std::string_view body) {
  constexpr std::string_view kKey = "\"orderId\"";
  const std::size_t at = body.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t i = at + kKey.size();
  auto skip_space = [&] {
    while (i < body.size() &&
           (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) {
      ++i;
    }
  };
  skip_space();
  if (i >= body.size() || body[i] != ':') return std::nullopt;
  ++i;
  skip_space();
  const bool quoted = i < body.size() && body[i] == '"';
  if (quoted) ++i;
  const std::size_t digits = i;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
  if (quoted && (i >= body.size() || body[i] != '"')) return std::nullopt;
  std::uint64_t id = 0;
  if (!parse_uint(body.substr(digits, i - digits), id)) return std::nullopt;
  return id;
}

HttpRequestWriter::HttpRequestWriter(std::string host_header, std::string api_key,
                                     std::vector<SymbolInfo> symbols)
    : host_header_(std::move(host_header)),
      api_key_(std::move(api_key)),
      symbols_(std::move(symbols)) {}

std::string HttpRequestWriter::order_body(const Op& op, std::uint64_t client_id) const {
  const SymbolInfo& sym = symbols_[op.symbol % symbols_.size()];
  const bool market = op.kind == OpKind::Market;
  std::string body = "{\"symbol\":";
  append_json_string(body, sym.name);
  body += op.side == Side::Buy ? ",\"side\":\"BUY\"" : ",\"side\":\"SELL\"";
  body += market ? ",\"type\":\"MARKET\"" : ",\"type\":\"LIMIT\"";
  body += op.kind == OpKind::GtcLimit ? ",\"timeInForce\":\"GTC\"" : ",\"timeInForce\":\"IOC\"";
  body += ",\"quantity\":\"";
  body += format_steps(op.qty, sym.lot);
  if (!market) {
    body += "\",\"price\":\"";
    body += format_steps(op.price, sym.tick);
  }
  body += "\",\"clientOrderId\":\"w";
  body += std::to_string(client_id);
  body += "\"}";
  return body;
}

void HttpRequestWriter::order(const Op& op, std::uint64_t client_id, std::string& out) const {
  const std::string body = order_body(op, client_id);
  out += "POST /api/v1/orders HTTP/1.1\r\nHost: ";
  out += host_header_;
  out += "\r\nX-API-Key: ";
  out += api_key_;
  out += "\r\nContent-Type: application/json\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
}

void HttpRequestWriter::cancel(std::uint64_t server_order_id, std::string& out) const {
  out += "DELETE /api/v1/orders/";
  out += std::to_string(server_order_id);
  out += " HTTP/1.1\r\nHost: ";
  out += host_header_;
  out += "\r\nX-API-Key: ";
  out += api_key_;
  out += "\r\n\r\n";
}

void HttpRequestWriter::get_order(std::uint64_t server_order_id, std::string& out) const {
  get("/api/v1/orders/" + std::to_string(server_order_id), host_header_, out, api_key_);
}

// Symbol names of exchangeInfo are used as they are: spotd's names (BTC-USDT) need no
// percent-encoding.
void HttpRequestWriter::open_orders(std::uint32_t symbol, std::string& out) const {
  get("/api/v1/openOrders?symbol=" + symbols_[symbol % symbols_.size()].name, host_header_, out,
      api_key_);
}

void HttpRequestWriter::depth(std::uint32_t symbol, std::uint32_t limit, std::string& out) const {
  get("/api/v1/depth?symbol=" + symbols_[symbol % symbols_.size()].name +
          "&limit=" + std::to_string(limit),
      host_header_, out, api_key_);
}

void HttpRequestWriter::get(std::string_view target, std::string_view host_header, std::string& out,
                            std::string_view api_key) {
  out += "GET ";
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += host_header;
  if (!api_key.empty()) {
    out += "\r\nX-API-Key: ";
    out += api_key;
  }
  out += "\r\nAccept: application/json\r\n\r\n";
}

}  // namespace spot::bench::load
