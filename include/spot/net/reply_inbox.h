// ReplyInbox: how replies produced on other threads (journal completions, maker
// fills) reach one connection's strand. The first item after the connection has
// taken the last batch asks the caller to post one task; items that arrive before
// that task runs join it, so a group commit that answers many requests of one
// connection costs that connection a single post.
#pragma once

#include <mutex>
#include <utility>
#include <vector>

namespace spot {

template <class Item>
class ReplyInbox {
 public:
  // From any thread. Returns true when the caller must post a task that calls take().
  bool push(Item item) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(item));
    return items_.size() == 1;
  }

  // On the connection's strand: everything pushed so far, in push order, into `out`,
  // which must be empty. The two vectors change places, so the pushers get `out`'s
  // buffer back: a connection that clears and reuses one vector allocates nothing.
  void take(std::vector<Item>& out) {
    std::lock_guard<std::mutex> lock(mutex_);
    out.swap(items_);
  }

 private:
  std::mutex mutex_;
  std::vector<Item> items_;
};

}  // namespace spot
