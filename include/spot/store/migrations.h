// The database schema: versioned SQL migrations (migrations/NNN_name.sql, built into
// spotd), applied in one transaction under an advisory lock and recorded in
// schema_version.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "spot/store/postgres.h"

namespace spot {

struct Migration {
  int version = 0;
  std::string_view name;
  std::string_view sql;
};

// Every migration, in version order.
const std::vector<Migration>& migrations();

// FNV-1a 64 of a migration's text, recorded beside it: a migration edited after it was
// applied is refused rather than silently diverging.
std::uint64_t migration_checksum(std::string_view sql);

struct MigrationResult {
  int schema_version = 0;  // after applying
  int applied = 0;         // migrations this call applied
};

// Applies the migrations the database does not have yet, all in one transaction.
// A second spotd doing the same waits for the first on a transaction-scoped advisory
// lock (up to lock_timeout, then fails), then finds them applied. Fails (a Data-kind
// error with a message saying why) if the database has a migration this spotd does
// not know, or one whose text differs from this spotd's.
DbError apply_migrations(PgSession& session, MigrationResult* result);

}  // namespace spot
