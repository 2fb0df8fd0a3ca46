// outbox_batch.h: the pure part of the relay: an outbox row, the Kafka message it becomes, and which
// rows may be acknowledged after a batch. Kept apart from libpqxx so it has unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "domain/messaging.h"

namespace inventory {

// One row of inventory_outbox_fetch.
struct OutboxEvent {
  std::int64_t seq = 0;
  std::string event_id;   // id (uuid)
  std::string topic;      // aggregatetype
  std::string key;        // aggregateid (product_id)
  std::string type;
  std::string payload;    // JSON text
  std::string warehouse;
  std::int64_t version = 0;
  double created_at_epoch_seconds = 0;
};

// The message for an event: its topic, keyed by product, with eventId, type, warehouse and
// version as headers next to the JSON payload.
OutboundMessage ToOutboundMessage(const OutboxEvent& event);

// The events that may be deleted after a publish: the delivered events, except that after a failed
// event nothing later with the same key is acknowledged, so a retry sends that product's events
// again in their original order. results has one entry per event (empty = delivered). They are
// deleted by event id and product (unique on every deployment; seq is not a key the relay relies
// on). failed_keys carries the keys that failed from one batch to the later batches of a pipeline.
std::vector<OutboxEvent> AcknowledgedEvents(const std::vector<OutboxEvent>& events,
                                            const std::vector<std::string>& results,
                                            std::unordered_set<std::string>& failed_keys);

// {1,2,3} as a PostgreSQL array literal.
std::string BigintArrayLiteral(const std::vector<std::int64_t>& values);

// {"a","b\"c"} as a PostgreSQL array literal, every element quoted.
std::string TextArrayLiteral(const std::vector<std::string>& values);

}  // namespace inventory
