// keyed_reservation_batch.cpp: claim the keys, reserve the rest, store the granted responses.
#include "adapters/keyed_reservation_batch.h"

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "adapters/idempotency_statements.h"
#include "adapters/prepared_statements.h"
#include "adapters/reservation_batch_mapping.h"
#include "domain/reservation_key.h"

namespace inventory {
namespace {

// The outcome of each request decided by its key alone (replay or refusal); nullopt: it runs.
std::vector<std::optional<ReservationOutcome>> ClaimBatchKeys(
    pqxx::transaction_base& transaction, const std::vector<ReservationRequest>& requests) {
  std::vector<std::optional<ReservationOutcome>> decided(requests.size());
  std::vector<IdempotencyClaim> claims;
  std::vector<std::size_t> claimed;
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!requests[i].idempotency)
      continue;
    const auto& claim = requests[i].idempotency->claim;
    if (!seen.emplace(claim.subject, claim.key).second) {
      decided[i] = ReservationOutcome::Refused(DomainError(
          ErrorKind::IdempotencyKeyInUse, "a request with the Idempotency-Key \"" + claim.key +
                                              "\" is still being processed; retry when it has finished"));
      continue;
    }
    claims.push_back(claim);
    claimed.push_back(i);
  }
  if (claims.empty())
    return decided;
  const auto results = ClaimKeys(transaction, claims);
  for (std::size_t j = 0; j < results.size(); ++j) {
    switch (results[j].kind) {
      case KeyClaim::Kind::Proceed:
        break;
      case KeyClaim::Kind::Replay:
        decided[claimed[j]] = ReservationOutcome::Replayed(results[j].stored);
        break;
      case KeyClaim::Kind::Refused:
        decided[claimed[j]] = ReservationOutcome::Refused(*results[j].refusal);
        break;
    }
  }
  return decided;
}

}  // namespace

std::vector<ReservationOutcome> ReserveKeyedBatch(pqxx::transaction_base& transaction,
                                                  const std::vector<ReservationRequest>& requests) {
  auto decided = ClaimBatchKeys(transaction, requests);
  std::vector<ReservationRequest> running;
  std::vector<std::size_t> running_index;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!decided[i]) {
      running.push_back(requests[i]);
      running_index.push_back(i);
    }
  }
  std::vector<ReservationOutcome> ran;
  if (!running.empty()) {
    ran = OutcomesFromBatchRows(
        transaction.exec_prepared(statement::kReserveBatch, BatchRequestsJson(running)), running.size());
  }
  std::vector<IdempotencyClaim> stored_claims;
  std::vector<StoredResponse> stored_responses;
  for (std::size_t j = 0; j < ran.size(); ++j) {
    const auto& key = running[j].idempotency;
    if (key && ran[j].granted()) {
      stored_claims.push_back(key->claim);
      stored_responses.push_back(key->response_of(ran[j]));
    }
    decided[running_index[j]] = std::move(ran[j]);
  }
  StoreResponses(transaction, stored_claims, stored_responses);
  std::vector<ReservationOutcome> outcomes;
  outcomes.reserve(requests.size());
  for (auto& outcome : decided)
    outcomes.push_back(std::move(*outcome));
  return outcomes;
}

}  // namespace inventory
