// reservation_batch_mapping.cpp: request JSON out, outcome rows in. Column positions follow
// statement::kReserveBatch: request_index, outcome, error_code, error_message, shortages, then the
// reservation columns (NULL when the request has no reservation); statement::kReserveBatchOfProduct
// has the same first five columns, then the request's reservations as one jsonb array.
#include "adapters/reservation_batch_mapping.h"

#include <nlohmann/json.hpp>
#include <pqxx/field>

#include "adapters/database_error_translation.h"
#include "adapters/reservations_json.h"
#include "adapters/row_mapping.h"
#include "domain/domain_error.h"

namespace inventory {
namespace {

constexpr int kReservationFirstColumn = 5;

// ShortagesFromJson reads the shortages column of a short request.
std::vector<Shortage> ShortagesFromJson(const std::string& text) {
  std::vector<Shortage> shortages;
  for (const auto& line : nlohmann::json::parse(text)) {
    Shortage shortage;
    shortage.product_id = line.at("product_id").get<std::string>();
    if (!line.at("warehouse").is_null())
      shortage.warehouse = line.at("warehouse").get<std::string>();
    shortage.requested = line.at("requested").get<std::int64_t>();
    shortage.available = line.at("available").get<std::int64_t>();
    shortages.push_back(std::move(shortage));
  }
  return shortages;
}

// RefusalFromRow is the outcome of a request that was not granted, from its (first) row.
ReservationOutcome RefusalFromRow(const pqxx::row& head, const std::string& outcome) {
  const auto code = head[2].is_null() ? std::string() : head[2].as<std::string>();
  const auto message = head[3].is_null() ? outcome : head[3].as<std::string>();
  if (outcome == "short") {
    return ReservationOutcome::Refused(
        DomainError(ErrorKind::InsufficientStock, message, ShortagesFromJson(head[4].as<std::string>())));
  }
  if (outcome == "invalid")
    return ReservationOutcome::Refused(DomainError(KindOfSqlState(code), message));
  throw DomainError(ErrorKind::Internal,
                    "inventory_reserve_batch returned the unknown outcome \"" + outcome + "\"");
}

// The outcome of the request whose rows are rows[first, last).
ReservationOutcome OutcomeFromRows(const pqxx::result& rows, pqxx::result::size_type first,
                                   pqxx::result::size_type last) {
  const auto& head = rows[first];
  const auto outcome = head[1].as<std::string>();
  if (outcome == "reserved" || outcome == "repeated") {
    ReserveResult result;
    for (auto i = first; i < last; ++i) {
      if (rows[i][kReservationFirstColumn].is_null())
        continue;
      result.reservations.push_back(ReservationFromRow(rows[i], kReservationFirstColumn));
      result.created_any = result.created_any || result.reservations.back().created;
    }
    return ReservationOutcome::Granted(std::move(result));
  }
  return RefusalFromRow(head, outcome);
}

// RequireNext throws DomainError(Internal) when a row answers another request than the next one.
void RequireNext(std::size_t index, std::size_t expected) {
  if (index != expected) {
    throw DomainError(ErrorKind::Internal, "inventory_reserve_batch answered request " +
                                               std::to_string(index) + " where request " +
                                               std::to_string(expected) + " was expected");
  }
}

// RequireAllAnswered throws DomainError(Internal) unless answered is request_count.
void RequireAllAnswered(std::size_t answered, std::size_t request_count) {
  if (answered != request_count) {
    throw DomainError(ErrorKind::Internal, "inventory_reserve_batch answered " + std::to_string(answered) +
                                               " of " + std::to_string(request_count) + " requests");
  }
}

}  // namespace

std::string BatchRequestsJson(const std::vector<ReservationRequest>& requests) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& request : requests) {
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& line : request.lines) {
      nlohmann::json entry = {{"product_id", line.product_id}, {"quantity", line.quantity}};
      if (line.warehouse)
        entry["warehouse"] = *line.warehouse;
      lines.push_back(std::move(entry));
    }
    nlohmann::json entry = {{"order_id", request.order_id}, {"lines", std::move(lines)}};
    if (request.ttl_seconds)
      entry["ttl_seconds"] = *request.ttl_seconds;
    if (request.actor)
      entry["actor"] = *request.actor;
    array.push_back(std::move(entry));
  }
  return array.dump();
}

std::vector<ReservationOutcome> OutcomesFromBatchRows(const pqxx::result& rows, std::size_t request_count) {
  std::vector<ReservationOutcome> outcomes;
  outcomes.reserve(request_count);
  pqxx::result::size_type first = 0;
  while (first < rows.size()) {
    const auto index = rows[first][0].as<std::size_t>();
    RequireNext(index, outcomes.size());
    auto last = first + 1;
    while (last < rows.size() && rows[last][0].as<std::size_t>() == index)
      ++last;
    outcomes.push_back(OutcomeFromRows(rows, first, last));
    first = last;
  }
  RequireAllAnswered(outcomes.size(), request_count);
  return outcomes;
}

std::vector<ReservationOutcome> OutcomesFromProductBatchRows(const pqxx::result& rows,
                                                             std::size_t request_count) {
  std::vector<ReservationOutcome> outcomes;
  outcomes.reserve(request_count);
  for (const auto& row : rows) {
    RequireNext(row[0].as<std::size_t>(), outcomes.size());
    const auto outcome = row[1].as<std::string>();
    if (outcome != "reserved" && outcome != "repeated") {
      outcomes.push_back(RefusalFromRow(row, outcome));
      continue;
    }
    ReserveResult result;
    if (!row[kReservationFirstColumn].is_null())
      result.reservations = ReservationsFromJson(row[kReservationFirstColumn].as<std::string>());
    for (const auto& reservation : result.reservations)
      result.created_any = result.created_any || reservation.created;
    outcomes.push_back(ReservationOutcome::Granted(std::move(result)));
  }
  RequireAllAnswered(outcomes.size(), request_count);
  return outcomes;
}

}  // namespace inventory
