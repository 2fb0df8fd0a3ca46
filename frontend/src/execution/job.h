// job.h: a unit of database work handed to the executor, and the interface of whatever runs jobs.
// A job either runs or is refused, exactly once: refused at once when the queue is full, or by the
// worker that takes it when it waited past its deadline, when nobody waits for its answer any more,
// or when the service shuts down. A refused job never touches the database.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

namespace inventory {

enum class Refusal {
  QueueFull,       // the queue was at capacity when the job arrived
  DeadlinePassed,  // the job waited in the queue past its deadline
  NobodyWaiting,   // the client went away while the job waited
  ShuttingDown,    // the executor stopped before the job could run
};

// Bounded jobs count against the queue's capacity. Reserved jobs are bounded by their submitter
// (the coalescer has at most one batch per lane), so a full queue of requests never refuses them.
enum class Admission { Bounded, Reserved };

struct Job {
  std::function<void()> run;                          // on a worker; must not throw
  std::function<void(Refusal)> refuse;                // instead of run; must not throw
  std::optional<std::chrono::milliseconds> max_wait;  // waited longer in the queue: DeadlinePassed
  std::function<bool()> still_wanted;                 // optional; false: refuse with NobodyWaiting
  Admission admission = Admission::Bounded;
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Queues job, or refuses it (before returning) when it cannot be queued.
  virtual void Submit(Job job) = 0;
};

// A short word for a refusal, for logs and metric labels.
const char* RefusalName(Refusal refusal);

}  // namespace inventory
