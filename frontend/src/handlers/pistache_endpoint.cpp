// pistache_endpoint.cpp: Pistache glue. Pistache 0.0.5 answers "Connection: Close" to an HTTP/1.1
// request without a Connection header, although HTTP/1.1 defaults to keep-alive; we answer
// keep-alive instead, so such clients do not reconnect for every request.
// Pistache's request buffer is the body limit plus room for headers, so a body over the limit
// normally reaches the pipeline and gets a problem+json 413. Only a request larger than the whole
// buffer is refused by Pistache itself, with a plain-text 413 (its onInput is private in 0.0.5).
// TLS is Pistache's (built with PISTACHE_USE_SSL): useSSL for HTTPS, useSSLAuth to require client
// certificates signed by the configured CA; a client without one fails the handshake.
#include "handlers/pistache_endpoint.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <csignal>

namespace inventory {
namespace {

using namespace Pistache;

// Headers that Pistache has no class for (it writes only typed headers).
class NamedHeader : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& stream) const override { stream << value_; }
  std::uint64_t hash() const override { return 0; }

 private:
  std::string name_;
  std::string value_;
};

// Room for the request line and headers on top of the body limit.
constexpr std::size_t kHeaderAllowance = 64 * 1024;

Http::Code CodeOf(int status) {
  return static_cast<Http::Code>(status);
}

void WriteResponse(const HttpResponse& response, Http::ResponseWriter& writer) {
  for (const auto& [name, value] : response.headers)
    writer.headers().add(std::make_shared<NamedHeader>(name, value));
  if (!response.content_type.empty())
    writer.setMime(Http::Mime::MediaType::fromString(response.content_type));
  writer.send(CodeOf(response.status), response.body);
}

class PipelineHandler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(PipelineHandler)

  PipelineHandler(RequestPipeline& pipeline, bool internal) : pipeline_(pipeline), internal_(internal) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    HttpRequest plain;
    plain.method = Http::methodString(request.method());
    plain.raw_path = request.resource();
    for (auto it = request.query().parameters_begin(); it != request.query().parameters_end(); ++it) {
      plain.raw_query.emplace_back(it->first, it->second);
    }
    if (const auto content_type = request.headers().tryGetRaw("Content-Type")) {
      plain.content_type = content_type->value();
    }
    if (const auto request_id = request.headers().tryGetRaw("X-Request-Id"))
      plain.request_id = request_id->value();
    if (const auto authorization = request.headers().tryGetRaw("Authorization"))
      plain.authorization = authorization->value();
    plain.internal_listener = internal_;
    plain.body = request.body();

    const bool keep_alive_by_default =
        request.version() == Http::Version::Http11 && !request.headers().tryGetRaw("Connection");
    const auto response = pipeline_.Handle(std::move(plain));
    if (response.close_connection || keep_alive_by_default) {
      writer.headers().remove<Http::Header::Connection>();
      writer.headers().add<Http::Header::Connection>(
          response.close_connection ? Http::ConnectionControl::Close : Http::ConnectionControl::KeepAlive);
    }
    WriteResponse(response, writer);
  }

 private:
  RequestPipeline& pipeline_;
  bool internal_;
};

}  // namespace

PistacheEndpoint::PistacheEndpoint(RequestPipeline& pipeline, EndpointSettings settings)
    : pipeline_(pipeline), settings_(std::move(settings)) {}

PistacheEndpoint::~PistacheEndpoint() = default;

std::uint16_t PistacheEndpoint::Start() {
  // OpenSSL writes to the socket with write(), not send(MSG_NOSIGNAL): a client that goes away
  // during a TLS handshake or response would otherwise kill the whole process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  const std::size_t max_request_bytes = settings_.max_body_bytes + kHeaderAllowance;
  endpoint_ = std::make_unique<Http::Endpoint>(Address(settings_.host, Port(settings_.port)));
  endpoint_->init(Http::Endpoint::options()
                      .threads(settings_.threads)
                      .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                      .maxRequestSize(max_request_bytes));
  if (settings_.tls) {
    endpoint_->useSSL(settings_.tls->certificate_file, settings_.tls->key_file);
    if (!settings_.tls->client_ca_file.empty())
      endpoint_->useSSLAuth(settings_.tls->client_ca_file);
  }
  endpoint_->setHandler(std::make_shared<PipelineHandler>(pipeline_, settings_.internal));
  endpoint_->serveThreaded();
  return static_cast<std::uint16_t>(endpoint_->getPort());
}

void PistacheEndpoint::Stop() {
  if (endpoint_)
    endpoint_->shutdown();
}

}  // namespace inventory
