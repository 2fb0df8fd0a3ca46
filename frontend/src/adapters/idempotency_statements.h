// idempotency_statements.h: the statements of the Idempotency-Key store, shared by the store of
// single requests (postgres_idempotency_store.cpp) and the reservation batch, which claims and
// completes the keys of its requests in its own transaction, each step in one round trip.
#pragma once

#include <optional>
#include <pqxx/transaction_base>
#include <vector>

#include "domain/domain_error.h"
#include "domain/idempotency_store.h"

namespace inventory {

// What a claim found: the key is free for this request (then store its response before
// committing), a stored response to replay, or a refusal (IdempotencyKeyReused or
// IdempotencyKeyInUse).
struct KeyClaim {
  enum class Kind { Proceed, Replay, Refused };
  Kind kind = Kind::Proceed;
  StoredResponse stored;               // Replay
  std::optional<DomainError> refusal;  // Refused
};

// Claims one key for this transaction: nullopt when the request may run, the stored response for
// a repeat. Throws the refusal.
std::optional<StoredResponse> ClaimKey(pqxx::transaction_base& transaction, const IdempotencyClaim& claim);

// Claims many keys in one statement; one result per claim, in order. The keys must differ.
std::vector<KeyClaim> ClaimKeys(pqxx::transaction_base& transaction,
                                const std::vector<IdempotencyClaim>& claims);

// Stores first responses under their claimed keys, in the transaction of the change, in one
// statement.
void StoreResponses(pqxx::transaction_base& transaction, const std::vector<IdempotencyClaim>& claims,
                    const std::vector<StoredResponse>& responses);

}  // namespace inventory
