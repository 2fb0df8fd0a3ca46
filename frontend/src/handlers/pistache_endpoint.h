// pistache_endpoint.h: the HTTP server. Converts Pistache requests into HttpRequest, runs them
// through the RequestPipeline and writes the HttpResponse back. The only file that sees Pistache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "handlers/request_pipeline.h"

namespace Pistache::Http {
class Endpoint;
}

namespace inventory {

struct EndpointSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 4;
  std::size_t max_body_bytes = 1024 * 1024;
  int retry_after_seconds = 2;
};

class PistacheEndpoint {
 public:
  PistacheEndpoint(RequestPipeline& pipeline, EndpointSettings settings);
  ~PistacheEndpoint();

  // Binds and serves on background threads; returns the bound port (useful with port 0).
  std::uint16_t Start();
  // Stops accepting and closes connections once the handlers running now have answered.
  void Stop();

 private:
  RequestPipeline& pipeline_;
  EndpointSettings settings_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

}  // namespace inventory
