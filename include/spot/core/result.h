// Result<T>: a value or a RejectReason, for hot paths that must not throw.
#pragma once

#include <utility>

#include "spot/core/assert.h"
#include "spot/core/reject_reason.h"

namespace spot {

template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(RejectReason error) : error_(error) {   // NOLINT(google-explicit-constructor)
    SPOT_ASSERT(error != RejectReason::None, "result: an error Result names a reason");
  }

  bool ok() const { return error_ == RejectReason::None; }
  explicit operator bool() const { return ok(); }
  RejectReason error() const { return error_; }

  // REQUIRES: ok()
  const T& value() const& {
    SPOT_ASSERT(ok(), "result: value() only of an ok Result");
    return value_;
  }
  T&& value() && {
    SPOT_ASSERT(ok(), "result: value() only of an ok Result");
    return std::move(value_);
  }

 private:
  T value_{};
  RejectReason error_ = RejectReason::None;
};

}  // namespace spot
