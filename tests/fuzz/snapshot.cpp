// The snapshot loader (journal/snapshot.h, Engine::restore). The input is an engine
// state: write_snapshot frames it with its sequence number and CRC, as the snapshotter
// does, and the raw input is put beside it as a newer snapshot file (which almost
// always fails its CRC, so the loader must skip it and fall back). What must hold: the
// loader never crashes or reads out of bounds, and a state it accepts is a consistent
// engine that serializes back to a state that restores to the same engine.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz_support.h"
#include "spot/engine/engine.h"
#include "spot/journal/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string dir = "snapshots";
  spot::fuzz::MemoryFileSystem fs;
  FUZZ_CHECK(spot::write_snapshot(fs, dir, 1, input, 2).ok());
  fs.files[dir + "/" + spot::snapshot_name(2)] = input;

  const spot::EngineLimits limits = spot::fuzz::engine_limits();
  std::unique_ptr<spot::Engine> engine;
  spot::LoadedSnapshot loaded;
  std::string warning;
  FUZZ_CHECK(spot::load_newest_snapshot(fs, dir, spot::fuzz::symbol_specs(), limits, engine,
                                        &loaded, &warning)
                 .ok());
  FUZZ_CHECK(engine != nullptr);
  std::string why;
  FUZZ_CHECK(engine->check_invariants(&why));
  if (loaded.last_seq == 0) return 0;  // nothing accepted: an empty engine

  std::string once;
  engine->serialize(once);
  spot::Engine again(spot::fuzz::symbol_specs(), limits);
  FUZZ_CHECK(again.restore(once).ok());
  FUZZ_CHECK(again.state_hash() == engine->state_hash());
  std::string twice;
  again.serialize(twice);
  FUZZ_CHECK(once == twice);
  return 0;
}
