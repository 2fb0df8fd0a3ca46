// message_identity.cpp: the identity rule and the canonical content of decoded messages.
#include "domain/message_identity.h"

#include <nlohmann/json.hpp>

namespace inventory {

const char* OrderEventKind(OrderAction action) {
  switch (action) {
    case OrderAction::Reserve:
      return "created";
    case OrderAction::Confirm:
      return "confirmed";
    case OrderAction::Release:
      return "cancelled";
    case OrderAction::Ship:
      return "shipped";
  }
  return "unknown";
}

MessageIdentity IdentityOfOrderEvent(const OrderEvent& event) {
  // nlohmann::json keeps object members sorted, so equal effects give equal text.
  nlohmann::json content = {{"action", OrderActionName(event.action)}, {"order_id", event.order_id}};
  if (event.action == OrderAction::Reserve) {
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& line : event.lines) {
      lines.push_back({{"product_id", line.product_id},
                       {"quantity", line.quantity},
                       {"warehouse", line.warehouse ? nlohmann::json(*line.warehouse) : nlohmann::json()}});
    }
    content["lines"] = std::move(lines);
  }
  MessageIdentity identity;
  identity.identity = event.event_id && !event.event_id->empty()
                          ? "event:" + *event.event_id
                          : "order:" + event.order_id + ":" + OrderEventKind(event.action);
  identity.content = content.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return identity;
}

MessageIdentity IdentityOfPosition(const std::string& topic, int partition, std::int64_t offset,
                                   const std::optional<std::string>& key, const std::string& payload) {
  MessageIdentity identity;
  identity.identity = "position:" + topic + "/" + std::to_string(partition) + "/" + std::to_string(offset);
  // A key that is absent and a key that is empty are different messages.
  identity.content = (key ? "key:" + *key : std::string("nokey")) + "\n" + payload;
  return identity;
}

}  // namespace inventory
