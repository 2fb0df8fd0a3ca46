// pistache_endpoint.cpp: Pistache glue. Facts of Pistache 0.0.5 this file relies on (read in its
// source, src/common/http.cc and transport.cc):
// - ResponseWriter is movable and may send from any thread: send() formats the response in the
//   writer and pushes it onto the transport's write queue (a multi-producer queue with an eventfd);
//   the connection's I/O thread writes it. The writer holds the connection only weakly, and
//   send() checks it racily (expired() then an unchecked lock()), so a worker holds the connection
//   for the length of each send; once the client has gone the connection is destroyed and its
//   answer is dropped. The write queue addresses connections by descriptor number only: a client
//   that disconnects during those few microseconds while a new client is accepted on the same
//   descriptor number could in principle receive the other's answer (Pistache queues its own
//   handlers' answers the same way). send() also marks the connection idle (a plain flag Pistache's
//   timer reads).
// - onRequest's Request is reset when onRequest returns, so everything is copied out first.
// - Pistache answers "Connection: Close" to an HTTP/1.1 request without a Connection header,
//   although HTTP/1.1 defaults to keep-alive; we answer keep-alive instead, so such clients do not
//   reconnect for every request.
// - A connection can carry the next request (pipelining) before the previous one is answered;
//   answers are written in request order here. (Pistache itself drops a request that arrives in
//   the same read as the request before it: its parser discards the rest of the buffer.)
// - Every 500 ms Pistache closes connections whose current request has not been read, or not been
//   answered, within the header timeout (body timeout while reading a body), with a 408, and idle
//   kept-alive connections after the keep-alive timeout. The timeouts count from the end of the
//   previous request (or the connect).
// - It has no connection limit: onConnection counts connections (a token in the connection's data,
//   released when Pistache destroys the connection, however it ends) and, past the limit, answers
//   503 and shuts the socket down, which makes Pistache close it at once. onConnection is private
//   in Http::Handler, so the override installs the request parser itself, as the original does.
// Pistache's request buffer is the body limit plus room for headers, so a body over the limit
// normally reaches the pipeline and gets a problem+json 413. Only a request larger than the whole
// buffer is refused by Pistache itself, with a plain-text 413 (its onInput is private in 0.0.5).
// TLS is Pistache's (built with PISTACHE_USE_SSL): useSSL for HTTPS, useSSLAuth to require client
// certificates signed by the configured CA; a client without one fails the handshake.
#include "handlers/pistache_endpoint.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <sys/socket.h>

#include <atomic>
#include <csignal>
#include <deque>
#include <mutex>
#include <sstream>
#include <thread>

#include "handlers/problem_mapper.h"

namespace inventory {

struct PistacheEndpoint::Shared {
  std::size_t max_connections = 0;
  int retry_after_seconds = 2;
  std::atomic<std::int64_t> open{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::int64_t> unwritten{0};
};

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
// Connections waiting in the kernel to be accepted (Pistache's default is 128, too few for a burst).
constexpr int kListenBacklog = 1024;
constexpr const char* kOpenConnectionKey = "inventory.open_connection";
constexpr const char* kResponseOrderKey = "inventory.response_order";

Http::Code CodeOf(int status) {
  return static_cast<Http::Code>(status);
}

// OpenConnection is one connection's share of the limit, held in the connection's data.
class OpenConnection {
 public:
  explicit OpenConnection(std::shared_ptr<PistacheEndpoint::Shared> shared) : shared_(std::move(shared)) {
    ++shared_->open;
  }
  ~OpenConnection() { --shared_->open; }
  OpenConnection(const OpenConnection&) = delete;
  OpenConnection& operator=(const OpenConnection&) = delete;

  bool refused = false;

 private:
  std::shared_ptr<PistacheEndpoint::Shared> shared_;
};

// An answer a connection owes, in the order of its requests.
struct OwedResponse {
  OwedResponse(Http::ResponseWriter writer_, bool keep_alive_by_default_)
      : writer(std::move(writer_)), keep_alive_by_default(keep_alive_by_default_) {}

  Http::ResponseWriter writer;
  bool keep_alive_by_default;
  std::optional<HttpResponse> response;  // set when ready
};

// ResponseOrder writes a connection's answers in request order, whichever thread finishes them.
class ResponseOrder {
 public:
  std::shared_ptr<OwedResponse> Expect(Http::ResponseWriter writer, bool keep_alive_by_default) {
    auto owed = std::make_shared<OwedResponse>(std::move(writer), keep_alive_by_default);
    std::lock_guard<std::mutex> lock(mutex_);
    owed_.push_back(owed);
    return owed;
  }

  // Complete sets owed's response and writes every ready answer at the head of the line.
  void Complete(const std::shared_ptr<OwedResponse>& owed, HttpResponse response,
                const std::shared_ptr<PistacheEndpoint::Shared>& shared) {
    std::lock_guard<std::mutex> lock(mutex_);
    owed->response = std::move(response);
    while (!owed_.empty() && owed_.front()->response) {
      Write(*owed_.front(), shared);
      owed_.pop_front();
    }
  }

