// stock_import_parser_test.cpp: CSV and JSON-lines import bodies.
#include "handlers/stock_import_parser.h"

#include <gtest/gtest.h>

#include "domain/domain_error.h"

namespace inventory {
namespace {

std::string ErrorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const DomainError& error) {
    return error.what();
  }
  return "";
}

TEST(StockImportParser, CsvWithOptionalColumnsAndQuotes) {
  const auto rows = ParseCsvImport(
      "product_id,warehouse,on_hand,name,low_stock_threshold\r\n"
      "p-1,east,10,\"Widget, large\",2\r\n"
      "p-2,,5,\"Say \"\"hi\"\"\",\r\n"
      "\r\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].warehouse, "east");
  EXPECT_EQ(rows[0].name, "Widget, large");
  EXPECT_EQ(rows[0].low_stock_threshold, 2);
  EXPECT_EQ(rows[1].warehouse, "main");
  EXPECT_EQ(rows[1].name, "Say \"hi\"");
  EXPECT_FALSE(rows[1].low_stock_threshold.has_value());
}

TEST(StockImportParser, CsvErrorsNameTheLine) {
  EXPECT_NE(ErrorOf([] { ParseCsvImport("product_id,on_hand\np,1\nq,x\n"); }).find("line 3"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseCsvImport("product_id,on_hand,colour\n"); }).find("colour"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseCsvImport("product_id\np\n"); }).find("on_hand"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseCsvImport("product_id,on_hand\np,1,2\n"); }).find("line 2"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseCsvImport("product_id,on_hand\n\"p,1\n"); }).find("not closed"),
            std::string::npos);
  EXPECT_FALSE(ErrorOf([] { ParseCsvImport(""); }).empty());
}

TEST(StockImportParser, JsonLines) {
  const auto rows = ParseJsonLinesImport(
      "{\"product_id\":\"p\",\"on_hand\":3}\n\n{\"product_id\":\"q\",\"warehouse\":\"east\",\"on_hand\":0}"
      "\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].warehouse, "east");
  EXPECT_NE(
      ErrorOf([] { ParseJsonLinesImport("{\"product_id\":\"p\",\"on_hand\":1}\n{oops\n"); }).find("line 2"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf([] { ParseJsonLinesImport("{\"product_id\":\"p\",\"on_hand\":1,\"x\":1}"); }).find("line 1"),
      std::string::npos);
}

}  // namespace
}  // namespace inventory
