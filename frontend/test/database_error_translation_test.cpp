// database_error_translation_test.cpp: SQLSTATEs and libpqxx exceptions become the right kinds.
#include "adapters/database_error_translation.h"

#include <gtest/gtest.h>

#include <pqxx/except>

#include "adapters/connection_pool.h"

namespace inventory {
namespace {

ErrorKind KindOf(std::exception_ptr failure) {
  try {
    TranslateDatabaseFailure(failure);
  } catch (const DomainError& error) {
    return error.kind();
  }
  return ErrorKind::Internal;
}

TEST(DatabaseErrorTranslation, ExtensionSqlStates) {
  EXPECT_EQ(KindOfSqlState("IN001"), ErrorKind::InsufficientStock);
  EXPECT_EQ(KindOfSqlState("IN002"), ErrorKind::NotFound);
  EXPECT_EQ(KindOfSqlState("IN003"), ErrorKind::NotFound);
  EXPECT_EQ(KindOfSqlState("IN004"), ErrorKind::InvalidTransition);
  EXPECT_EQ(KindOfSqlState("IN005"), ErrorKind::IdempotencyConflict);
  EXPECT_EQ(KindOfSqlState("IN006"), ErrorKind::BelowReserved);
}

TEST(DatabaseErrorTranslation, StandardSqlStates) {
  EXPECT_EQ(KindOfSqlState("22023"), ErrorKind::InvalidValue);
  EXPECT_EQ(KindOfSqlState("22P02"), ErrorKind::InvalidValue);
  EXPECT_EQ(KindOfSqlState("23514"), ErrorKind::Conflict);
  EXPECT_EQ(KindOfSqlState("57P01"), ErrorKind::Unavailable);
  EXPECT_EQ(KindOfSqlState("08006"), ErrorKind::Unavailable);
  EXPECT_EQ(KindOfSqlState("53300"), ErrorKind::Unavailable);
  EXPECT_EQ(KindOfSqlState("57014"), ErrorKind::Unavailable);
  EXPECT_EQ(KindOfSqlState("40P01"), ErrorKind::Unavailable);
  EXPECT_EQ(KindOfSqlState("XX000"), ErrorKind::Internal);
  EXPECT_EQ(KindOfSqlState("42883"), ErrorKind::Internal);
}

TEST(DatabaseErrorTranslation, PrimaryMessageDropsPrefixAndDetail) {
  EXPECT_EQ(PrimaryMessage("ERROR:  product \"p\" is not stocked\nDETAIL:  more\n"),
            "product \"p\" is not stocked");
  EXPECT_EQ(PrimaryMessage("plain"), "plain");
}

TEST(DatabaseErrorTranslation, Exceptions) {
  EXPECT_EQ(KindOf(std::make_exception_ptr(pqxx::broken_connection("gone"))), ErrorKind::Unavailable);
  EXPECT_EQ(KindOf(std::make_exception_ptr(PoolUnavailable("busy"))), ErrorKind::Unavailable);
  EXPECT_EQ(KindOf(std::make_exception_ptr(pqxx::sql_error("ERROR:  short\n", "SELECT 1", "IN001"))),
            ErrorKind::InsufficientStock);
  EXPECT_EQ(KindOf(std::make_exception_ptr(DomainError(ErrorKind::NotFound, "x"))), ErrorKind::NotFound);
}

TEST(DatabaseErrorTranslation, DetailIsTheDatabaseMessage) {
  try {
    TranslateDatabaseFailure(
        std::make_exception_ptr(pqxx::sql_error("ERROR:  reservation 1 does not exist\n", "q", "IN003")));
  } catch (const DomainError& error) {
    EXPECT_STREQ(error.what(), "reservation 1 does not exist");
  }
}

}  // namespace
}  // namespace inventory
