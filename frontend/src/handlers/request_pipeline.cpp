// request_pipeline.cpp: the steps of RequestPipeline::Handle, in order, and the hand-over of
// database work to the executor.
#include "handlers/request_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <variant>

#include "auth/actor_context.h"
#include "domain/domain_error.h"
#include "handlers/json_mapping.h"
#include "handlers/problem_mapper.h"
#include "handlers/url_codec.h"
#include "idempotency/idempotent_route.h"

namespace inventory {
namespace {

bool IsJsonMediaType(const std::string& media_type) {
  return media_type == "application/json";
}

bool IsImportMediaType(const std::string& media_type) {
  return media_type == "text/csv" || media_type == "application/x-ndjson" ||
         media_type == "application/jsonl" || media_type == "application/json-lines" ||
         media_type == "application/jsonlines";
}

void CheckMediaType(const Route& route, const HttpRequest& request) {
  switch (route.body) {
    case BodyKind::None:
      return;
    case BodyKind::OptionalJson:
      if (request.body.empty() || IsJsonMediaType(request.content_type))
        return;
      break;
    case BodyKind::Json:
      if (IsJsonMediaType(request.content_type))
        return;
      break;
    case BodyKind::Import:
      if (IsImportMediaType(request.content_type))
        return;
      throw DomainError(ErrorKind::UnsupportedMediaType,
                        "send text/csv (with a header row) or application/x-ndjson (JSON lines), not \"" +
                            request.content_type + "\"");
  }
  throw DomainError(ErrorKind::UnsupportedMediaType,
                    "send the body as application/json, not \"" + request.content_type + "\"");
}

// Decodes placeholders and query parameters, refusing bad escapes and unknown parameters.
void DecodeRequest(const Route& route, const std::vector<std::string>& raw_parameters, HttpRequest& request) {
  for (const auto& raw : raw_parameters) {
    auto decoded = PercentDecode(raw);
    if (!decoded)
      throw DomainError(ErrorKind::MalformedRequest, "the path has a malformed percent escape");
    request.path_parameters.push_back(std::move(*decoded));
  }
  for (const auto& [raw_name, raw_value] : request.raw_query) {
    auto name = PercentDecode(raw_name, true);
    auto value = PercentDecode(raw_value, true);
    if (!name || !value)
      throw DomainError(ErrorKind::MalformedRequest, "the query has a malformed percent escape");
    if (std::find(route.query_parameters.begin(), route.query_parameters.end(), *name) ==
        route.query_parameters.end()) {
      std::string known;
      for (const auto& parameter : route.query_parameters)
        known += (known.empty() ? "" : ", ") + parameter;
      throw DomainError(ErrorKind::InvalidValue,
                        "unknown query parameter \"" + *name + "\"" +
                            (known.empty() ? "; this route takes none" : "; known: " + known));
    }
    request.query[*name] = *value;
  }
}

// A 401 or 403 as problem+json, with the RFC 6750 challenge.
HttpResponse AccessDeniedResponse(const AccessDenied& denied, const std::string& instance,
                                  const std::string& request_id) {
  const bool unauthenticated = denied.status() == 401;
  const nlohmann::json body = {
      {"type", unauthenticated ? "/problems/unauthenticated" : "/problems/forbidden"},
      {"title", unauthenticated ? "Unauthenticated" : "Forbidden"},
      {"status", denied.status()},
      {"detail", denied.what()},
      {"instance", instance},
      {"request_id", request_id}};
  HttpResponse response;
  response.status = denied.status();
  response.content_type = "application/problem+json";
  response.body = Dump(body);
  if (!denied.www_authenticate().empty())
    response.headers.emplace_back("WWW-Authenticate", denied.www_authenticate());
  return response;
}

constexpr const char* kAuthenticationOffWarning =
    "authentication is off (AUTH_MODE=off): every client may read and change stock";

// /ready stays 200 with authentication off (the service works), but says so to whoever looks.
void AddAuthenticationOffWarning(HttpResponse& response) {
  response.headers.emplace_back("Warning",
                                std::string("299 inventory-svc \"") + kAuthenticationOffWarning + "\"");
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    body["warnings"] = nlohmann::json::array({kAuthenticationOffWarning});
    response.body = Dump(body);
  }
}

// Scope guard of Finish: the request stops counting as in flight however Finish leaves (a throwing
// log line, metric or answer), and only once when Finish runs again for the same request.
class InFlightRelease {
 public:
  InFlightRelease(std::atomic<int>& in_flight, std::atomic<bool>& released)
      : in_flight_(in_flight), released_(released) {}
  ~InFlightRelease() {
    if (!released_.exchange(true))
      --in_flight_;
  }
  InFlightRelease(const InFlightRelease&) = delete;
  InFlightRelease& operator=(const InFlightRelease&) = delete;

