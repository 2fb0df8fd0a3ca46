// pistache_endpoint.h: an HTTP or HTTPS listener. Converts Pistache requests into HttpRequest, runs
// them through the RequestPipeline and writes the HttpResponse back. The only file that sees
// Pistache. The service runs one public listener and, optionally, an internal one (write and admin
// routes, usually with client certificates: mTLS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "handlers/request_pipeline.h"

namespace Pistache::Http {
class Endpoint;
}

namespace inventory {

struct TlsSettings {
  std::string certificate_file;  // PEM server certificate (chain)
  std::string key_file;          // PEM private key
  std::string client_ca_file;    // non-empty: require client certificates signed by this CA (mTLS)
};

struct EndpointSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 4;
  std::size_t max_body_bytes = 1024 * 1024;
  int retry_after_seconds = 2;
  std::optional<TlsSettings> tls;  // unset: plain HTTP
  bool internal = false;           // requests are marked as arriving on the internal listener
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
