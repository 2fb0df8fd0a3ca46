// call_watchdog.cpp: the watchdog thread and its registry of running calls.
#include "adapters/call_watchdog.h"

#include <sys/socket.h>

namespace inventory {

CallWatchdog::Guard::~Guard() {
  if (watchdog_ == nullptr)
    return;
  std::lock_guard<std::mutex> lock(watchdog_->mutex_);
  watchdog_->calls_.erase(id_);
}

bool CallWatchdog::Guard::Fired() const {
  if (watchdog_ == nullptr)
    return false;
  std::lock_guard<std::mutex> lock(watchdog_->mutex_);
  const auto found = watchdog_->calls_.find(id_);
  return found != watchdog_->calls_.end() && found->second.fired;
}

CallWatchdog::CallWatchdog() : thread_([this] { Loop(); }) {}

CallWatchdog::~CallWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

CallWatchdog::Guard CallWatchdog::Watch(int socket, Clock::time_point deadline) {
  std::uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = ++next_id_;
    calls_[id] = Call{socket, deadline, false};
  }
  changed_.notify_all();
  return Guard(*this, id);
}

std::uint64_t CallWatchdog::Interventions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return interventions_;
}

void CallWatchdog::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    auto next = Clock::time_point::max();
    const auto now = Clock::now();
    for (auto& [id, call] : calls_) {
      if (call.fired)
        continue;
      if (call.deadline <= now) {
        ::shutdown(call.socket, SHUT_RDWR);
        call.fired = true;
        ++interventions_;
      } else if (call.deadline < next) {
        next = call.deadline;
      }
    }
    if (next == Clock::time_point::max())
      changed_.wait(lock);
    else
      changed_.wait_until(lock, next);
  }
}

}  // namespace inventory
