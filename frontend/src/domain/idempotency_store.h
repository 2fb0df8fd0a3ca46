// idempotency_store.h: what a request sent with an Idempotency-Key needs from storage. The first
// request's response is stored with its change, in one transaction; a repeat gets the stored
// response back instead of running again. Plain data and one interface: the PostgreSQL adapter
// implements it on inventory_idempotency_begin / _complete, unit tests fake it.
#pragma once

#include <functional>
#include <string>

namespace inventory {

// Who sent the key, the key, and a fingerprint of the request it was sent with.
struct IdempotencyClaim {
  std::string subject;  // the caller's identity; empty without authentication
  std::string key;
  std::string fingerprint;
};

// A response as it is stored and replayed.
struct StoredResponse {
  int status = 200;
  std::string content_type;  // empty for a response without a body
  std::string body;
};

struct IdempotentResult {
  StoredResponse response;
  bool replayed = false;  // the stored response of an earlier request, nothing ran now
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // Runs change (the request's work, whose database calls join the transaction) and stores the
  // response it returns under the claim, in one transaction; or returns the stored response of a
  // first request with the same claim without running change. Throws DomainError
  // IdempotencyKeyReused when the key belongs to another request, IdempotencyKeyInUse when a
  // request with the key runs right now. When change throws, nothing is stored and the
  // exception goes on: the key stays free for a retry.
  virtual IdempotentResult Run(const IdempotencyClaim& claim, const std::function<StoredResponse()>& change) = 0;
};

}  // namespace inventory
