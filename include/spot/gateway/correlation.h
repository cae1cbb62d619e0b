// Correlation ids: every request carries one from the socket to the journal record,
// the logs and (later) the database rows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spot {

// A client's own id (X-Request-ID) is kept when it is sane: 1 to `max_bytes`
// characters of [A-Za-z0-9._:-].
bool sane_correlation_id(std::string_view client_value, std::size_t max_bytes);

// Returns `client_value` when it is sane, else a newly generated id (24 hex
// characters: a random per-process prefix and a counter; unique and cheap).
std::string correlation_id(std::string_view client_value, std::size_t max_bytes = 64);

}  // namespace spot
