// idempotent_route.h: the Idempotency-Key behaviour of a mutating route. Without the header the
// route's handler runs as before. With it, the handler runs through the IdempotencyStore: its change
// and its response are stored together under (caller's subject, key) with the request's
// fingerprint; a repeat gets the stored response with Idempotent-Replayed: true and changes
// nothing; the same key with another request is 422, a repeat while the first runs is 409. A
// request that fails stores nothing, so a retry with the same key runs again.
#pragma once

#include "domain/idempotency_store.h"
#include "handlers/router.h"

namespace inventory {

// The handler of a database route, made idempotent for requests that carry the header. The
// caller's subject is the actor of the request (auth/actor_context.h); empty without one.
Handler Idempotent(IdempotencyStore& store, Handler handler);

// The claim of a request that carries the header, or nullopt without it. Throws DomainError
// MalformedRequest (400) for a malformed key.
std::optional<IdempotencyClaim> ClaimOf(const HttpRequest& request);

StoredResponse ToStoredResponse(const HttpResponse& response);
// A stored response as sent again, marked Idempotent-Replayed: true.
HttpResponse ReplayedResponse(const StoredResponse& stored);

}  // namespace inventory
