// Posting to a connection's strand from another thread without a heap allocation each
// time. The matching thread hands each connection the replies of a group commit with
// one post; Asio takes that post's memory (the task, the strand's operation and the
// scheduler's) through the handler's associated allocator. Its default recycles blocks
// per thread, which a post from another thread defeats: the blocks are taken on the
// poster's thread and freed on the strand's, so the poster allocates every time.
//
// CrossThreadPool is one free list of fixed blocks for every thread. It is created on
// first use and never destroyed, so a block can be freed after the connection that
// posted it is gone. (An earlier pool owned by each connection was taken out for that:
// the strand's operation outlived the connection it was allocated from.) A TCP
// connection's reads and writes take their operations' memory here too: their
// completions may run on the other network thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace spot {

class CrossThreadPool {
 public:
  // A request up to this size takes a block; a larger one goes to the heap.
  static constexpr std::size_t kBlockBytes = 512;
  // Free blocks kept at most (2 MiB); past that a freed block goes back to the heap.
  static constexpr std::size_t kMaxFree = 4096;

  static CrossThreadPool& instance() {
    static CrossThreadPool* const pool = new CrossThreadPool;  // never destroyed
    return *pool;
  }

  CrossThreadPool(const CrossThreadPool&) = delete;
  CrossThreadPool& operator=(const CrossThreadPool&) = delete;

  void* allocate(std::size_t bytes) {
    if (bytes <= kBlockBytes) {
      blocks_taken_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        void* block = free_.back();
        free_.pop_back();
        return block;
      }
      bytes = kBlockBytes;  // a block, so that it can join the free list later
      blocks_made_.fetch_add(1, std::memory_order_relaxed);
    }
    return ::operator new(bytes);
  }

  void deallocate(void* p, std::size_t bytes) noexcept {
    if (bytes <= kBlockBytes) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (free_.size() < kMaxFree) {
        free_.push_back(p);  // within the capacity reserved: no allocation
        return;
      }
    }
    ::operator delete(p);
  }

  std::size_t free_blocks() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_.size();
  }
  // Blocks handed out so far, and of those the ones taken from the heap (what the free
  // list did not have).
  std::uint64_t blocks_taken() const { return blocks_taken_.load(std::memory_order_relaxed); }
  std::uint64_t blocks_made() const { return blocks_made_.load(std::memory_order_relaxed); }

 private:
  CrossThreadPool() { free_.reserve(kMaxFree); }

  mutable std::mutex mutex_;
  std::vector<void*> free_;
  std::atomic<std::uint64_t> blocks_taken_{0};
  std::atomic<std::uint64_t> blocks_made_{0};
};

// The allocator Asio uses for a handler bound to it (boost::asio::bind_allocator).
template <class T>
class CrossThreadAllocator {
 public:
  using value_type = T;
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                "CrossThreadPool's blocks have operator new's alignment");

  CrossThreadAllocator() noexcept = default;
  template <class U>
  CrossThreadAllocator(const CrossThreadAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(std::size_t n) {
    return static_cast<T*>(CrossThreadPool::instance().allocate(sizeof(T) * n));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    CrossThreadPool::instance().deallocate(p, sizeof(T) * n);
  }

  template <class U>
  bool operator==(const CrossThreadAllocator<U>&) const noexcept {
    return true;
  }
};

// Posts `f` to the strand behind `executor` (a connection's socket or stream), its
// memory from CrossThreadPool. The strand is reached by its own type (connections are
// accepted on a strand of the io_context): through the type-erased executor, Asio drops
// the handler's allocator and takes the memory from the heap.
template <class F>
void post_across_threads(const boost::asio::any_io_executor& executor, F&& f) {
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  auto handler = boost::asio::bind_allocator(CrossThreadAllocator<char>(), std::forward<F>(f));
  if (const Strand* strand = executor.target<Strand>()) {
    boost::asio::post(*strand, std::move(handler));
  } else {
    boost::asio::post(executor, std::move(handler));
  }
}

}  // namespace spot
