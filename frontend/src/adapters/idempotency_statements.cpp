// idempotency_statements.cpp: begin and complete, one key or many (as a jsonb array).
#include "adapters/idempotency_statements.h"

#include <nlohmann/json.hpp>
#include <pqxx/result>

#include "adapters/prepared_statements.h"

namespace inventory {
namespace {

// KeyClaimOfRow reads one row of inventory_idempotency_begin (outcome, status, body, media type).
KeyClaim KeyClaimOfRow(const pqxx::row& row, const IdempotencyClaim& claim) {
  KeyClaim result;
  const auto outcome = row[0].as<std::string>();
  if (outcome == "replay") {
    result.kind = KeyClaim::Kind::Replay;
    result.stored.status = row[1].as<int>();
    result.stored.body = row[2].is_null() ? "" : row[2].as<std::string>();
    result.stored.content_type = row[3].is_null() ? "" : row[3].as<std::string>();
  } else if (outcome == "mismatch") {
    result.kind = KeyClaim::Kind::Refused;
    result.refusal =
        DomainError(ErrorKind::IdempotencyKeyReused,
                    "the Idempotency-Key \"" + claim.key +
                        "\" was already used for a different request; use a new key for a new request");
  } else if (outcome == "in_progress") {
    result.kind = KeyClaim::Kind::Refused;
    result.refusal = DomainError(ErrorKind::IdempotencyKeyInUse,
                                 "a request with the Idempotency-Key \"" + claim.key +
                                     "\" is still being processed; retry when it has finished");
  }
  return result;
}

}  // namespace

std::optional<StoredResponse> ClaimKey(pqxx::transaction_base& transaction, const IdempotencyClaim& claim) {
  const auto claimed = KeyClaimOfRow(
      transaction.exec_prepared1(statement::kIdempotencyBegin, claim.subject, claim.key, claim.fingerprint),
      claim);
  switch (claimed.kind) {
    case KeyClaim::Kind::Proceed:
      return std::nullopt;
    case KeyClaim::Kind::Replay:
      return claimed.stored;
    case KeyClaim::Kind::Refused:
      break;
  }
  throw *claimed.refusal;
}

std::vector<KeyClaim> ClaimKeys(pqxx::transaction_base& transaction,
                                const std::vector<IdempotencyClaim>& claims) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& claim : claims)
    keys.push_back({{"subject", claim.subject}, {"key", claim.key}, {"fingerprint", claim.fingerprint}});
  const auto rows = transaction.exec_prepared(statement::kIdempotencyBeginMany, keys.dump());
  std::vector<KeyClaim> results;
  results.reserve(claims.size());
  for (std::size_t i = 0; i < rows.size() && i < claims.size(); ++i)
    results.push_back(KeyClaimOfRow(rows[static_cast<pqxx::result::size_type>(i)], claims[i]));
  if (results.size() != claims.size())
    throw DomainError(ErrorKind::Internal, "inventory_idempotency_begin answered " +
                                               std::to_string(rows.size()) + " of " +
                                               std::to_string(claims.size()) + " keys");
  return results;
}

void StoreResponses(pqxx::transaction_base& transaction, const std::vector<IdempotencyClaim>& claims,
                    const std::vector<StoredResponse>& responses) {
  if (claims.empty())
    return;
  nlohmann::json entries = nlohmann::json::array();
  for (std::size_t i = 0; i < claims.size(); ++i) {
    const auto& response = responses[i];
    entries.push_back(
        {{"subject", claims[i].subject},
         {"key", claims[i].key},
         {"fingerprint", claims[i].fingerprint},
         {"status", response.status},
         {"body", response.body.empty() ? nlohmann::json() : nlohmann::json(response.body)},
         {"content_type",
          response.content_type.empty() ? nlohmann::json() : nlohmann::json(response.content_type)}});
  }
  transaction.exec_prepared(statement::kIdempotencyCompleteMany, entries.dump());
}

}  // namespace inventory
