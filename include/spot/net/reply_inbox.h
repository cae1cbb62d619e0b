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

  // On the connection's strand: everything pushed so far, in push order.
  std::vector<Item> take() {
    std::vector<Item> out;
    std::lock_guard<std::mutex> lock(mutex_);
    out.swap(items_);
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<Item> items_;
};

}  // namespace spot
