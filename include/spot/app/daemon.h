// Daemon: wires every module of spotd together and runs it until SIGTERM/SIGINT.
#pragma once

#include "spot/app/config.h"

namespace spot {

inline constexpr const char* kVersion = "0.2.0";

// Runs spotd; returns the process exit code (0 after a clean drain).
int run_daemon(const Config& config);

}  // namespace spot
