// Crash points: named places where a test can have the process kill itself with SIGKILL
// (as a power cut, the OOM killer or kill -9 would), to prove that recovery holds from
// exactly that moment: a segment half rolled, a snapshot renamed but not yet pruned, a
// batch committed to PostgreSQL whose success was never noted. RocksDB's kill points
// serve the same purpose.
//
// Off unless the environment has SPOT_TEST_CRASH_AT=<name>:<n>: then the n-th time the
// named point is passed, the process writes "crash point <name> reached" to stderr and
// raises SIGKILL. Off, a point costs a load and a compare.
#pragma once

#include <string_view>

namespace spot {

// The points, where they are: journal.appended (a batch appended, not yet fsynced),
// journal.rolled (a new segment opened, the directory not yet synced), snapshot.written
// (the temp file written, not renamed), snapshot.renamed (renamed, nothing pruned yet),
// snapshot.pruned (an old file of a retention pass removed, more to go), projector.committed
// (a batch committed to PostgreSQL, before the projector notes it).
void crash_point(std::string_view name);

}  // namespace spot
