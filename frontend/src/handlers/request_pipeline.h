// request_pipeline.h: what every request goes through, independent of the HTTP library: request id,
// routing (404/405), body limit (413), media type (415), percent-decoding, query parameter checks,
// authentication and scopes (401/403, auth/request_authorizer.h), the handler with the caller as
// the actor of its changes, error translation through problem_mapper, one log line and the
// metrics. While the service drains for shutdown it refuses new work with 503, so in-flight
// requests can finish.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include "auth/request_authorizer.h"
#include "handlers/http_message.h"
#include "handlers/router.h"
#include "observability/json_logger.h"
#include "observability/metrics.h"

namespace inventory {

struct PipelineSettings {
  std::size_t max_body_bytes = 1024 * 1024;
  int retry_after_seconds = 2;
};

class RequestPipeline {
 public:
  // While draining is true, requests other than the probes get 503 and the connection closes.
  // With authentication off (the default authorizer), /ready carries a warning saying so.
  RequestPipeline(const Router& router, Metrics& metrics, JsonLogger& logger, PipelineSettings settings,
                  const std::atomic<bool>& draining,
                  const RequestAuthorizer& authorizer = RequestAuthorizer::AuthenticationOff());

  // request.request_id holds the client's X-Request-Id header (possibly empty); the response
  // always carries the id used in an X-Request-Id header.
  HttpResponse Handle(HttpRequest request);
  int InFlight() const { return in_flight_.load(); }

 private:
  HttpResponse Dispatch(HttpRequest& request, std::string& route_label, std::string& subject);

  const Router& router_;
  Metrics& metrics_;
  JsonLogger& logger_;
  const PipelineSettings settings_;
  const std::atomic<bool>& draining_;
  const RequestAuthorizer& authorizer_;
  std::atomic<int> in_flight_{0};
};

// A client's request id is kept when it is 1..128 characters of [A-Za-z0-9._:-]; otherwise a
// random UUID replaces it.
std::string AcceptOrGenerateRequestId(const std::string& offered);

}  // namespace inventory
