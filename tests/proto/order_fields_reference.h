// The reference for proto::http::read_order_fields: the members parse_order reads,
// taken from a nlohmann document of the body (as parse_order read them before it had
// a SAX pass of its own). Shared by the unit test and the http_order fuzz target, which
// both check that the two agree.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spot/proto/http_json.h"

namespace spot::proto::http {

inline OrderFields reference_order_fields(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  OrderFields f;
  if (j.is_discarded() || !j.is_object()) return f;
  f.object = true;
  const char* names[] = {"symbol",        "side",          "type",     "timeInForce",
                         "clientOrderId", "quoteOrderQty", "quantity", "price"};
  for (std::size_t i = 0; i < kOrderFields; ++i) {
    const auto it = j.find(names[i]);
    f.present[i] = it != j.end();
    if (f.present[i] && it->is_string()) f.text[i] = it->get<std::string>();
  }
  return f;
}

}  // namespace spot::proto::http
