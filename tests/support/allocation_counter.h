// Heap allocations made so far by the whole process (every thread): a test binary that
// links allocation_counter.cpp has its global operator new replaced by a counting one.
#pragma once

#include <cstdint>

namespace spot::test {

std::uint64_t allocations();

}  // namespace spot::test
