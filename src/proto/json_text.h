// JSON text written straight into a string, for the replies on the order paths (our
// API's and Binance's): compact, with nlohmann::json's escapes, and no document built
// first (a document of one order reply with one fill cost about a hundred heap
// allocations). Internal to the proto module.
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

namespace spot::proto::json_text {

// `s` as a JSON string, quoted and escaped as nlohmann::json's dump() escapes it.
void append_string(std::string& out, std::string_view s);

template <std::integral Int>
void append_number(std::string& out, Int n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

// A member: `key` as given (its separator, quoted name and colon: `,"side":`), then
// the value.
inline void append_text(std::string& out, std::string_view key, std::string_view text) {
  out += key;
  append_string(out, text);
}
template <std::integral Int>
void append_integer(std::string& out, std::string_view key, Int n) {
  out += key;
  append_number(out, n);
}
inline void append_bool(std::string& out, std::string_view key, bool b) {
  out += key;
  out += b ? "true" : "false";
}

}  // namespace spot::proto::json_text
