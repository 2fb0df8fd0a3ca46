// request_key_test.cpp: the Idempotency-Key header as quoted string or bare value, its limits, and
// the fingerprint: the same for the same request, different for another method, path or body, and
// blind to the member order and white space of a JSON body.
#include "idempotency/request_key.h"

#include <gtest/gtest.h>

#include <string>

#include "domain/domain_error.h"

namespace inventory {
namespace {

ErrorKind KindOf(const std::string& header) {
  try {
    ParseIdempotencyKey(header);
  } catch (const DomainError& error) {
    return error.kind();
  }
  return ErrorKind::Internal;
}

TEST(ParseIdempotencyKey, ReadsAQuotedStringAsTheDraftWritesIt) {
  EXPECT_EQ(ParseIdempotencyKey("\"8e03978e-40d5-43e8-bc93-6894a57f9324\""),
            "8e03978e-40d5-43e8-bc93-6894a57f9324");
  EXPECT_EQ(ParseIdempotencyKey(R"("a \"quoted\" \\ key")"), R"(a "quoted" \ key)");
}

TEST(ParseIdempotencyKey, ReadsABareValueAsStripeClientsSendIt) {
  EXPECT_EQ(ParseIdempotencyKey("order-42-attempt"), "order-42-attempt");
  EXPECT_EQ(ParseIdempotencyKey("  padded  "), "padded");
}

TEST(ParseIdempotencyKey, RefusesEmptyLongAndNonPrintableKeysAs400) {
  EXPECT_EQ(KindOf(""), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf("\"\""), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf(std::string(256, 'k')), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf("tab\tinside"), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf("caf\xc3\xa9"), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf(R"("bad \n escape")"), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf(R"("a"b")"), ErrorKind::MalformedRequest);
  EXPECT_EQ(ParseIdempotencyKey(std::string(255, 'k')), std::string(255, 'k'));
}

TEST(RequestFingerprint, IsStableAndSeparatesMethodPathAndBody) {
  const auto fingerprint = RequestFingerprint("POST", "/v1/stock/p/main/restock", "application/json",
                                              R"({"quantity": 5})");
  EXPECT_EQ(fingerprint.size(), 64u);
  EXPECT_EQ(fingerprint,
            RequestFingerprint("POST", "/v1/stock/p/main/restock", "application/json", R"({"quantity": 5})"));
  EXPECT_NE(fingerprint,
            RequestFingerprint("POST", "/v1/stock/p/main/restock", "application/json", R"({"quantity": 6})"));
  EXPECT_NE(fingerprint,
            RequestFingerprint("POST", "/v1/stock/p/east/restock", "application/json", R"({"quantity": 5})"));
  EXPECT_NE(fingerprint,
            RequestFingerprint("PUT", "/v1/stock/p/main/restock", "application/json", R"({"quantity": 5})"));
}

TEST(RequestFingerprint, ReadsJsonByContentAndOtherBodiesByteByByte) {
  EXPECT_EQ(RequestFingerprint("POST", "/v1/reservations", "application/json", R"({"a": 1, "b": [1, 2]})"),
            RequestFingerprint("POST", "/v1/reservations", "application/json", "{\n \"b\":[1,2],\"a\":1}"));
  EXPECT_NE(RequestFingerprint("POST", "/v1/stock/import", "text/csv", "product_id,on_hand\np,1\n"),
            RequestFingerprint("POST", "/v1/stock/import", "text/csv", "product_id, on_hand\np,1\n"));
}

}  // namespace
}  // namespace inventory
