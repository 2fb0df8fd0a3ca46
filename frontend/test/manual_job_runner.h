// manual_job_runner.h: a JobRunner that keeps submitted jobs until the test runs or refuses them,
// so tests decide exactly when a batch "is in the database" and when it returns.
#pragma once

#include <cstddef>
#include <deque>
#include <stdexcept>

#include "execution/job.h"

namespace inventory::testing {

class ManualJobRunner final : public JobRunner {
 public:
  void Submit(Job job) override {
    if (refuse_everything) {
      job.refuse(Refusal::ShuttingDown);
      return;
    }
    jobs.push_back(std::move(job));
  }

  // Runs the oldest job (which may submit more).
  void RunNext() {
    if (jobs.empty())
      throw std::logic_error("no job to run");
    Job job = std::move(jobs.front());
    jobs.pop_front();
    job.run();
  }
  // Refuses the oldest job as a stopping executor would.
  void RefuseNext(Refusal refusal) {
    Job job = std::move(jobs.front());
    jobs.pop_front();
    job.refuse(refusal);
  }
  std::size_t Pending() const { return jobs.size(); }

  bool refuse_everything = false;  // a stopped executor: every Submit is refused at once
  std::deque<Job> jobs;
};

}  // namespace inventory::testing