 private:
  std::atomic<int>& in_flight_;
  std::atomic<bool>& released_;
};

// Why a job never reached its handler, as the problem the client gets.
DomainError RefusalError(Refusal refusal, const PipelineSettings& settings) {
  switch (refusal) {
    case Refusal::QueueFull:
      return DomainError(ErrorKind::Overloaded,
                         "too many requests are waiting for the database; retry shortly");
    case Refusal::DeadlinePassed:
      return DomainError(ErrorKind::Overloaded, "the request waited longer than " +
                                                    std::to_string(settings.queue_timeout.count()) +
                                                    " ms for the database; retry shortly");
    case Refusal::NobodyWaiting:
      return DomainError(ErrorKind::ClientGone, "the client went away before the request was run");
    case Refusal::ShuttingDown:
      break;
  }
  return DomainError(ErrorKind::Unavailable, "the service is shutting down; retry on another instance");
}

}  // namespace

std::string AcceptOrGenerateRequestId(const std::string& offered) {
  const bool acceptable =
      !offered.empty() && offered.size() <= 128 && std::all_of(offered.begin(), offered.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
      });
  if (acceptable)
    return offered;
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const std::uint64_t high = generator();
  const std::uint64_t low = generator();
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0x0FFF),
                static_cast<unsigned>(((low >> 48) & 0x3FFF) | 0x8000),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return text;
}

// Exchange is one request from its arrival to its answer; it outlives Handle for deferred work.
struct RequestPipeline::Exchange {
  std::chrono::steady_clock::time_point started;
  std::string request_id;
  std::string method;
  std::string instance;  // the path, shortened, for problem bodies and logs
  std::string route_label = "unmatched";
  std::string subject;
  Respond respond;
  std::atomic<bool> released{false};  // no longer counted in flight (InFlightRelease)
};

RequestPipeline::RequestPipeline(const Router& router, Metrics& metrics, JsonLogger& logger,
                                 PipelineSettings settings, const std::atomic<bool>& draining,
                                 JobRunner& database_work, const RequestAuthorizer& authorizer,
                                 IdempotencyStore* idempotency)
    : router_(router),
      metrics_(metrics),
      logger_(logger),
      settings_(settings),
      draining_(draining),
      database_work_(database_work),
      authorizer_(authorizer),
      idempotency_(idempotency) {}

void RequestPipeline::Handle(HttpRequest request, Respond respond) {
  ++in_flight_;
  auto exchange = std::make_shared<Exchange>();
  exchange->started = std::chrono::steady_clock::now();
  exchange->respond = std::move(respond);
  request.request_id = AcceptOrGenerateRequestId(request.request_id);
  request.content_type = MediaTypeOf(request.content_type);
  exchange->request_id = request.request_id;
  exchange->method = request.method;
  exchange->instance = request.raw_path.substr(0, 512);
  try {
    Dispatch(request, exchange);
  } catch (...) {
    Finish(*exchange, FailureResponse(std::current_exception(), *exchange));
  }
}

void RequestPipeline::Dispatch(HttpRequest& request, const std::shared_ptr<Exchange>& exchange) {
  const auto match = router_.Match(request.method, request.raw_path);
  if (match.route == nullptr && !match.allowed_methods.empty()) {
    std::string allow;
    for (const auto& method : match.allowed_methods)
      allow += (allow.empty() ? "" : ", ") + method;
    auto response = ProblemResponse(
        DomainError(ErrorKind::MethodNotAllowed, request.method + " is not allowed here; use " + allow),
        exchange->instance, request.request_id, settings_.retry_after_seconds);
    response.headers.emplace_back("Allow", allow);
    Finish(*exchange, std::move(response));
    return;
  }
  if (match.route == nullptr) {
    throw DomainError(ErrorKind::NotFound,
                      "no route for " + request.method + " " + request.raw_path.substr(0, 200));
  }
  const std::string& route_label = match.route->pattern;
  exchange->route_label = route_label;
  if (draining_.load() && route_label != "/health" && route_label != "/ready" && route_label != "/metrics") {
    throw DomainError(ErrorKind::Unavailable, "the service is shutting down; retry on another instance");
  }
  // Authentication comes before any look at the body, so an anonymous caller learns nothing more.
  const auto principal =
      authorizer_.Authorize(request.method, route_label, request.authorization, request.internal_listener);
  std::optional<std::string> actor;
  if (principal) {
    exchange->subject = principal->subject;
    actor = principal->subject;
  }
  if (request.body.size() > settings_.max_body_bytes) {
    throw DomainError(ErrorKind::PayloadTooLarge, "the body has " + std::to_string(request.body.size()) +
                                                      " bytes, more than the " +
                                                      std::to_string(settings_.max_body_bytes) + " allowed");
  }
  CheckMediaType(*match.route, request);
  DecodeRequest(*match.route, match.raw_parameters, request);
  Start(*match.route, request, exchange, actor);
}

