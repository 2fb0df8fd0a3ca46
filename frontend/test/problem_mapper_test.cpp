// problem_mapper_test.cpp: every error kind has one status, and problem bodies carry RFC 7807 fields.
#include "handlers/problem_mapper.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace inventory {
namespace {

TEST(ProblemMapper, StatusPerKind) {
  EXPECT_EQ(StatusOf(ErrorKind::MalformedRequest), 400);
  EXPECT_EQ(StatusOf(ErrorKind::NotFound), 404);
  EXPECT_EQ(StatusOf(ErrorKind::MethodNotAllowed), 405);
  EXPECT_EQ(StatusOf(ErrorKind::InsufficientStock), 409);
  EXPECT_EQ(StatusOf(ErrorKind::InvalidTransition), 409);
  EXPECT_EQ(StatusOf(ErrorKind::IdempotencyConflict), 409);
  EXPECT_EQ(StatusOf(ErrorKind::BelowReserved), 409);
  EXPECT_EQ(StatusOf(ErrorKind::PayloadTooLarge), 413);
  EXPECT_EQ(StatusOf(ErrorKind::UnsupportedMediaType), 415);
  EXPECT_EQ(StatusOf(ErrorKind::InvalidValue), 422);
  EXPECT_EQ(StatusOf(ErrorKind::Unavailable), 503);
  EXPECT_EQ(StatusOf(ErrorKind::Internal), 500);
}

TEST(ProblemMapper, ProblemBodyHasTheRfc7807Members) {
  const auto response = ProblemResponse(DomainError(ErrorKind::NotFound, "product \"p\" is not stocked"),
                                        "/v1/stock/p", "req-1", 2);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/problem+json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body.at("type"), "/problems/not-found");
  EXPECT_EQ(body.at("title"), "Not found");
  EXPECT_EQ(body.at("status"), 404);
  EXPECT_EQ(body.at("detail"), "product \"p\" is not stocked");
  EXPECT_EQ(body.at("request_id"), "req-1");
}

TEST(ProblemMapper, InsufficientStockCarriesShortages) {
  const auto response = ProblemResponse(
      DomainError(ErrorKind::InsufficientStock, "short", {Shortage{"p", std::string("east"), 5, 2}}), "/",
      "r", 2);
  const auto body = nlohmann::json::parse(response.body);
  ASSERT_EQ(body.at("shortages").size(), 1u);
  EXPECT_EQ(body.at("shortages")[0].at("requested"), 5);
  EXPECT_EQ(body.at("shortages")[0].at("available"), 2);
  EXPECT_EQ(body.at("shortages")[0].at("warehouse"), "east");
}

TEST(ProblemMapper, UnavailableCarriesRetryAfter) {
  const auto response = ProblemResponse(DomainError(ErrorKind::Unavailable, "down"), "/", "r", 7);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Retry-After");
  EXPECT_EQ(response.headers[0].second, "7");
}

TEST(ProblemMapper, InternalErrorsHideTheirCause) {
  const auto response = ProblemResponse(DomainError(ErrorKind::Internal, "secret stack"), "/", "r", 2);
  EXPECT_EQ(response.body.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace inventory
