// problem_mapper.cpp: ErrorKind -> status, type and title.
#include "handlers/problem_mapper.h"

#include <nlohmann/json.hpp>

#include "handlers/json_mapping.h"

namespace inventory {

int StatusOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::MalformedRequest:
      return 400;
    case ErrorKind::NotFound:
      return 404;
    case ErrorKind::MethodNotAllowed:
      return 405;
    case ErrorKind::InsufficientStock:
    case ErrorKind::InvalidTransition:
    case ErrorKind::IdempotencyConflict:
    case ErrorKind::IdempotencyKeyInUse:
    case ErrorKind::BelowReserved:
    case ErrorKind::Conflict:
      return 409;
    case ErrorKind::PayloadTooLarge:
      return 413;
    case ErrorKind::UnsupportedMediaType:
      return 415;
    case ErrorKind::InvalidValue:
    case ErrorKind::IdempotencyKeyReused:
      return 422;
    case ErrorKind::Unavailable:
    case ErrorKind::Overloaded:
      return 503;
    case ErrorKind::ClientGone:
      return 499;  // nginx's "client closed request": only the request log sees it
    case ErrorKind::Internal:
      return 500;
  }
  return 500;
}

std::string ProblemTypeOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::MalformedRequest:
      return "/problems/malformed-request";
    case ErrorKind::InvalidValue:
      return "/problems/invalid-value";
    case ErrorKind::NotFound:
      return "/problems/not-found";
    case ErrorKind::MethodNotAllowed:
      return "/problems/method-not-allowed";
    case ErrorKind::InsufficientStock:
      return "/problems/insufficient-stock";
    case ErrorKind::InvalidTransition:
      return "/problems/invalid-transition";
    case ErrorKind::IdempotencyConflict:
      return "/problems/idempotency-conflict";
    case ErrorKind::IdempotencyKeyReused:
      return "/problems/idempotency-key-reused";
    case ErrorKind::IdempotencyKeyInUse:
      return "/problems/idempotency-key-in-use";
    case ErrorKind::BelowReserved:
      return "/problems/stock-below-reserved";
    case ErrorKind::Conflict:
      return "/problems/conflict";
    case ErrorKind::PayloadTooLarge:
      return "/problems/payload-too-large";
    case ErrorKind::UnsupportedMediaType:
      return "/problems/unsupported-media-type";
    case ErrorKind::Unavailable:
      return "/problems/database-unavailable";
    case ErrorKind::Overloaded:
      return "/problems/overloaded";
    case ErrorKind::ClientGone:
      return "/problems/client-gone";
    case ErrorKind::Internal:
      return "/problems/internal-error";
  }
  return "/problems/internal-error";
}

std::string TitleOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::MalformedRequest:
      return "Malformed request";
    case ErrorKind::InvalidValue:
      return "Invalid value";
    case ErrorKind::NotFound:
      return "Not found";
    case ErrorKind::MethodNotAllowed:
      return "Method not allowed";
    case ErrorKind::InsufficientStock:
      return "Insufficient stock";
    case ErrorKind::InvalidTransition:
      return "Invalid state transition";
    case ErrorKind::IdempotencyConflict:
      return "Idempotency conflict";
    case ErrorKind::IdempotencyKeyReused:
      return "Idempotency-Key reused";
    case ErrorKind::IdempotencyKeyInUse:
      return "Idempotency-Key in use";
    case ErrorKind::BelowReserved:
      return "Stock below reserved";
    case ErrorKind::Conflict:
      return "Conflict";
    case ErrorKind::PayloadTooLarge:
      return "Payload too large";
    case ErrorKind::UnsupportedMediaType:
      return "Unsupported media type";
    case ErrorKind::Unavailable:
      return "Database unavailable";
    case ErrorKind::Overloaded:
      return "Service overloaded";
    case ErrorKind::ClientGone:
      return "Client closed request";
    case ErrorKind::Internal:
      return "Internal error";
  }
  return "Internal error";
}

HttpResponse ProblemResponse(const DomainError& error, const std::string& instance,
                             const std::string& request_id, int retry_after_seconds) {
  const int status = StatusOf(error.kind());
  nlohmann::json body = {
      {"type", ProblemTypeOf(error.kind())},
      {"title", TitleOf(error.kind())},
      {"status", status},
      {"detail", status == 500 ? "the service failed; the request id identifies the log line"
                               : std::string(error.what())},
      {"instance", instance},
      {"request_id", request_id}};
  if (error.kind() == ErrorKind::InsufficientStock) {
    nlohmann::json shortages = nlohmann::json::array();
    for (const auto& shortage : error.shortages()) {
      shortages.push_back({{"product_id", shortage.product_id},
                           {"warehouse", shortage.warehouse ? nlohmann::json(*shortage.warehouse) : nullptr},
                           {"requested", shortage.requested},
                           {"available", shortage.available}});
    }
    body["shortages"] = shortages;
  }
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  response.body = Dump(body);
  if (status == 503)
    response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return response;
}

}  // namespace inventory
