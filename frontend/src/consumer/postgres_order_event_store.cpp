// postgres_order_event_store.cpp: the batch as JSON, the calls, and the results.
#include "consumer/postgres_order_event_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>
#include <stdexcept>

namespace inventory {
namespace {

using nlohmann::json;

// NUL cannot be part of a PostgreSQL text value; the JSON writer replaces invalid UTF-8.
std::string StorableText(std::string text) {
  std::string::size_type at = 0;
  while ((at = text.find('\0', at)) != std::string::npos)
    text.replace(at, 1, "\xEF\xBF\xBD");
  return text;
}

json LinesJson(const OrderEvent& event) {
  json lines = json::array();
  for (const auto& line : event.lines) {
    json item = {{"product_id", StorableText(line.product_id)}, {"quantity", line.quantity}};
    if (line.warehouse)
      item["warehouse"] = StorableText(*line.warehouse);
    lines.push_back(std::move(item));
  }
  return lines;
}

json MessageJson(const DecodedMessage& decoded) {
  const InboundMessage& message = decoded.message;
  json element = {{"topic", StorableText(message.topic)},
                  {"partition", message.partition},
                  {"offset", message.offset},
                  {"key", message.key ? json(StorableText(*message.key)) : json()},
                  {"payload", StorableText(message.payload)},
                  {"identity", StorableText(decoded.identity.identity)},
                  {"content", StorableText(decoded.identity.content)}};
  if (decoded.malformed_reason) {
    element["malformed"] = StorableText(*decoded.malformed_reason);
  } else if (decoded.order_event) {
    element["action"] = OrderActionName(decoded.order_event->action);
    element["order_id"] = StorableText(decoded.order_event->order_id);
    if (decoded.order_event->action == OrderAction::Reserve)
      element["lines"] = LinesJson(*decoded.order_event);
  } else if (decoded.stock_level) {
    const StockLevelChange& level = *decoded.stock_level;
    element["action"] = "set_stock";
    element["stock"] = {{"product_id", StorableText(level.product_id)},
                        {"warehouse", StorableText(level.warehouse)},
                        {"on_hand", level.on_hand},
                        {"name", level.name ? json(StorableText(*level.name)) : json()}};
  } else {
    element["action"] = "none";
  }
  return element;
}

MessageOutcome OutcomeOf(const std::string& outcome) {
  if (outcome == "duplicate")
    return MessageOutcome::Duplicate;
  if (outcome == "parked")
    return MessageOutcome::Parked;
  if (outcome == "dead_letter")
    return MessageOutcome::DeadLetter;
  return MessageOutcome::Applied;
}

}  // namespace

std::string ConsumeBatchJson(const std::vector<DecodedMessage>& batch) {
  json messages = json::array();
  for (const auto& decoded : batch)
    messages.push_back(MessageJson(decoded));
  return messages.dump(-1, ' ', false, json::error_handler_t::replace);
}

PostgresOrderEventStore::PostgresOrderEventStore(const std::string& conninfo, const SessionSettings& settings,
                                                 CallWatchdog& watchdog)
    : session_(conninfo, settings, watchdog) {}

std::vector<MessageResult> PostgresOrderEventStore::ApplyBatch(const std::string& consumer_group,
                                                               std::chrono::milliseconds park_for,
                                                               const std::vector<DecodedMessage>& batch) {
  const std::string messages = ConsumeBatchJson(batch);
  return session_.Run([&](pqxx::connection& connection) {
    pqxx::work transaction(connection);
    const pqxx::result rows = transaction.exec_params(
        "SELECT message_index, outcome, coalesce(error_code, ''), coalesce(reason, ''), position_regressed, "
        "parked_applied FROM inventory_consume_batch($1, $2::jsonb, make_interval(secs => $3::float8 / "
        "1000))",
        consumer_group, messages, static_cast<double>(park_for.count()));
    if (rows.size() != batch.size()) {
      throw std::runtime_error("inventory_consume_batch answered " + std::to_string(rows.size()) +
                               " rows for " + std::to_string(batch.size()) + " messages");
    }
    transaction.commit();
    std::vector<MessageResult> results(batch.size());
    for (const auto& row : rows) {
      const auto index = row[0].as<std::size_t>();
      if (index >= results.size())
        continue;
      results[index] = MessageResult{OutcomeOf(row[1].as<std::string>()), row[2].as<std::string>(),
                                     row[3].as<std::string>(), row[4].as<bool>(), row[5].as<int>()};
    }
    return results;
  });
}

ParkedSweep PostgresOrderEventStore::SweepParked(int max_rows) {
  return session_.Run([&](pqxx::connection& connection) {
    pqxx::work transaction(connection);
    const auto row = transaction.exec_params1(
        "SELECT applied, dead_lettered FROM inventory_sweep_parked_events($1)", max_rows);
    transaction.commit();
    return ParkedSweep{row[0].as<int>(), row[1].as<int>()};
  });
}

int PostgresOrderEventStore::ForgetConsumed(std::chrono::seconds older_than, int max_rows) {
  return session_.Run([&](pqxx::connection& connection) {
    pqxx::nontransaction work(connection);
    return work
        .exec_params1("SELECT inventory_forget_consumed_messages(make_interval(secs => $1::float8), $2)",
                      static_cast<double>(older_than.count()), max_rows)[0]
        .as<int>();
  });
}

}  // namespace inventory
