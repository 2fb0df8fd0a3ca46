// json_mapping_test.cpp: strict reading of request bodies and the shape of response JSON.
#include "handlers/json_mapping.h"

#include <gtest/gtest.h>

#include "domain/domain_error.h"

namespace inventory {
namespace {

ErrorKind KindOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const DomainError& error) {
    return error.kind();
  }
  return ErrorKind::Internal;
}

TEST(JsonMapping, ReadsReservationRequest) {
  const auto request = ReservationRequestFromJson(
      R"({"order_id":"o-1","lines":[{"product_id":"p","quantity":2,"warehouse":"east"},{"product_id":"q","quantity":1}],"ttl_seconds":60})");
  EXPECT_EQ(request.order_id, "o-1");
  ASSERT_EQ(request.lines.size(), 2u);
  EXPECT_EQ(request.lines[0].warehouse, "east");
  EXPECT_FALSE(request.lines[1].warehouse.has_value());
  EXPECT_EQ(request.ttl_seconds, 60);
}

TEST(JsonMapping, MalformedJsonIsMalformedRequest) {
  EXPECT_EQ(KindOf([] { ReservationRequestFromJson("{"); }), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf([] { ReservationRequestFromJson("[1]"); }), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf([] { ReservationRequestFromJson(""); }), ErrorKind::MalformedRequest);
  EXPECT_EQ(KindOf([] { ReservationRequestFromJson("{\"order_id\":\"\xff\"}"); }),
            ErrorKind::MalformedRequest);
}

TEST(JsonMapping, ShapeErrorsAreInvalidValues) {
  for (const std::string body : {
           R"({"lines":[{"product_id":"p","quantity":1}]})",                    // missing order_id
           R"({"order_id":5,"lines":[{"product_id":"p","quantity":1}]})",       // wrong type
           R"({"order_id":"o","lines":{}})",                                    // lines not an array
           R"({"order_id":"o","lines":[{"product_id":"p","quantity":"1"}]})",   // quantity as string
           R"({"order_id":"o","lines":[{"product_id":"p","quantity":1.5}]})",   // fractional
           R"({"order_id":"o","lines":[{"product_id":"p","quantity":1e30}]})",  // absurd
           R"({"order_id":"o","lines":[{"product_id":"p","quantity":18446744073709551615}]})",
           R"({"order_id":"o","lines":[{"product_id":"p","quantity":1,"colour":"red"}]})",  // unknown member
           R"({"order_id":"o","lines":[{"product_id":"p","quantity":1}],"extra":true})",
           R"({"order_id":"o","lines":[3]})",
       }) {
    EXPECT_EQ(KindOf([&] { ReservationRequestFromJson(body); }), ErrorKind::InvalidValue) << body;
  }
}

TEST(JsonMapping, StockBodies) {
  const auto upsert =
      StockUpsertFromJson(R"({"on_hand":7,"name":"Widget","low_stock_threshold":2})", "p", "main");
  EXPECT_EQ(upsert.on_hand, 7);
  EXPECT_EQ(upsert.name, "Widget");
  EXPECT_EQ(upsert.low_stock_threshold, 2);
  EXPECT_EQ(KindOf([] { StockUpsertFromJson(R"({"onhand":7})", "p", "main"); }), ErrorKind::InvalidValue);
  EXPECT_EQ(RestockBodyFromJson(R"({"quantity":3,"note":"delivery"})").note, "delivery");
  EXPECT_EQ(AdjustBodyFromJson(R"({"delta":-2,"reason":"breakage"})").delta, -2);
  EXPECT_EQ(KindOf([] { AdjustBodyFromJson(R"({"delta":-2})"); }), ErrorKind::InvalidValue);
}

TEST(JsonMapping, ResponsesUseSnakeCaseAndNulls) {
  Reservation reservation;
  reservation.id = "r";
  reservation.status = "confirmed";
  const auto json = ToJson(reservation);
  EXPECT_TRUE(json.at("expires_at").is_null());
  EXPECT_EQ(json.at("status"), "confirmed");
  EXPECT_FALSE(json.contains("created"));
}

TEST(JsonMapping, DumpReplacesInvalidUtf8) {
  EXPECT_NO_THROW(Dump(nlohmann::json{{"detail", std::string("bad \xff byte")}}));
}

}  // namespace
}  // namespace inventory
