// bounded_executor.h: the one place that owns the service's database threads. A fixed set of
// workers (as many as the connection pool has connections, so a worker never waits for one) takes
// jobs from a bounded FIFO queue. Past its capacity a job is refused at once; a job that waited
// past its deadline, or whose client has gone, is refused by the worker instead of being run.
// Reserved jobs (reservation batches: at most one per lane, each standing for many waiting
// requests) go before bounded ones; since there are fewer lanes than workers, the other jobs
// always keep workers of their own. Handlers hand it work and a completion; they never block on
// the database themselves.
//
// Threads: Submit is called from any thread (Pistache I/O threads, workers submitting follow-up
// work); run and refuse are called on a worker without the executor's lock held, except a
// QueueFull refusal, which runs on the submitting thread before Submit returns.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "execution/clock.h"
#include "execution/job.h"

namespace inventory {

struct ExecutorSettings {
  int workers = 8;
  std::size_t queue_capacity = 1024;  // bounded jobs waiting; reserved jobs come on top
};

struct ExecutorStats {
  int workers = 0;
  int busy = 0;            // workers running or refusing a job now
  std::size_t queued = 0;  // jobs waiting
  std::size_t capacity = 0;
  std::uint64_t completed = 0;  // jobs run
  std::uint64_t refused_queue_full = 0;
  std::uint64_t refused_deadline = 0;
  std::uint64_t refused_client_gone = 0;
  std::uint64_t refused_shutdown = 0;
};

class BoundedExecutor final : public JobRunner {
 public:
  BoundedExecutor(ExecutorSettings settings, const Clock& clock);
  // Shuts down without a drain budget: queued jobs are refused, running ones finish.
  ~BoundedExecutor() override;
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  void Submit(Job job) override;
  // Runs queued jobs (and the jobs they submit) for at most drain_budget, then refuses whatever
  // is still queued with ShuttingDown, waits for running jobs and joins the workers. Jobs
  // submitted afterwards are refused with ShuttingDown at once.
  void Shutdown(std::chrono::milliseconds drain_budget);
  ExecutorStats Stats() const;

 private:
  struct Queued {
    Job job;
    std::optional<Clock::TimePoint> deadline;  // from job.max_wait, counted from Submit
  };

  void Work();
  // Nothing queued and nothing running. Caller holds mutex_.
  bool Idle() const;
  // Runs job, or refuses it when it must not run any more; returns the refusal if any.
  std::optional<Refusal> RunOrRefuse(Queued& queued);

  const ExecutorSettings settings_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable became_idle_;
  std::deque<Queued> reserved_queue_;
  std::deque<Queued> bounded_queue_;
  int busy_ = 0;
  std::atomic<bool> refusing_{false};  // shutting down: refuse what is queued
  bool stopping_ = false;              // workers exit once the queue is empty
  ExecutorStats counters_;
  std::vector<std::thread> workers_;
};

}  // namespace inventory
