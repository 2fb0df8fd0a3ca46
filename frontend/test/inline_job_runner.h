// inline_job_runner.h: a JobRunner for unit tests that runs every job at once on the submitting
// thread, so a request through the pipeline is answered before Handle returns.
#pragma once

#include "execution/job.h"

namespace inventory::testing {

class InlineJobRunner final : public JobRunner {
 public:
  void Submit(Job job) override { job.run(); }
};

}  // namespace inventory::testing
