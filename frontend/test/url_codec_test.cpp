// url_codec_test.cpp: percent-decoding, path splitting and media types.
#include "handlers/url_codec.h"

#include <gtest/gtest.h>

namespace inventory {
namespace {

TEST(UrlCodec, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  EXPECT_FALSE(PercentDecode("%zz").has_value());
  EXPECT_FALSE(PercentDecode("abc%2").has_value());
  EXPECT_FALSE(PercentDecode("%").has_value());
}

TEST(UrlCodec, SplitPath) {
  EXPECT_EQ(SplitPath("/v1/stock"), (std::vector<std::string>{"v1", "stock"}));
  EXPECT_EQ(SplitPath("/v1/stock/"), (std::vector<std::string>{"v1", "stock", ""}));
}

TEST(UrlCodec, MediaType) {
  EXPECT_EQ(MediaTypeOf("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaTypeOf(" text/csv "), "text/csv");
  EXPECT_EQ(MediaTypeOf(""), "");
}

}  // namespace
}  // namespace inventory
