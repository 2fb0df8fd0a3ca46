// outbox_batch.cpp: outbox row to Kafka message, and the acknowledgement rule.
#include "relay/outbox_batch.h"

namespace inventory {

OutboundMessage ToOutboundMessage(const OutboxEvent& event) {
  OutboundMessage message;
  message.topic = event.topic;
  message.key = event.key;
  message.payload = event.payload;
  message.headers = {{"eventId", event.event_id},
                     {"type", event.type},
                     {"warehouse", event.warehouse},
                     {"version", std::to_string(event.version)}};
  return message;
}

std::vector<OutboxEvent> AcknowledgedEvents(const std::vector<OutboxEvent>& events,
                                            const std::vector<std::string>& results,
                                            std::unordered_set<std::string>& failed_keys) {
  std::vector<OutboxEvent> acknowledged;
  for (std::size_t i = 0; i < events.size() && i < results.size(); ++i) {
    if (!results[i].empty()) {
      failed_keys.insert(events[i].key);
      continue;
    }
    if (failed_keys.count(events[i].key) == 0)
      acknowledged.push_back(events[i]);
  }
  return acknowledged;
}

std::string BigintArrayLiteral(const std::vector<std::int64_t>& values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0)
      literal += ',';
    literal += std::to_string(values[i]);
  }
  literal += '}';
  return literal;
}

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0)
      literal += ',';
    literal += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\')
        literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return literal;
}

}  // namespace inventory