 private:
  static void Write(OwedResponse& owed, const std::shared_ptr<PistacheEndpoint::Shared>& shared) {
    auto& writer = owed.writer;
    // send() tests the connection with expired() and then uses lock() unchecked: from a worker the
    // connection could vanish in between (a crash). Holding it for the length of the send closes
    // that gap; a connection already gone gets nothing.
    const auto connection = writer.getPeer();
    if (!connection)
      return;
    const HttpResponse& response = *owed.response;
    if (response.close_connection || owed.keep_alive_by_default) {
      writer.headers().remove<Http::Header::Connection>();
      writer.headers().add<Http::Header::Connection>(
          response.close_connection ? Http::ConnectionControl::Close : Http::ConnectionControl::KeepAlive);
    }
    for (const auto& [name, value] : response.headers)
      writer.headers().add(std::make_shared<NamedHeader>(name, value));
    if (!response.content_type.empty())
      writer.setMime(Http::Mime::MediaType::fromString(response.content_type));
    ++shared->unwritten;
    writer.send(CodeOf(response.status), response.body)
        .then([shared](ssize_t) { --shared->unwritten; },
              [shared](std::exception_ptr) { --shared->unwritten; });
  }

  std::mutex mutex_;
  std::deque<std::shared_ptr<OwedResponse>> owed_;
};

// The 503 a connection over the limit gets before it is closed.
std::string TooManyConnectionsResponse(const PistacheEndpoint::Shared& shared) {
  const auto problem =
      ProblemResponse(DomainError(ErrorKind::Overloaded, "the service has its maximum of " +
                                                             std::to_string(shared.max_connections) +
                                                             " connections open; retry shortly"),
                      "", "", shared.retry_after_seconds);
  std::ostringstream text;
  text << "HTTP/1.1 503 Service Unavailable\r\nContent-Type: " << problem.content_type << "\r\n";
  for (const auto& [name, value] : problem.headers)
    text << name << ": " << value << "\r\n";
  text << "Connection: close\r\nContent-Length: " << problem.body.size() << "\r\n\r\n" << problem.body;
  return text.str();
}

class PipelineHandler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(PipelineHandler)

  PipelineHandler(RequestPipeline& pipeline, bool internal, std::shared_ptr<PistacheEndpoint::Shared> shared)
      : pipeline_(pipeline), internal_(internal), shared_(std::move(shared)) {}

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    peer->putData(Http::Handler::ParserData, std::make_shared<Http::RequestParser>(getMaxRequestSize()));
    auto open = std::make_shared<OpenConnection>(shared_);
    peer->putData(kOpenConnectionKey, open);
    peer->putData(kResponseOrderKey, std::make_shared<ResponseOrder>());
    if (static_cast<std::size_t>(shared_->open.load()) > shared_->max_connections) {
      open->refused = true;
      ++shared_->refused;
      if (peer->ssl() == nullptr) {
        const std::string answer = TooManyConnectionsResponse(*shared_);
        [[maybe_unused]] const auto sent =
            ::send(peer->fd(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      ::shutdown(peer->fd(), SHUT_RDWR);
    }
  }

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    const auto peer = writer.getPeer();
    if (!peer)
      return;
    const auto open = std::static_pointer_cast<OpenConnection>(peer->tryGetData(kOpenConnectionKey));
    if (!open || open->refused)
      return;
    const auto order = std::static_pointer_cast<ResponseOrder>(peer->getData(kResponseOrderKey));

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
    plain.client_waiting = [connection = std::weak_ptr<Tcp::Peer>(peer)] { return !connection.expired(); };

    const bool keep_alive_by_default =
        request.version() == Http::Version::Http11 && !request.headers().tryGetRaw("Connection");
    auto owed = order->Expect(std::move(writer), keep_alive_by_default);
    pipeline_.Handle(std::move(plain), [order, owed, shared = shared_](HttpResponse response) {
      order->Complete(owed, std::move(response), shared);
    });
  }

 private:
  RequestPipeline& pipeline_;
  bool internal_;
  std::shared_ptr<PistacheEndpoint::Shared> shared_;
};

}  // namespace

PistacheEndpoint::PistacheEndpoint(RequestPipeline& pipeline, EndpointSettings settings)
    : pipeline_(pipeline), settings_(std::move(settings)), shared_(std::make_shared<Shared>()) {
  shared_->max_connections = settings_.max_connections;
  shared_->retry_after_seconds = settings_.retry_after_seconds;
}

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
                      .backlog(kListenBacklog)
                      .maxRequestSize(max_request_bytes)
                      .headerTimeout(settings_.header_timeout)
                      .bodyTimeout(settings_.body_timeout)
                      .keepaliveTimeout(settings_.keepalive_timeout));
  if (settings_.tls) {
    endpoint_->useSSL(settings_.tls->certificate_file, settings_.tls->key_file);
    if (!settings_.tls->client_ca_file.empty())
      endpoint_->useSSLAuth(settings_.tls->client_ca_file);
  }
  endpoint_->setHandler(std::make_shared<PipelineHandler>(pipeline_, settings_.internal, shared_));
  endpoint_->serveThreaded();
  return static_cast<std::uint16_t>(endpoint_->getPort());
}

bool PistacheEndpoint::WaitUntilWritten(std::chrono::milliseconds budget) const {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (shared_->unwritten.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void PistacheEndpoint::Stop() {
  if (endpoint_)
    endpoint_->shutdown();
}

ConnectionStats PistacheEndpoint::Stats() const {
  return ConnectionStats{shared_->open.load(), shared_->refused.load(), shared_->unwritten.load()};
}

}  // namespace inventory
