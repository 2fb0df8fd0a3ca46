// idempotent_route.cpp: claim, run through the store, answer (first or replayed).
#include "idempotency/idempotent_route.h"

#include <utility>

#include "auth/actor_context.h"
#include "idempotency/request_key.h"

namespace inventory {

std::optional<IdempotencyClaim> ClaimOf(const HttpRequest& request) {
  if (!request.idempotency_key)
    return std::nullopt;
  return IdempotencyClaim{
      CurrentActor().value_or(""), ParseIdempotencyKey(*request.idempotency_key),
      RequestFingerprint(request.method, request.raw_path, request.content_type, request.body)};
}

StoredResponse ToStoredResponse(const HttpResponse& response) {
  return StoredResponse{response.status, response.body.empty() ? "" : response.content_type, response.body};
}

HttpResponse ReplayedResponse(const StoredResponse& stored) {
  HttpResponse response;
  response.status = stored.status;
  response.content_type = stored.content_type;
  response.body = stored.body;
  response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

HttpResponse RunIdempotently(IdempotencyStore& store, const RouteHandler& handler,
                             const HttpRequest& request) {
  const auto claim = ClaimOf(request);
  if (!claim)
    return handler(request);
  std::optional<HttpResponse> first;
  const auto result = store.Run(*claim, [&] {
    first = handler(request);
    return ToStoredResponse(*first);
  });
  return result.replayed ? ReplayedResponse(result.response) : std::move(*first);
}

std::shared_ptr<const ReservationKey> ReservationKeyOf(
    const HttpRequest& request, std::function<HttpResponse(const ReservationOutcome&)> render) {
  auto claim = ClaimOf(request);
  if (!claim)
    return nullptr;
  return std::make_shared<const ReservationKey>(
      ReservationKey{std::move(*claim), [render = std::move(render)](const ReservationOutcome& outcome) {
                       return ToStoredResponse(render(outcome));
                     }});
}

}  // namespace inventory
