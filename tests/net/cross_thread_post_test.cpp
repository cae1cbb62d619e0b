// CrossThreadPool and post_across_threads: a post to a strand from another thread runs
// there, and in steady state its memory comes from blocks freed by earlier posts, on
// whichever thread they were freed.
#include "spot/net/cross_thread_post.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace spot {
namespace {

namespace asio = boost::asio;

TEST(CrossThreadPool, ABlockFreedOnAnotherThreadIsTakenAgain) {
  CrossThreadPool& pool = CrossThreadPool::instance();
  void* block = pool.allocate(64);
  std::thread([&] { pool.deallocate(block, 64); }).join();
  EXPECT_EQ(pool.allocate(100), block);  // the newest free block, whatever was asked
  pool.deallocate(block, 100);
}

TEST(CrossThreadPool, ALargerRequestGoesToTheHeap) {
  CrossThreadPool& pool = CrossThreadPool::instance();
  const std::size_t free_before = pool.free_blocks();
  const std::uint64_t made_before = pool.blocks_made();
  void* big = pool.allocate(CrossThreadPool::kBlockBytes + 1);
  pool.deallocate(big, CrossThreadPool::kBlockBytes + 1);
  EXPECT_EQ(pool.free_blocks(), free_before);
  EXPECT_EQ(pool.blocks_made(), made_before);
}

TEST(CrossThreadPost, RunsOnTheStrandAndReusesItsMemory) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  const auto strand = asio::make_strand(io);
  const asio::any_io_executor executor = strand;  // as a socket holds it
  auto post_and_wait = [&] {
    std::promise<bool> ran;
    post_across_threads(executor, [&] { ran.set_value(strand.running_in_this_thread()); });
    return ran.get_future().get();
  };
  ASSERT_TRUE(post_and_wait());  // warm-up: the first posts may make blocks
  ASSERT_TRUE(post_and_wait());
  const CrossThreadPool& pool = CrossThreadPool::instance();
  const std::uint64_t taken = pool.blocks_taken();
  const std::uint64_t made = pool.blocks_made();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(post_and_wait());
  // Every post took its memory from the pool (the strand's operation, and the
  // scheduler's when the strand was idle), and each post's blocks were freed on the io thread and taken again here:
  // none new (a post still being torn down on the io thread may hold one or two).
  EXPECT_GE(pool.blocks_taken() - taken, 1000u);
  EXPECT_LE(pool.blocks_made(), made + 2);
  guard.reset();
  runner.join();
}

}  // namespace
}  // namespace spot
