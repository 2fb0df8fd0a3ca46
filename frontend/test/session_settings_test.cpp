// session_settings_test.cpp: connection strings per session kind: application_name per role,
// timeouts and keepalives added, what the caller wrote kept.
#include "adapters/session_settings.h"

#include <gtest/gtest.h>

using namespace inventory;

TEST(SessionSettings, RestSessionsAreNamedAndKeepTheirTarget) {
  const auto conninfo =
      SessionConnInfo("postgresql://app@db.example:6432/shop?sslmode=require", SessionSettings{"rest", 4});
  EXPECT_NE(conninfo.find("application_name='inventory-svc-rest'"), std::string::npos);
  EXPECT_NE(conninfo.find("host='db.example'"), std::string::npos);
  EXPECT_NE(conninfo.find("port='6432'"), std::string::npos);
  EXPECT_NE(conninfo.find("dbname='shop'"), std::string::npos);
  EXPECT_NE(conninfo.find("sslmode='require'"), std::string::npos);
  EXPECT_NE(conninfo.find("connect_timeout='4'"), std::string::npos);
  EXPECT_NE(conninfo.find("keepalives='1'"), std::string::npos);
  EXPECT_EQ(conninfo.find("options="), std::string::npos);
}

TEST(SessionSettings, WorkerSessionsGetTimeoutsAndTheirRole) {
  const auto conninfo = SessionConnInfo(
      "host=db dbname=shop application_name=inventory-worker",
      SessionSettings{"relay", 3, std::chrono::milliseconds(10000), std::chrono::milliseconds(15000)});
  EXPECT_NE(conninfo.find("application_name='inventory-worker-relay'"), std::string::npos);
  EXPECT_NE(conninfo.find("options='-c statement_timeout=10000 -c idle_in_transaction_session_timeout=15000 "
                          "-c idle_session_timeout=15000'"),
            std::string::npos);
  EXPECT_NE(conninfo.find("tcp_user_timeout='15000'"), std::string::npos);
}

TEST(SessionSettings, WhatTheCallerWroteWins) {
  const auto conninfo = SessionConnInfo(
      "host=db connect_timeout=9 keepalives_idle=60 options='-c statement_timeout=1 -c search_path=x'",
      SessionSettings{"consumer", 3, std::chrono::milliseconds(10000), std::chrono::milliseconds(15000)});
  EXPECT_NE(conninfo.find("connect_timeout='9'"), std::string::npos);
  EXPECT_NE(conninfo.find("keepalives_idle='60'"), std::string::npos);
  EXPECT_NE(conninfo.find(
                "options='-c statement_timeout=1 -c search_path=x -c idle_in_transaction_session_timeout"),
            std::string::npos);
  EXPECT_EQ(conninfo.find("statement_timeout=10000"), std::string::npos);
}

TEST(SessionSettings, QuotesAreEscapedAndNonsenseIsRefused) {
  EXPECT_NE(SessionConnInfo("host=db password='it\\'s'", SessionSettings{"rest"}).find("password='it\\'s'"),
            std::string::npos);
  EXPECT_THROW(SessionConnInfo("not a conninfo", SessionSettings{"rest"}), std::invalid_argument);
}
