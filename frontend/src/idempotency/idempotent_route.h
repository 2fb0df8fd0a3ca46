// idempotent_route.h: the Idempotency-Key behaviour of mutating routes. Without the header a
// route's handler runs as before. With it, the handler runs through the IdempotencyStore: its change
// and its response are stored together under (caller's subject, key) with the request's
// fingerprint; a repeat gets the stored response with Idempotent-Replayed: true and changes
// nothing; the same key with another request is 422, a repeat while the first runs is 409. A
// request that fails stores nothing, so a retry with the same key runs again. The request pipeline
// applies it to every mutating route that runs on a database worker; POST /v1/reservations, whose
// requests are decided in batches, carries the key into its batch (ReservationKeyOf).
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "domain/idempotency_store.h"
#include "domain/reservation_key.h"
#include "handlers/http_message.h"

namespace inventory {

using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

// Runs handler for request: directly without the header, through store with it. The caller's
// subject is the actor of the request (auth/actor_context.h); empty without one.
HttpResponse RunIdempotently(IdempotencyStore& store, const RouteHandler& handler,
                             const HttpRequest& request);

// The key of a reservation request sent with the header, with the response a granted outcome
// gets (render); nullptr without the header.
std::shared_ptr<const ReservationKey> ReservationKeyOf(
    const HttpRequest& request, std::function<HttpResponse(const ReservationOutcome&)> render);

// The claim of a request that carries the header, or nullopt without it. Throws DomainError
// MalformedRequest (400) for a malformed key.
std::optional<IdempotencyClaim> ClaimOf(const HttpRequest& request);

StoredResponse ToStoredResponse(const HttpResponse& response);
// A stored response as sent again, marked Idempotent-Replayed: true.
HttpResponse ReplayedResponse(const StoredResponse& stored);

}  // namespace inventory
