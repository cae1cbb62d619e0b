// HandlerMemory: a connection's few fixed blocks for the memory Asio asks for when a
// task is posted to the connection's strand from another thread (the journal writer
// handing over replies, once per group commit). Asio allocates each posted task's
// operation through the handler's associated allocator; bound to a HandlerAllocator,
// those allocations take a free block here instead of the heap. A request that does
// not fit, or finds every block in use, falls back to operator new.
//
// Allocation and deallocation may happen on different threads (the poster and the
// strand), so a block's use is an atomic flag.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <new>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace spot {

class HandlerMemory {
 public:
  HandlerMemory() = default;
  HandlerMemory(const HandlerMemory&) = delete;
  HandlerMemory& operator=(const HandlerMemory&) = delete;

  void* allocate(std::size_t size) {
    if (size <= kBlockBytes) {
      for (Block& b : blocks_) {
        if (!b.in_use.load(std::memory_order_relaxed) &&
            !b.in_use.exchange(true, std::memory_order_acquire)) {
          return b.storage;
        }
      }
    }
    return ::operator new(size);
  }

  void deallocate(void* p) {
    for (Block& b : blocks_) {
      if (p == static_cast<void*>(b.storage)) {
        b.in_use.store(false, std::memory_order_release);
        return;
      }
    }
    ::operator delete(p);
  }

 private:
  // A post to a strand makes up to three allocations at once (the function, the
  // strand's operation, the scheduler's); one more block for a post that overlaps.
  static constexpr std::size_t kBlocks = 4;
  static constexpr std::size_t kBlockBytes = 256;
  struct Block {
    alignas(std::max_align_t) unsigned char storage[kBlockBytes];
    std::atomic<bool> in_use{false};
  };
  std::array<Block, kBlocks> blocks_;
};

// The allocator Asio uses for a handler bound to it (boost::asio::bind_allocator).
// REQUIRES: the HandlerMemory outlives every handler bound to it (a session's handler
// holds the session, which owns the memory).
template <class T>
class HandlerAllocator {
 public:
  using value_type = T;

  explicit HandlerAllocator(HandlerMemory& memory) : memory_(&memory) {}
  template <class U>
  HandlerAllocator(const HandlerAllocator<U>& other) noexcept  // NOLINT: rebinding
      : memory_(other.memory_) {}

  T* allocate(std::size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* p, std::size_t) { memory_->deallocate(p); }

  template <class U>
  bool operator==(const HandlerAllocator<U>& other) const noexcept {
    return memory_ == other.memory_;
  }

 private:
  template <class>
  friend class HandlerAllocator;
  HandlerMemory* memory_;
};

// Posts `f` to the connection's strand behind `executor`, with the post's memory from
// `memory`. The strand is reached by its own type (sockets are accepted on a strand of
// the io_context): through the type-erased executor Asio drops the handler's allocator
// and takes the memory from the heap.
template <class F>
void post_with_memory(HandlerMemory& memory, const boost::asio::any_io_executor& executor, F&& f) {
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  auto handler = boost::asio::bind_allocator(HandlerAllocator<char>(memory), std::forward<F>(f));
  if (const Strand* strand = executor.target<Strand>()) {
    boost::asio::post(*strand, std::move(handler));
  } else {
    boost::asio::post(executor, std::move(handler));
  }
}

}  // namespace spot
