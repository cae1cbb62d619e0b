// The config loader (app/config.h): TOML text through load_config_text, the parser of
// load_config_file, then validate_config as spotd runs them. What must hold: any text
// is either refused with an error naming a key or accepted, never a crash; and an
// accepted config that validates has every symbol within the engine's rules.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "spot/app/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  spot::Config config;
  if (const auto error = spot::load_config_text(config, text, "fuzz.toml")) {
    FUZZ_CHECK(!error->key.empty());
    return 0;
  }
  if (spot::validate_config(config)) return 0;
  FUZZ_CHECK(!config.symbols.empty());
  for (const spot::SymbolSpec& s : config.symbols) {
    FUZZ_CHECK(s.min_price <= s.max_price && s.min_qty <= s.max_qty);
  }
  // The engine spotd would build from it accepts the symbols (SymbolTable REQUIREs
  // unique names; asset tables are derived here).
  const spot::SymbolTable table(config.symbols);
  FUZZ_CHECK(table.size() == config.symbols.size());
  return 0;
}
