// order_event_store.h: what the order consumer needs from the database: apply a poll batch of
// decoded messages in one transaction (identity, positions, effects, parking and dead letters all
// commit together), and the housekeeping of parked events and remembered identities.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "consumer/decoded_message.h"

namespace inventory {

struct ParkedSweep {
  int applied = 0;        // applied because their order became ready (or found to need nothing)
  int dead_lettered = 0;  // their time was up: became dead letters
};

class OrderEventStore {
 public:
  virtual ~OrderEventStore() = default;
  // Applies the batch in one transaction and returns one result per message, in order. A message
  // the database refuses for good becomes a dead letter inside the batch; any exception means
  // nothing was committed and the batch may be retried as a whole.
  virtual std::vector<MessageResult> ApplyBatch(const std::string& consumer_group,
                                                std::chrono::milliseconds park_for,
                                                const std::vector<DecodedMessage>& batch) = 0;
  // Applies parked events whose order became ready and ends the wait of those whose time is up.
  virtual ParkedSweep SweepParked(int max_rows) = 0;
  // Forgets up to max_rows identities taken more than older_than ago; returns how many.
  virtual int ForgetConsumed(std::chrono::seconds older_than, int max_rows) = 0;
};

}  // namespace inventory
