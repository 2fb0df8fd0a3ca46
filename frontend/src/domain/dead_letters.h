// dead_letters.h: re-driving a Kafka dead letter after its cause was fixed (a restock, a product
// added, the order finally created): its decoded effect is applied again, at most once per dead
// letter, audited in the ledger under the caller. The PostgreSQL adapter implements it with
// inventory_redrive_dead_letter; errors arrive as DomainError (NotFound for an unknown dead letter,
// InvalidTransition when it was re-driven already or could not be decoded, or the effect's own
// refusal, such as InsufficientStock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace inventory {

struct RedriveResult {
  std::int64_t dead_letter_id = 0;
  std::string action;  // reserve, confirm, release, ship, set_stock
  std::optional<std::string> order_id;
  std::string redriven_at;  // ISO-8601 UTC
  std::string redriven_by;
  int parked_events_applied = 0;
};

class DeadLetterRepository {
 public:
  virtual ~DeadLetterRepository() = default;
  virtual RedriveResult Redrive(std::int64_t dead_letter_id) = 0;
};

}  // namespace inventory
