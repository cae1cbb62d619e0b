// Daemon: wires every module of spotd together and runs it until SIGTERM/SIGINT.
#pragma once

#include "spot/app/config.h"
#include "spot/app/version.h"  // generated: kVersion, kCommit

namespace spot {

class FileSystem;

// spotd's main: parses the command line (file, SPOT_* environment, flags) and runs the
// daemon or the replay on `fs` (the real one in spotd; tests inject faults).
int spotd_main(int argc, char** argv, FileSystem& fs);

// Runs spotd; returns the process exit code (0 after a clean drain).
int run_daemon(const Config& config, FileSystem& fs);

// Replays config.journal.dir into a fresh engine, as start-up does (a torn tail is
// truncated), and prints {"records":N,"stateHash":"...","truncatedBytes":N}: for
// checking a recovered spotd against a clean replay of the same journal. Returns 0,
// or 1 if the journal cannot be replayed.
int replay_journal_only(const Config& config, FileSystem& fs);

}  // namespace spot
