// fuzz_order_event.cpp: arbitrary Kafka payloads through the order event decoder (every action) and
// the Debezium change decoders. MalformedMessage is the only allowed refusal (the consumer sends it
// to the dead-letter topic); any other exception would stop the consumer, so it is a finding. The
// same bytes as a whole consumed message (on every kind of topic, as key and payload) go through
// DecodeMessage and the batch JSON the database reads, which must never throw: a batch that cannot
// be written would be retried forever.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "consumer/decoded_message.h"
#include "consumer/postgres_order_event_store.h"
#include "domain/cdc_event.h"
#include "domain/order_event.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace inventory;
  const std::string payload(reinterpret_cast<const char*>(data), size);
  for (const auto action : {OrderAction::Reserve, OrderAction::Confirm, OrderAction::Release, OrderAction::Ship}) {
    try {
      const auto event = DecodeOrderEvent(action, payload);
      for (const auto& line : event.lines) {
        if (line.quantity < 1 || line.product_id.empty())
          __builtin_trap();  // the decoder promised whole quantities >= 1 and a product
      }
    } catch (const MalformedMessage&) {
    }
  }
  try {
    DecodeProductChange(payload, "main");
  } catch (const MalformedMessage&) {
  }
  try {
    DecodeOrderItemInsert(payload);
  } catch (const MalformedMessage&) {
  }
  const InputTopics topics{OrderTopics{"created", {"paid"}, "cancelled", "shipped"}, std::string("products"),
                           std::string("items"), "main"};
  std::vector<DecodedMessage> batch;
  for (const char* topic : {"created", "paid", "cancelled", "shipped", "products", "items", "unknown"})
    batch.push_back(DecodeMessage(InboundMessage{topic, 1, 2, payload, payload}, topics));
  if (ConsumeBatchJson(batch).empty())
    __builtin_trap();
  return 0;
}
