// outbox_relay.cpp: leadership, wake-up, fetch-publish-ack loop and backlog metrics of the relay.
#include "relay/outbox_relay.h"

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/notification>
#include <pqxx/result>
#include <sstream>
#include <thread>

#include "adapters/connection_pool.h"
#include "relay/outbox_batch.h"

namespace inventory {
namespace {

// Only wakes the relay; the payload does not matter.
class OutboxListener : public pqxx::notification_receiver {
 public:
  using pqxx::notification_receiver::notification_receiver;
  void operator()(const std::string&, int) override {}
};

std::vector<OutboxEvent> Fetch(pqxx::connection& connection, int batch_size) {
  pqxx::nontransaction work(connection);
  const pqxx::result rows = work.exec_params(
      "SELECT seq, id::text, aggregatetype, aggregateid, type, payload::text, warehouse, version, "
      "extract(epoch FROM created_at)::float8 FROM inventory_outbox_fetch($1)",
      batch_size);
  std::vector<OutboxEvent> events;
  events.reserve(rows.size());
  for (const auto& row : rows) {
    events.push_back(OutboxEvent{row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                                 row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                                 row[6].as<std::string>(), row[7].as<std::int64_t>(), row[8].as<double>()});
  }
  return events;
}

double NowEpochSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

OutboxRelay::OutboxRelay(RelaySettings settings, MessagePublisher& publisher, JsonLogger& logger)
    : settings_(std::move(settings)), publisher_(publisher), logger_(logger) {}

void OutboxRelay::Run(const std::atomic<bool>& stop) {
  std::chrono::milliseconds delay(100);
  while (!stop) {
    try {
      Lead(stop);
      delay = std::chrono::milliseconds(100);
    } catch (const std::exception& error) {
      if (leader_)
        logger_.Warn("relay lost leadership", {{"error", error.what()}});
      else
        logger_.Warn("relay cannot reach the database", {{"error", error.what()}, {"retry_in_ms", delay.count()}});
      leader_ = false;
      const auto until = std::chrono::steady_clock::now() + delay;
      while (!stop && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      delay = std::min(delay * 2, std::chrono::milliseconds(2000));
    }
  }
}

void OutboxRelay::Lead(const std::atomic<bool>& stop) {
  pqxx::connection connection(WithConnectOptions(settings_.conninfo, settings_.connect_timeout_seconds));
  // Wait for the lock, checking the connection at every try.
  for (;;) {
    if (stop)
      return;
    pqxx::nontransaction work(connection);
    if (work.exec_params1("SELECT pg_try_advisory_lock($1)", settings_.lock_key)[0].as<bool>())
      break;
    work.commit();
    const auto until = std::chrono::steady_clock::now() + settings_.poll_interval;
    while (!stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  leader_ = true;
  logger_.Lifecycle("relay leadership acquired", {{"lock_key", settings_.lock_key}});
  OutboxListener listener(connection, settings_.notify_channel);
  bool backlog_from_table = true;
  auto next_backlog_check = std::chrono::steady_clock::now();
  while (!stop) {
    std::vector<OutboxEvent> events = Fetch(connection, settings_.batch_size);
    if (std::chrono::steady_clock::now() >= next_backlog_check) {
      next_backlog_check = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      if (backlog_from_table) {
        // Exact figures need SELECT on inventory.outbox; a relay role that only may call the
        // functions falls back to what the last fetch showed.
        try {
          pqxx::nontransaction work(connection);
          const auto row = work.exec1(
              "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 "
              "FROM inventory.outbox");
          backlog_ = row[0].as<std::int64_t>();
          oldest_age_seconds_ = row[1].as<double>();
        } catch (const pqxx::insufficient_privilege&) {
          backlog_from_table = false;
        }
      }
    }
    if (!backlog_from_table) {
      backlog_ = static_cast<std::int64_t>(events.size());
      oldest_age_seconds_ = events.empty() ? 0.0 : NowEpochSeconds() - events.front().created_at_epoch_seconds;
    }
    if (events.empty()) {
      oldest_age_seconds_ = 0.0;
      backlog_ = 0;
      connection.await_notification(0, static_cast<long>(settings_.poll_interval.count()) * 1000);
      continue;
    }
    std::vector<OutboundMessage> messages;
    messages.reserve(events.size());
    for (const auto& event : events)
      messages.push_back(ToOutboundMessage(event));
    const auto started = std::chrono::steady_clock::now();
    const std::vector<std::string> results = publisher_.PublishAndWait(messages);
    const std::vector<OutboxEvent> acknowledged = AcknowledgedEvents(events, results);
    if (!acknowledged.empty()) {
      std::vector<std::string> event_ids;
      std::vector<std::string> keys;
      for (const auto& event : acknowledged) {
        event_ids.push_back(event.event_id);
        keys.push_back(event.key);
      }
      pqxx::nontransaction work(connection);
      work.exec_params("SELECT inventory_outbox_ack_events($1::uuid[], $2::text[])", TextArrayLiteral(event_ids),
                       TextArrayLiteral(keys));
    }
    published_ += acknowledged.size();
    if (acknowledged.size() < events.size()) {
      publish_failures_ += events.size() - acknowledged.size();
      std::string first_error;
      for (const auto& result : results) {
        if (!result.empty()) {
          first_error = result;
          break;
        }
      }
      logger_.Warn("relay: Kafka refused events; they stay in the outbox",
                   {{"refused", events.size() - acknowledged.size()}, {"error", first_error}});
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (logger_.Enabled(LogLevel::Debug)) {
      logger_.Log(LogLevel::Debug, "relay published batch",
                  {{"events", events.size()},
                   {"acknowledged", acknowledged.size()},
                   {"first_seq", events.front().seq},
                   {"last_seq", events.back().seq},
                   {"publish_ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                            started)
                                      .count()}});
    }
    connection.get_notifs();
  }
  pqxx::nontransaction work(connection);
  work.exec_params("SELECT pg_advisory_unlock($1)", settings_.lock_key);
  leader_ = false;
  logger_.Lifecycle("relay leadership released", {{"lock_key", settings_.lock_key}});
}

std::string OutboxRelay::RenderMetrics() const {
  std::ostringstream out;
  out << "# HELP inventory_relay_leader 1 while this process holds the relay lock and publishes.\n"
      << "# TYPE inventory_relay_leader gauge\ninventory_relay_leader " << (leader_ ? 1 : 0) << "\n"
      << "# HELP inventory_relay_published_total Outbox events published and acknowledged by Kafka.\n"
      << "# TYPE inventory_relay_published_total counter\ninventory_relay_published_total " << published_ << "\n"
      << "# HELP inventory_relay_publish_failures_total Outbox events Kafka refused (kept for a retry).\n"
      << "# TYPE inventory_relay_publish_failures_total counter\ninventory_relay_publish_failures_total "
      << publish_failures_ << "\n"
      << "# HELP inventory_outbox_backlog Unpublished outbox events (seen by the leader).\n"
      << "# TYPE inventory_outbox_backlog gauge\ninventory_outbox_backlog " << backlog_ << "\n"
      << "# HELP inventory_outbox_oldest_age_seconds Age of the oldest unpublished outbox event.\n"
      << "# TYPE inventory_outbox_oldest_age_seconds gauge\ninventory_outbox_oldest_age_seconds "
      << oldest_age_seconds_ << "\n";
  return out.str();
}

}  // namespace inventory

