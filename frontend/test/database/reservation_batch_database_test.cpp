// reservation_batch_database_test.cpp: the two statements of a reservation batch against a real
// database (tests/service/run.sh passes one PostgreSQL in INVENTORY_TEST_DATABASE_URL, tests/citus
// a Citus coordinator, where the product-scoped one is routed to a worker). The same batch of one
// product is decided by the product-scoped statement, repeated through the flattened one (what the
// service sends on one PostgreSQL) and repeated through the product-scoped one again: both repeats
// must map to identical outcomes (reservations with ids and microsecond UTC timestamps, created
// flags, shortages, errors), and the first run's grants must be the reservations they return. The session's
// time zone is +05:45, so timestamps in the jsonb arrays carry an offset the mapping has to undo.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <string>
#include <vector>

#include "adapters/prepared_statements.h"
#include "adapters/reservation_batch_mapping.h"

namespace inventory {
namespace {

std::string DatabaseUrl() {
  const char* url = std::getenv("INVENTORY_TEST_DATABASE_URL");
  return url == nullptr ? std::string() : std::string(url);
}

// Describe writes an outcome as one line with every field the service answers with.
std::string Describe(const ReservationOutcome& outcome) {
  if (!outcome.granted()) {
    std::string text = "refused kind=" + std::to_string(static_cast<int>(outcome.error().kind())) + " " +
                       outcome.error().what();
    for (const auto& shortage : outcome.error().shortages()) {
      text += " short:" + shortage.product_id + "/" + shortage.warehouse.value_or("-") + "/" +
              std::to_string(shortage.requested) + "/" + std::to_string(shortage.available);
    }
    return text;
  }
  std::string text = outcome.result().created_any ? "granted created_any" : "granted repeat";
  for (const auto& r : outcome.result().reservations) {
    text += " [" + r.id + " " + r.order_id + " " + r.product_id + " " + r.warehouse + " " +
            std::to_string(r.quantity) + " " + r.status + " " + r.expires_at.value_or("-") + " " +
            r.created_at + " " + r.updated_at + (r.created ? " created" : " existing") + "]";
  }
  return text;
}

// Describes every outcome, one per line.
std::string DescribeAll(const std::vector<ReservationOutcome>& outcomes) {
  std::string text;
  for (const auto& outcome : outcomes)
    text += Describe(outcome) + "\n";
  return text;
}

// The reservations of every granted request, one description each, sorted (a repeat lists a
// request's reservations in another order than the call that made them).
std::vector<std::string> GrantedReservations(const std::vector<ReservationOutcome>& outcomes) {
  std::vector<std::string> reservations;
  for (const auto& outcome : outcomes) {
    if (!outcome.granted())
      continue;
    for (const auto& r : outcome.result().reservations) {
      reservations.push_back(r.id + " " + r.order_id + " " + r.warehouse + " " + std::to_string(r.quantity) +
                             " " + r.status + " " + r.expires_at.value_or("-") + " " + r.created_at + " " +
                             r.updated_at);
    }
  }
  std::sort(reservations.begin(), reservations.end());
  return reservations;
}

class ReservationBatchDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (DatabaseUrl().empty())
      FAIL() << "INVENTORY_TEST_DATABASE_URL is not set (tests/service/run.sh and tests/citus/run.sh set it)";
  }
};

TEST_F(ReservationBatchDatabaseTest, BothStatementsMapABatchOfOneProductToTheSameOutcomes) {
  pqxx::connection connection(DatabaseUrl());
  statement::PrepareAll(connection);
  pqxx::nontransaction session(connection);
  session.exec("SET TimeZone = 'Asia/Kathmandu'");
  const std::string product = "batch-db-" + std::to_string(::getpid());
  const std::string order = product + "-o";
  session.exec("SELECT count(*) FROM inventory_set_stock(" + session.quote(product) + ", 3, 'main')");
  session.exec("SELECT count(*) FROM inventory_set_stock(" + session.quote(product) + ", 3, 'east')");
  const auto line = [&](int quantity) {
    return R"({"product_id": ")" + product + R"(", "quantity": )" + std::to_string(quantity) + "}";
  };
  // granted in one warehouse, short, invalid, granted across both warehouses, repeated in the batch
  const std::string requests =
      "[{\"order_id\": \"" + order + "1\", \"actor\": \"db-test\", \"ttl_seconds\": 600, \"lines\": [" +
      line(2) + "]}, {\"order_id\": \"" + order + "2\", \"lines\": [" + line(100) + "]}, {\"order_id\": \"" +
      order + "3\", \"lines\": [" + line(0) + "]}, {\"order_id\": \"" + order + "4\", \"lines\": [" +
      line(4) + "]}, {\"order_id\": \"" + order + "1\", \"lines\": [" + line(2) + "]}]";

  const auto first = OutcomesFromProductBatchRows(
      session.exec_prepared(statement::kReserveBatchOfProduct, product, requests), 5);
  const auto flattened = OutcomesFromBatchRows(session.exec_prepared(statement::kReserveBatch, requests), 5);
  const auto scoped = OutcomesFromProductBatchRows(
      session.exec_prepared(statement::kReserveBatchOfProduct, product, requests), 5);

  ASSERT_EQ(first.size(), 5u);
  EXPECT_TRUE(first[0].granted() && first[0].result().created_any);
  EXPECT_EQ(first[1].granted() ? ErrorKind::Internal : first[1].error().kind(), ErrorKind::InsufficientStock);
  EXPECT_EQ(first[2].granted() ? ErrorKind::Internal : first[2].error().kind(), ErrorKind::InvalidValue);
  EXPECT_TRUE(first[3].granted() && first[3].result().reservations.size() == 2u) << DescribeAll(first);
  EXPECT_TRUE(first[4].granted() && !first[4].result().created_any);
  EXPECT_EQ(DescribeAll(flattened), DescribeAll(scoped));
  EXPECT_EQ(GrantedReservations(first), GrantedReservations(flattened))
      << "the first run's reservations are not the ones its repeats return";
  ASSERT_TRUE(flattened[0].granted());
  const auto& reservation = flattened[0].result().reservations.at(0);
  EXPECT_EQ(reservation.created_at.size(), std::string("2026-11-30T08:54:33.262177Z").size())
      << reservation.created_at;
  EXPECT_EQ(
      session
          .exec1("SELECT count(*) FROM inventory.reservations WHERE id = " + session.quote(reservation.id) +
                 "::uuid AND to_char(expires_at AT TIME ZONE 'UTC',"
                 " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') = " +
                 session.quote(*reservation.expires_at))[0]
          .as<int>(),
      1);
}

}  // namespace
}  // namespace inventory
