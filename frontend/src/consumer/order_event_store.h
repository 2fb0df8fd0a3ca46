// order_event_store.h: what the order consumer needs from the database: apply a message's effect
// together with the claim of its position (exactly once), or record it as a dead letter.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "domain/cdc_event.h"
#include "domain/order_event.h"

namespace inventory {

struct MessagePosition {
  std::string consumer_group;
  std::string topic;
  int partition = 0;
  std::int64_t offset = 0;
};

// The database refused the message for good (IN001..IN006, 22xxx): retrying cannot help.
class PermanentFailure : public std::runtime_error {
 public:
  PermanentFailure(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

enum class ApplyOutcome { Applied, AlreadyApplied };

class OrderEventStore {
 public:
  virtual ~OrderEventStore() = default;
  // Claims position and applies event in one transaction. Throws PermanentFailure when the
  // database refuses the event for good; any other exception means "retry later".
  virtual ApplyOutcome Apply(const MessagePosition& position, const OrderEvent& event) = 0;
  // Claims position and sets a stock level in one transaction (CDC input).
  virtual ApplyOutcome ApplyStockLevel(const MessagePosition& position, const StockLevelChange& change) = 0;
  // Claims position for a message that has no effect.
  virtual ApplyOutcome ClaimOnly(const MessagePosition& position) = 0;
  // Records a dead letter and claims its position; before_commit runs inside the transaction
  // (publishing to the dead-letter topic), so a failed publish leaves nothing recorded. Returns
  // false when the position was already claimed (nothing recorded, before_commit not run).
  virtual bool DeadLetter(const MessagePosition& position, const std::optional<std::string>& key,
                          const std::string& payload, const std::string& reason, const std::string& error_code,
                          const std::function<void()>& before_commit) = 0;
};

}  // namespace inventory