void RequestPipeline::Start(const Route& route, HttpRequest& request,
                            const std::shared_ptr<Exchange>& exchange,
                            const std::optional<std::string>& actor) {
  const ActorScope actor_scope(actor);
  if (route.deferred) {
    Reply reply([this, exchange](std::variant<HttpResponse, std::exception_ptr> outcome) {
      if (auto* response = std::get_if<HttpResponse>(&outcome))
        Finish(*exchange, std::move(*response));
      else
        Finish(*exchange, FailureResponse(std::get<std::exception_ptr>(outcome), *exchange));
    });
    try {
      route.deferred(request, reply);
    } catch (...) {
      reply.Fail(std::current_exception());
    }
    return;
  }
  if (route.placement == Placement::IoThread) {
    Finish(*exchange, route.handler(request));
    return;
  }
  auto moved = std::make_shared<HttpRequest>(std::move(request));
  Job job;
  job.run = [this, exchange, moved, actor, &route] {
    HttpResponse response;
    try {
      const ActorScope worker_actor_scope(actor);
      response = idempotency_ != nullptr && route.method != "GET"
                     ? RunIdempotently(*idempotency_, route.handler, *moved)
                     : route.handler(*moved);
    } catch (...) {
      response = FailureResponse(std::current_exception(), *exchange);
    }
    Finish(*exchange, std::move(response));
  };
  job.refuse = [this, exchange](Refusal refusal) {
    Finish(*exchange, FailureResponse(std::make_exception_ptr(RefusalError(refusal, settings_)), *exchange));
  };
  job.max_wait = settings_.queue_timeout;
  job.still_wanted = moved->client_waiting;
  database_work_.Submit(std::move(job));
}

HttpResponse RequestPipeline::FailureResponse(std::exception_ptr failure, const Exchange& exchange) {
  try {
    std::rethrow_exception(failure);
  } catch (const AccessDenied& denied) {
    return AccessDeniedResponse(denied, exchange.instance, exchange.request_id);
  } catch (const DomainError& error) {
    if (error.kind() == ErrorKind::Internal)
      logger_.Error("request failed", {{"request_id", exchange.request_id}, {"error", error.what()}});
    return ProblemResponse(error, exchange.instance, exchange.request_id, settings_.retry_after_seconds);
  } catch (const std::exception& error) {
    logger_.Error("request failed", {{"request_id", exchange.request_id}, {"error", error.what()}});
    return ProblemResponse(DomainError(ErrorKind::Internal, error.what()), exchange.instance,
                           exchange.request_id, settings_.retry_after_seconds);
  }
}

void RequestPipeline::Finish(Exchange& exchange, HttpResponse response) {
  const InFlightRelease release(in_flight_, exchange.released);
  if (exchange.route_label == "/ready" && !authorizer_.authentication_enabled())
    AddAuthenticationOffWarning(response);
  response.headers.emplace_back("X-Request-Id", exchange.request_id);
  response.close_connection = draining_.load();

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - exchange.started).count();
  metrics_.ObserveRequest(exchange.route_label, exchange.method, response.status, seconds);
  if (logger_.Enabled(LogLevel::Info)) {
    logger_.Info("request", {{"request_id", exchange.request_id},
                             {"method", exchange.method},
                             {"path", exchange.instance},
                             {"route", exchange.route_label},
                             {"subject", exchange.subject},
                             {"status", response.status},
                             {"duration_ms", seconds * 1000.0}});
  }
  exchange.respond(std::move(response));
}

}  // namespace inventory
