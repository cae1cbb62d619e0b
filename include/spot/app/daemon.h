// Daemon: wires every module of spotd together and runs it until SIGTERM/SIGINT.
#pragma once

#include "spot/app/config.h"
#include "spot/app/version.h"  // generated: kVersion, kCommit

namespace spot {

// Runs spotd; returns the process exit code (0 after a clean drain).
int run_daemon(const Config& config);

// Replays config.journal.dir into a fresh engine, as start-up does (a torn tail is
// truncated), and prints {"records":N,"stateHash":"...","truncatedBytes":N}: for
// checking a recovered spotd against a clean replay of the same journal. Returns 0,
// or 1 if the journal cannot be replayed.
int replay_journal_only(const Config& config);

}  // namespace spot
