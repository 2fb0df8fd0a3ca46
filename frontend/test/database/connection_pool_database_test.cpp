// connection_pool_database_test.cpp: the request pool against a real PostgreSQL, whose URL
// tests/service/run.sh passes in INVENTORY_TEST_DATABASE_URL: an idle session is lent again, and a
// session whose last user left a transaction block open, or failed inside one, never is; a session
// knows whether its database has the citus extension, and has the pool's statement timeout.
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>

#include "adapters/connection_pool.h"

namespace inventory {
namespace {

std::string DatabaseUrl() {
  const char* url = std::getenv("INVENTORY_TEST_DATABASE_URL");
  return url == nullptr ? std::string() : std::string(url);
}

// A pool of one connection, so the second lease is the first one's connection unless it was closed.
PoolSettings OneConnection() {
  PoolSettings settings;
  settings.conninfo = DatabaseUrl();
  settings.size = 1;
  return settings;
}

void PrepareNothing(pqxx::connection_base&) {}

// Waits (at most 5 s) until the server no longer lists the backend; true when it is gone.
bool BackendEnds(int pid) {
  pqxx::connection observer(DatabaseUrl());
  for (int attempt = 0; attempt < 100; ++attempt) {
    pqxx::nontransaction query(observer);
    if (query.exec1("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid))[0].as<int>() == 0)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class ConnectionPoolDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (DatabaseUrl().empty())
      FAIL() << "INVENTORY_TEST_DATABASE_URL is not set (tests/service/run.sh sets it)";
  }
};

TEST_F(ConnectionPoolDatabaseTest, LendsAnIdleSessionAgain) {
  ConnectionPool pool(OneConnection(), PrepareNothing);
  int first_pid = 0;
  {
    auto lease = pool.Acquire();
    first_pid = (*lease).backendpid();
    pqxx::nontransaction(*lease).exec("SELECT 1");
  }
  auto lease = pool.Acquire();
  EXPECT_EQ((*lease).backendpid(), first_pid);
  EXPECT_EQ(pool.Usage().left_in_transaction, 0u);
}

TEST_F(ConnectionPoolDatabaseTest, OpensASessionWithItsTimeoutKnowingWhetherCitusIsThere) {
  auto settings = OneConnection();
  settings.statement_timeout = std::chrono::milliseconds(4321);
  ConnectionPool pool(settings, PrepareNothing);
  auto lease = pool.Acquire();
  pqxx::nontransaction session(*lease);
  EXPECT_EQ(session.exec1("SHOW statement_timeout")[0].as<std::string>(), "4321ms");
  pqxx::connection observer(DatabaseUrl());
  const bool citus = pqxx::nontransaction(observer)
                         .exec1("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')")[0]
                         .as<bool>();
  EXPECT_EQ((*lease).CitusInstalled(), citus);
}

TEST_F(ConnectionPoolDatabaseTest, NeverLendsASessionLeftInsideATransactionBlock) {
  ConnectionPool pool(OneConnection(), PrepareNothing);
  int first_pid = 0;
  {
    auto lease = pool.Acquire();
    first_pid = (*lease).backendpid();
    pqxx::nontransaction session(*lease);
    session.exec("BEGIN");
    session.exec("SELECT pg_advisory_xact_lock(771201)");
  }
  auto lease = pool.Acquire();
  pqxx::nontransaction session(*lease);
  EXPECT_NE((*lease).backendpid(), first_pid);
  EXPECT_TRUE(session.exec1("SELECT now() = statement_timestamp()")[0].as<bool>())
      << "the lent session is inside a transaction block";
  EXPECT_EQ(pool.Usage().left_in_transaction, 1u);
  EXPECT_TRUE(BackendEnds(first_pid)) << "the abandoned session still runs on the server";
  EXPECT_TRUE(session.exec1("SELECT pg_try_advisory_lock(771201)")[0].as<bool>())
      << "the abandoned transaction's lock is still held";
}

TEST_F(ConnectionPoolDatabaseTest, NeverLendsASessionWithAFailedTransaction) {
  ConnectionPool pool(OneConnection(), PrepareNothing);
  int first_pid = 0;
  {
    auto lease = pool.Acquire();
    first_pid = (*lease).backendpid();
    pqxx::nontransaction session(*lease);
    session.exec("BEGIN");
    EXPECT_THROW(session.exec("SELECT 1 / 0"), pqxx::data_exception);
  }
  auto lease = pool.Acquire();
  EXPECT_NE((*lease).backendpid(), first_pid);
  EXPECT_NO_THROW(pqxx::nontransaction(*lease).exec("SELECT 1"))
      << "the lent session still refuses statements (25P02)";
  EXPECT_EQ(pool.Usage().left_in_transaction, 1u);
}

}  // namespace
}  // namespace inventory
