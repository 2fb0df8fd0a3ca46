// bounded_executor.cpp: the workers' loop, admission and the shutdown drain.
#include "execution/bounded_executor.h"

namespace inventory {

BoundedExecutor::BoundedExecutor(ExecutorSettings settings, const Clock& clock)
    : settings_(settings), clock_(clock) {
  counters_.workers = settings_.workers;
  counters_.capacity = settings_.queue_capacity;
  workers_.reserve(static_cast<std::size_t>(settings_.workers));
  for (int i = 0; i < settings_.workers; ++i)
    workers_.emplace_back([this] { Work(); });
}

BoundedExecutor::~BoundedExecutor() {
  Shutdown(std::chrono::milliseconds(0));
}

void BoundedExecutor::Submit(Job job) {
  std::optional<Refusal> refusal;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      refusal = Refusal::ShuttingDown;
      ++counters_.refused_shutdown;
    } else if (job.admission == Admission::Bounded && bounded_queue_.size() >= settings_.queue_capacity) {
      refusal = Refusal::QueueFull;
      ++counters_.refused_queue_full;
    } else {
      std::optional<Clock::TimePoint> deadline;
      if (job.max_wait)
        deadline = clock_.Now() + *job.max_wait;
      auto& queue = job.admission == Admission::Reserved ? reserved_queue_ : bounded_queue_;
      queue.push_back(Queued{std::move(job), deadline});
    }
  }
  if (refusal) {
    job.refuse(*refusal);
    return;
  }
  work_available_.notify_one();
}

void BoundedExecutor::Shutdown(std::chrono::milliseconds drain_budget) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    became_idle_.wait_for(lock, drain_budget, [this] { return Idle(); });
    refusing_ = true;
    stopping_ = true;
  }
  work_available_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable())
      worker.join();
  }
}

ExecutorStats BoundedExecutor::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  ExecutorStats stats = counters_;
  stats.busy = busy_;
  stats.queued = reserved_queue_.size() + bounded_queue_.size();
  return stats;
}

// Work is one worker's loop: take the oldest job, run or refuse it, until stopped and drained.
void BoundedExecutor::Work() {
  for (;;) {
    std::optional<Queued> queued;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_available_.wait(
          lock, [this] { return stopping_ || !reserved_queue_.empty() || !bounded_queue_.empty(); });
      auto& queue = !reserved_queue_.empty() ? reserved_queue_ : bounded_queue_;
      if (queue.empty())
        return;
      queued.emplace(std::move(queue.front()));
      queue.pop_front();
      ++busy_;
    }
    const auto refusal = RunOrRefuse(*queued);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
      if (!refusal)
        ++counters_.completed;
      else if (*refusal == Refusal::DeadlinePassed)
        ++counters_.refused_deadline;
      else if (*refusal == Refusal::NobodyWaiting)
        ++counters_.refused_client_gone;
      else
        ++counters_.refused_shutdown;
      if (Idle())
        became_idle_.notify_all();
    }
  }
}

bool BoundedExecutor::Idle() const {
  return reserved_queue_.empty() && bounded_queue_.empty() && busy_ == 0;
}

std::optional<Refusal> BoundedExecutor::RunOrRefuse(Queued& queued) {
  Job& job = queued.job;
  std::optional<Refusal> refusal;
  if (refusing_.load())
    refusal = Refusal::ShuttingDown;
  else if (queued.deadline && clock_.Now() > *queued.deadline)
    refusal = Refusal::DeadlinePassed;
  else if (job.still_wanted && !job.still_wanted())
    refusal = Refusal::NobodyWaiting;
  if (refusal)
    job.refuse(*refusal);
  else
    job.run();
  return refusal;
}

}  // namespace inventory
