// InplaceFunction: a move-only callable, like std::function, that keeps the callable it
// holds inside itself (`Capacity` bytes) and never allocates. A callable that does not
// fit is a compile error, not a heap allocation: the per-order paths (a journal entry's
// completion) hold one per order, and must not allocate in steady state.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "spot/core/assert.h"

namespace spot {

template <class Signature, std::size_t Capacity>
class InplaceFunction;

template <class R, class... Args, std::size_t Capacity>
class InplaceFunction<R(Args...), Capacity> {
 public:
  InplaceFunction() = default;

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, InplaceFunction> &&
                                     std::is_invocable_r_v<R, D&, Args...>>>
  InplaceFunction(F&& f) {  // NOLINT: implicit, like std::function
    static_assert(sizeof(D) <= Capacity,
                  "InplaceFunction: the callable is larger than the capacity; raise it");
    static_assert(alignof(D) <= alignof(std::max_align_t),
                  "InplaceFunction: the callable is over-aligned");
    static_assert(std::is_nothrow_move_constructible_v<D>,
                  "InplaceFunction: the callable must move without throwing");
    ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
    ops_ = &kOps<D>;
  }

  InplaceFunction(InplaceFunction&& other) noexcept { take(other); }
  InplaceFunction& operator=(InplaceFunction&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  InplaceFunction(const InplaceFunction&) = delete;
  InplaceFunction& operator=(const InplaceFunction&) = delete;
  ~InplaceFunction() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }

  // REQUIRES: holds a callable.
  R operator()(Args... args) {
    SPOT_ASSERT(ops_ != nullptr, "InplaceFunction: called while empty");
    return ops_->call(storage_, std::forward<Args>(args)...);
  }

  void reset() {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    R (*call)(void*, Args&&...);
    void (*move)(void* to, void* from);  // move-constructs at `to`, destroys `from`
    void (*destroy)(void*);
  };
  template <class D>
  static constexpr Ops kOps = {
      [](void* p, Args&&... args) -> R {
        return (*static_cast<D*>(p))(std::forward<Args>(args)...);
      },
      [](void* to, void* from) {
        ::new (to) D(std::move(*static_cast<D*>(from)));
        static_cast<D*>(from)->~D();
      },
      [](void* p) { static_cast<D*>(p)->~D(); },
  };

  void take(InplaceFunction& other) {
    if (other.ops_ == nullptr) return;
    other.ops_->move(storage_, other.storage_);
    ops_ = other.ops_;
    other.ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char storage_[Capacity];
  const Ops* ops_ = nullptr;
};

}  // namespace spot
