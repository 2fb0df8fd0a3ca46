// request_pipeline.h: what every request goes through, independent of the HTTP library: request id,
// routing (404/405), body limit (413), media type (415), percent-decoding, query parameter checks,
// authentication and scopes (401/403, auth/request_authorizer.h), the handler with the caller as
// the actor of its changes, error translation through problem_mapper, one log line and the
// metrics. Handlers of database routes run on the executor's workers (execution/), so an I/O
// thread never waits for the database: the response is handed back through a callback when the
// work completes. While the service drains for shutdown it refuses new work with 503, so
// in-flight requests can finish.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auth/request_authorizer.h"
#include "execution/job.h"
#include "handlers/http_message.h"
#include "handlers/router.h"
#include "observability/json_logger.h"
#include "observability/metrics.h"

namespace inventory {

struct PipelineSettings {
  std::size_t max_body_bytes = 1024 * 1024;
  int retry_after_seconds = 2;
  std::chrono::milliseconds queue_timeout{2000};  // longest wait for a database worker, then 503
};

class RequestPipeline {
 public:
  using Respond = std::function<void(HttpResponse)>;

  // database_work runs the handlers of DatabaseWorker routes. While draining is true, requests
  // other than the probes get 503 and the connection closes. With authentication off (the default
  // authorizer), /ready carries a warning saying so.
  RequestPipeline(const Router& router, Metrics& metrics, JsonLogger& logger, PipelineSettings settings,
                  const std::atomic<bool>& draining, JobRunner& database_work,
                  const RequestAuthorizer& authorizer = RequestAuthorizer::AuthenticationOff());

  // request.request_id holds the client's X-Request-Id header (possibly empty); the response
  // always carries the id used in an X-Request-Id header. respond is called exactly once: before
  // Handle returns when no database work is needed, later from a database worker otherwise.
  void Handle(HttpRequest request, Respond respond);
  // Requests received and not yet answered (queued, running or waiting for a batch).
  int InFlight() const { return in_flight_.load(); }

 private:
  struct Exchange;

  void Dispatch(HttpRequest& request, const std::shared_ptr<Exchange>& exchange);
  // Runs the route's handler where its placement says.
  void Start(const Route& route, HttpRequest& request, const std::shared_ptr<Exchange>& exchange,
             const std::optional<std::string>& actor);
  HttpResponse FailureResponse(std::exception_ptr failure, const Exchange& exchange);
  // The last step of every request: headers, metrics, log line, then the answer.
  void Finish(Exchange& exchange, HttpResponse response);

  const Router& router_;
  Metrics& metrics_;
  JsonLogger& logger_;
  const PipelineSettings settings_;
  const std::atomic<bool>& draining_;
  JobRunner& database_work_;
  const RequestAuthorizer& authorizer_;
  std::atomic<int> in_flight_{0};
};

// A client's request id is kept when it is 1..128 characters of [A-Za-z0-9._:-]; otherwise a
// random UUID replaces it.
std::string AcceptOrGenerateRequestId(const std::string& offered);

}  // namespace inventory
