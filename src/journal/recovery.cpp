#include "spot/journal/recovery.h"

#include <chrono>

#include "spot/journal/journal.h"
#include "spot/journal/snapshot.h"

namespace spot {

Status recover_engine(FileSystem& fs, const std::string& dir, std::vector<SymbolSpec> symbols,
                      EngineLimits limits, RecoveredEngine* out) {
  *out = RecoveredEngine{};
  const auto t0 = std::chrono::steady_clock::now();
  LoadedSnapshot snapshot;
  Status s = load_newest_snapshot(fs, dir, std::move(symbols), limits, out->engine, &snapshot,
                                  &out->warning);
  if (!s.ok()) return s;
  out->snapshot_seq = snapshot.last_seq;
  const auto t1 = std::chrono::steady_clock::now();
  Engine& engine = *out->engine;
  const RecoveryResult r = recover_journal(
      fs, dir,
      [&engine](const JournalRecord& record) {
        engine.execute(record.command, record.request_id, record.time_ns);
      },
      snapshot.last_seq + 1);
  if (!r.status.ok()) return r.status;
  out->snapshot_seconds = std::chrono::duration<double>(t1 - t0).count();
  out->replay_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  out->next_seq = r.next_seq;
  out->records = r.records;
  out->truncated_bytes = r.truncated_bytes;
  return Status();
}

}  // namespace spot
