#include "spot/store/migrations.h"

#include <algorithm>
#include <stdexcept>

#include <pqxx/pqxx>

#include "spot/core/fnv.h"

namespace spot {

namespace {

// pg_advisory_xact_lock key: "spotd" in ASCII, then 1 for migrations.
constexpr std::int64_t kMigrationLock = 0x73706f7464'01;

// A refusal that is not a database error: the schema and this binary disagree.
struct SchemaMismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

std::uint64_t migration_checksum(std::string_view sql) {
  // Not FNV's own offset basis (a digit short of it) but the one every database that
  // applied a migration has recorded its checksum with: it stays.
  constexpr std::uint64_t kRecordedOffset = 1469598103934665603ull;
  return fnv1a(sql, kRecordedOffset);
}

DbError apply_migrations(PgSession& session, MigrationResult* result) {
  DbError error = session.run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
    tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    const pqxx::result rows = tx.exec("SELECT version, name, checksum FROM schema_version");
    int have = 0;
    for (const auto& row : rows) {
      const int version = row[0].as<int>();
      have = std::max(have, version);
      const Migration* known = nullptr;
      for (const Migration& m : migrations()) {
        if (m.version == version) known = &m;
      }
      if (known == nullptr) {
        throw SchemaMismatch("the database has schema version " + std::to_string(version) +
                             ", which this spotd does not know: it is older than the schema");
      }
      if (row[2].as<std::string>() != std::to_string(migration_checksum(known->sql))) {
        throw SchemaMismatch("migration " + std::to_string(version) + " (" +
                             std::string(known->name) +
                             ") differs from the one applied to the database");
      }
    }
    int applied = 0;
    for (const Migration& m : migrations()) {
      if (m.version <= have) continue;
      tx.exec(std::string(m.sql));
      tx.exec_params("INSERT INTO schema_version (version, name, checksum) VALUES ($1, $2, $3)",
                     m.version, std::string(m.name), std::to_string(migration_checksum(m.sql)));
      ++applied;
      have = m.version;
    }
    tx.commit();
    result->schema_version = have;
    result->applied = applied;
  });
  return error;
}

}  // namespace spot
