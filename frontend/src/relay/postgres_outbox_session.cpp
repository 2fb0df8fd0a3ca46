// postgres_outbox_session.cpp: the advisory lock, the fetch and ack statements, LISTEN.
#include "relay/postgres_outbox_session.h"

#include <pqxx/nontransaction>
#include <pqxx/notification>
#include <pqxx/result>

namespace inventory {
namespace {

constexpr const char* kFetchFromStart = "relay_fetch_from_start";
constexpr const char* kFetchAfter = "relay_fetch_after";
constexpr const char* kAcknowledge = "relay_ack";

std::vector<OutboxEvent> Events(const pqxx::result& rows) {
  std::vector<OutboxEvent> events;
  events.reserve(rows.size());
  for (const auto& row : rows) {
    events.push_back(OutboxEvent{row[0].as<std::int64_t>(), row[1].as<std::string>(),
                                 row[2].as<std::string>(), row[3].as<std::string>(), row[4].as<std::string>(),
                                 row[5].as<std::string>(), row[6].as<std::string>(),
                                 row[7].as<std::int64_t>(),
                                 static_cast<double>(row[8].as<std::int64_t>()) / 1000.0});
  }
  return events;
}

}  // namespace

// Only wakes the relay; the payload does not matter.
class PostgresOutboxSession::Listener : public pqxx::notification_receiver {
 public:
  using pqxx::notification_receiver::notification_receiver;
  void operator()(const std::string&, int) override {}
};

PostgresOutboxSession::PostgresOutboxSession(const OutboxSessionSettings& settings, CallWatchdog& watchdog)
    : settings_(settings),
      session_(settings.conninfo, settings.session, watchdog, WorkerSession::Reopen::No) {}

PostgresOutboxSession::~PostgresOutboxSession() {
  listener_.reset();
}

bool PostgresOutboxSession::TryLead() {
  return session_.Run([&](pqxx::connection& connection) {
    if (!prepared_) {
      const std::string columns =
          "SELECT seq, id::text, aggregatetype, aggregateid, type, payload::text, warehouse, version, "
          "(extract(epoch FROM created_at) * 1000)::bigint ";
      connection.prepare(kFetchFromStart, columns + "FROM inventory_outbox_fetch_after(NULL, $1)");
      connection.prepare(kFetchAfter, columns + "FROM inventory_outbox_fetch_after($1, $2)");
      connection.prepare(kAcknowledge, "SELECT inventory_outbox_ack_events($1::uuid[], $2::text[])");
      prepared_ = true;
    }
    pqxx::nontransaction work(connection);
    const bool leading =
        work.exec_params1("SELECT pg_try_advisory_lock($1)", settings_.lock_key)[0].as<bool>();
    work.commit();
    if (leading && !settings_.notify_channel.empty())
      listener_ = std::make_unique<Listener>(connection, settings_.notify_channel);
    return leading;
  });
}

std::vector<OutboxEvent> PostgresOutboxSession::Fetch(std::optional<std::int64_t> after_seq, int max_rows) {
  return session_.Run([&](pqxx::connection& connection) {
    pqxx::nontransaction work(connection);
    return Events(after_seq ? work.exec_prepared(kFetchAfter, *after_seq, max_rows)
                            : work.exec_prepared(kFetchFromStart, max_rows));
  });
}

void PostgresOutboxSession::Acknowledge(const std::vector<OutboxEvent>& events) {
  std::vector<std::string> event_ids;
  std::vector<std::string> products;
  event_ids.reserve(events.size());
  products.reserve(events.size());
  for (const auto& event : events) {
    event_ids.push_back(event.event_id);
    products.push_back(event.key);
  }
  session_.Run([&](pqxx::connection& connection) {
    pqxx::nontransaction work(connection);
    work.exec_prepared(kAcknowledge, TextArrayLiteral(event_ids), TextArrayLiteral(products));
  });
}

void PostgresOutboxSession::WaitForNews(std::chrono::milliseconds timeout) {
  if (!listener_)
    return;
  session_.Run([&](pqxx::connection& connection) {
    connection.await_notification(static_cast<long>(timeout.count() / 1000),
                                  static_cast<long>(timeout.count() % 1000) * 1000);
  });
}

std::optional<OutboxBacklog> PostgresOutboxSession::Backlog() {
  if (!backlog_readable_)
    return std::nullopt;
  try {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::nontransaction work(connection);
      const auto row = work.exec1(
          "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 "
          "FROM inventory.outbox");
      return std::optional<OutboxBacklog>(OutboxBacklog{row[0].as<std::int64_t>(), row[1].as<double>()});
    });
  } catch (const pqxx::insufficient_privilege&) {
    // A relay role that may only call the functions falls back to what its fetches show.
    backlog_readable_ = false;
    return std::nullopt;
  }
}

void PostgresOutboxSession::Resign() {
  session_.Run([&](pqxx::connection& connection) {
    pqxx::nontransaction work(connection);
    work.exec_params("SELECT pg_advisory_unlock($1)", settings_.lock_key);
  });
}

}  // namespace inventory
