// pistache_endpoint.h: an HTTP or HTTPS listener. Converts Pistache requests into HttpRequest, runs
// them through the RequestPipeline and writes each HttpResponse back when it is ready, possibly
// from a database worker. The only file that sees Pistache. The service runs one public listener
// and, optionally, an internal one (write and admin routes, usually with client certificates: mTLS).
// Slow clients are bounded by Pistache's header, body and keep-alive timeouts; connections past
// max_connections are answered 503 and closed.
#pragma once

#include <chrono>
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
  // Pistache measures these from the end of the previous request on the connection (or from
  // connect): a request must be read, and answered, within the header (and body) timeout; an idle
  // kept-alive connection is closed after the keep-alive timeout.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds keepalive_timeout{60000};
  std::size_t max_connections = 4096;
};

class PistacheEndpoint {
 public:
  PistacheEndpoint(RequestPipeline& pipeline, EndpointSettings settings);
  ~PistacheEndpoint();

  // Binds and serves on background threads; returns the bound port (useful with port 0).
  std::uint16_t Start();
  // Waits (at most budget) until every response handed to Pistache is written; true if so.
  bool WaitUntilWritten(std::chrono::milliseconds budget) const;
  // Stops accepting and closes every connection; responses not yet written are lost, so call it
  // once the pipeline has answered everything and WaitUntilWritten returned.
  void Stop();
  ConnectionStats Stats() const;

  struct Shared;  // state shared by the handler's per-thread clones

 private:
  RequestPipeline& pipeline_;
  EndpointSettings settings_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

}  // namespace inventory
