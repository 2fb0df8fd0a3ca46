// message_identity.h: what makes two Kafka messages "the same message" (DESIGN §5). A message is
// skipped as already applied only when both its identity and its content match one taken before;
// its position (topic, partition, offset) alone never decides, since positions are reused when a
// topic is recreated or the service meets another cluster.
//   - An order event with an eventId:       identity "event:<eventId>"
//   - An order event without one:           identity "order:<orderId>:<created|confirmed|cancelled|shipped>"
//   - Anything else (CDC rows, undecodable messages): identity "position:<topic>/<partition>/<offset>"
// The content is the decoded effect written canonically (order events), or the key and payload as
// received (everything else); the database keeps a SHA-256 of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/order_event.h"

namespace inventory {

struct MessageIdentity {
  std::string identity;
  std::string content;
};

// The identity and content of a decoded order event.
MessageIdentity IdentityOfOrderEvent(const OrderEvent& event);

// The identity of a message known only by where it was read, with its raw key and payload as content.
MessageIdentity IdentityOfPosition(const std::string& topic, int partition, std::int64_t offset,
                                   const std::optional<std::string>& key, const std::string& payload);

// The kind of event an action answers: created, confirmed, cancelled, shipped.
const char* OrderEventKind(OrderAction action);

}  // namespace inventory
