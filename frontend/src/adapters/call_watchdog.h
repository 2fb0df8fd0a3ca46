// call_watchdog.h: a bound on every database call of the background workers. libpq waits for an
// answer without a timeout of its own, and statement_timeout only helps while the server can still
// talk: a peer that stops answering (a frozen proxy, a half-dead network path whose packets are
// still acknowledged) would hold the calling thread forever. The watchdog shuts down the socket of
// a call that outlives its deadline, so libpq fails the call at once with a broken connection.
// One thread serves every registered call; a call is registered only while it runs, under a mutex
// shared with the shutdown, so a socket is never touched once its call has returned.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace inventory {

class CallWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  // Watches one call while it is alive.
  class Guard {
   public:
    Guard(CallWatchdog& watchdog, std::uint64_t id) : watchdog_(&watchdog), id_(id) {}
    Guard(Guard&& other) noexcept : watchdog_(other.watchdog_), id_(other.id_) { other.watchdog_ = nullptr; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;
    ~Guard();
    // Whether the deadline passed and the socket was shut down.
    bool Fired() const;

   private:
    CallWatchdog* watchdog_;
    std::uint64_t id_;
  };

  CallWatchdog();
  ~CallWatchdog();
  CallWatchdog(const CallWatchdog&) = delete;
  CallWatchdog& operator=(const CallWatchdog&) = delete;

  // Watch shuts the socket down if the returned guard is still alive at deadline.
  Guard Watch(int socket, Clock::time_point deadline);
  std::uint64_t Interventions() const;

 private:
  struct Call {
    int socket;
    Clock::time_point deadline;
    bool fired;
  };
  void Loop();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::uint64_t, Call> calls_;
  std::uint64_t next_id_ = 0;
  std::uint64_t interventions_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace inventory
