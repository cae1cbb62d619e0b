// Correlation ids: every request carries one from the socket to the journal record,
// the logs and (later) the database rows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spot {

// Returns `client_value` (a client's own X-Request-ID) when it passes
// is_safe_id(client_value, max_bytes), else a newly generated id (24 hex characters: a
// random per-process prefix and a counter; unique and cheap).
std::string correlation_id(std::string_view client_value, std::size_t max_bytes = 64);

}  // namespace spot
