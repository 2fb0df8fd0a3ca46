// router_test.cpp: placeholders, literal preference and 405 detection.
#include "handlers/router.h"

#include <gtest/gtest.h>

namespace inventory {
namespace {

Router Sample() {
  Router router;
  auto handler = [](const HttpRequest&) { return HttpResponse{}; };
  router.Add({"GET", "/v1/stock/{product_id}", BodyKind::None, {}, handler});
  router.Add({"POST", "/v1/stock/import", BodyKind::Import, {}, handler});
  router.Add({"PUT", "/v1/stock/{product_id}/{warehouse}", BodyKind::Json, {}, handler});
  router.Add({"GET", "/v1/stock/{product_id}/ledger", BodyKind::None, {}, handler});
  return router;
}

TEST(Router, MatchesPlaceholders) {
  const auto router = Sample();
  const auto match = router.Match("GET", "/v1/stock/prod%2F1");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->pattern, "/v1/stock/{product_id}");
  ASSERT_EQ(match.raw_parameters.size(), 1u);
  EXPECT_EQ(match.raw_parameters[0], "prod%2F1");
}

TEST(Router, LiteralSegmentsWin) {
  const auto router = Sample();
  EXPECT_EQ(router.Match("POST", "/v1/stock/import").route->pattern, "/v1/stock/import");
  EXPECT_EQ(router.Match("GET", "/v1/stock/p/ledger").route->pattern, "/v1/stock/{product_id}/ledger");
  EXPECT_EQ(router.Match("PUT", "/v1/stock/p/ledger").route->pattern, "/v1/stock/{product_id}/{warehouse}");
}

TEST(Router, WrongMethodListsAllowedMethods) {
  const auto match = Sample().Match("DELETE", "/v1/stock/p");
  EXPECT_EQ(match.route, nullptr);
  ASSERT_EQ(match.allowed_methods.size(), 1u);
  EXPECT_EQ(match.allowed_methods[0], "GET");
}

TEST(Router, UnknownPathsAndEmptySegmentsDoNotMatch) {
  const auto router = Sample();
  EXPECT_TRUE(router.Match("GET", "/v1/nothing").allowed_methods.empty());
  EXPECT_EQ(router.Match("GET", "/v1/stock/").route, nullptr);
  EXPECT_EQ(router.Match("GET", "/v1/stock//ledger").route, nullptr);
}

}  // namespace
}  // namespace inventory
