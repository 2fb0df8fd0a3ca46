// pipeline_test_support.h: runs one request through a RequestPipeline whose database work runs
// inline (inline_job_runner.h) and returns its response.
#pragma once

#include <optional>
#include <stdexcept>
#include <utility>

#include "handlers/request_pipeline.h"

namespace inventory::testing {

inline HttpResponse HandleNow(RequestPipeline& pipeline, HttpRequest request) {
  std::optional<HttpResponse> answer;
  pipeline.Handle(std::move(request), [&answer](HttpResponse response) { answer = std::move(response); });
  if (!answer)
    throw std::logic_error("the pipeline did not answer before Handle returned");
  return std::move(*answer);
}

}  // namespace inventory::testing
