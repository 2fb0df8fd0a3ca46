// postgres_dead_letter_store.cpp: the lease functions of the extension and the backlog query.
#include "consumer/postgres_dead_letter_store.h"

#include <pqxx/nontransaction>
#include <pqxx/result>

#include "relay/outbox_batch.h"

namespace inventory {

PostgresDeadLetterStore::PostgresDeadLetterStore(const std::string& conninfo, const SessionSettings& settings,
                                                 CallWatchdog& watchdog)
    : session_(conninfo, settings, watchdog) {}

std::vector<DeadLetter> PostgresDeadLetterStore::Claim(int max_rows, std::chrono::milliseconds lease) {
  return session_.Run([&](pqxx::connection& connection) {
    pqxx::nontransaction work(connection);
    const pqxx::result rows = work.exec_params(
        "SELECT id, consumer_group, topic, kafka_partition, kafka_offset, message_key, coalesce(payload, "
        "''), "
        "reason, coalesce(error_code, '') "
        "FROM inventory_dead_letters_claim($1, make_interval(secs => $2::float8 / 1000))",
        max_rows, static_cast<double>(lease.count()));
    std::vector<DeadLetter> letters;
    letters.reserve(rows.size());
    for (const auto& row : rows) {
      DeadLetter letter;
      letter.id = row[0].as<std::int64_t>();
      letter.consumer_group = row[1].as<std::string>();
      letter.topic = row[2].as<std::string>();
      letter.partition = row[3].as<int>();
      letter.offset = row[4].as<std::int64_t>();
      if (!row[5].is_null())
        letter.key = row[5].as<std::string>();
      letter.payload = row[6].as<std::string>();
      letter.reason = row[7].as<std::string>();
      letter.error_code = row[8].as<std::string>();
      letters.push_back(std::move(letter));
    }
    return letters;
  });
}

void PostgresDeadLetterStore::MarkPublished(const std::vector<std::int64_t>& ids) {
  session_.Run([&](pqxx::connection& connection) {
    pqxx::nontransaction work(connection);
    work.exec_params("SELECT inventory_dead_letters_published($1::bigint[])", BigintArrayLiteral(ids));
  });
}

void PostgresDeadLetterStore::MarkFailed(const std::vector<std::int64_t>& ids, const std::string& error,
                                         std::chrono::milliseconds retry_after) {
  session_.Run([&](pqxx::connection& connection) {
    pqxx::nontransaction work(connection);
    work.exec_params(
        "SELECT inventory_dead_letters_failed($1::bigint[], $2, make_interval(secs => $3::float8 / 1000))",
        BigintArrayLiteral(ids), error, static_cast<double>(retry_after.count()));
  });
}

DeadLetterBacklog PostgresDeadLetterStore::Backlog() {
  return session_.Run([&](pqxx::connection& connection) {
    pqxx::nontransaction work(connection);
    const auto row = work.exec1(
        "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 "
        "FROM inventory.dead_letters WHERE published_at IS NULL");
    return DeadLetterBacklog{row[0].as<std::int64_t>(), row[1].as<double>()};
  });
}

}  // namespace inventory
