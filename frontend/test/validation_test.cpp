// validation_test.cpp: value limits of ids, text, quantities and reservation requests.
#include "domain/validation.h"

#include <gtest/gtest.h>

#include "domain/domain_error.h"

namespace inventory {
namespace {

bool Refused(const std::function<void()>& check) {
  try {
    check();
  } catch (const DomainError& error) {
    return error.kind() == ErrorKind::InvalidValue;
  }
  return false;
}

TEST(Validation, Ids) {
  EXPECT_FALSE(Refused([] { ValidateId("prod-001", "product_id"); }));
  EXPECT_FALSE(Refused([] { ValidateId(std::string(200, 'x'), "product_id"); }));
  EXPECT_TRUE(Refused([] { ValidateId(std::string(201, 'x'), "product_id"); }));
  EXPECT_TRUE(Refused([] { ValidateId("", "product_id"); }));
  EXPECT_TRUE(Refused([] { ValidateId("a\nb", "product_id"); }));
  EXPECT_TRUE(Refused([] { ValidateId("\xff\xfe", "product_id"); }));
  EXPECT_FALSE(Refused([] { ValidateId("caf\xc3\xa9", "product_id"); }));
}

TEST(Validation, Utf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));      // truncated
}

TEST(Validation, Quantities) {
  EXPECT_TRUE(Refused([] { ValidateQuantity(0, "quantity"); }));
  EXPECT_TRUE(Refused([] { ValidateQuantity(-3, "quantity"); }));
  EXPECT_TRUE(Refused([] { ValidateQuantity(kMaxQuantity + 1, "quantity"); }));
  EXPECT_FALSE(Refused([] { ValidateQuantity(kMaxQuantity, "quantity"); }));
  EXPECT_FALSE(Refused([] { ValidateLevel(0, "on_hand"); }));
  EXPECT_TRUE(Refused([] { ValidateLevel(-1, "on_hand"); }));
  EXPECT_TRUE(Refused([] { ValidateDelta(0, "delta"); }));
  EXPECT_FALSE(Refused([] { ValidateDelta(-5, "delta"); }));
}

TEST(Validation, Uuid) {
  EXPECT_TRUE(IsUuid("8e094e4c-7a8d-4203-b115-414fa6f5618d"));
  EXPECT_FALSE(IsUuid("8e094e4c7a8d4203b115414fa6f5618d"));
  EXPECT_FALSE(IsUuid("8e094e4c-7a8d-4203-b115-414fa6f5618g"));
}

TEST(Validation, ReservationRequests) {
  ReservationRequest request{"order-1", {{"p", std::nullopt, 2}}, std::nullopt};
  EXPECT_FALSE(Refused([&] { ValidateReservationRequest(request); }));
  request.ttl_seconds = 0;
  EXPECT_TRUE(Refused([&] { ValidateReservationRequest(request); }));
  request.ttl_seconds = kMaxTtlSeconds + 1;
  EXPECT_TRUE(Refused([&] { ValidateReservationRequest(request); }));
  request.ttl_seconds.reset();
  request.lines.clear();
  EXPECT_TRUE(Refused([&] { ValidateReservationRequest(request); }));
  request.lines.assign(kMaxOrderLines + 1, ReservationLine{"p", std::nullopt, 1});
  EXPECT_TRUE(Refused([&] { ValidateReservationRequest(request); }));
}

TEST(Validation, MessagesNameTheField) {
  try {
    ValidateReservationRequest(
        ReservationRequest{"o", {{"p", std::nullopt, 1}, {"q", std::string(""), 1}}, {}});
    FAIL() << "expected a refusal";
  } catch (const DomainError& error) {
    EXPECT_NE(std::string(error.what()).find("lines[1].warehouse"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace inventory
