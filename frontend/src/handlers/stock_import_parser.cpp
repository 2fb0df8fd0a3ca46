// stock_import_parser.cpp: an RFC 4180 CSV reader (quoted fields, "" escapes, CRLF or LF) and a
// JSON-lines reader. Values are range-checked later by the domain; here only shape and types.
#include "handlers/stock_import_parser.h"

#include <map>
#include <optional>

#include "domain/domain_error.h"
#include "handlers/json_fields.h"
#include "handlers/json_mapping.h"

namespace inventory {
namespace {

[[noreturn]] void Invalid(const std::string& message) {
  throw DomainError(ErrorKind::InvalidValue, message);
}

// Splits CSV text into records of fields; line numbers count physical lines for messages.
struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

std::vector<CsvRecord> ReadCsv(const std::string& text) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  std::size_t line = 1;
  record.line = line;
  auto end_record = [&]() {
    record.fields.push_back(field);
    field.clear();
    field_started = false;
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (!blank)
      records.push_back(record);
    record = CsvRecord{};
    record.line = line;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n')
          ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      if (field_started)
        Invalid("line " + std::to_string(line) + ": a quote may only start a field");
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      record.fields.push_back(field);
      field.clear();
      field_started = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      ++line;
      end_record();
    } else {
      field.push_back(c);
      field_started = true;
    }
  }
  if (quoted)
    Invalid("line " + std::to_string(line) + ": a quoted field is not closed");
  if (field_started || !field.empty() || !record.fields.empty())
    end_record();
  return records;
}

std::int64_t ParseWholeNumber(const std::string& text, const std::string& context,
                              const std::string& column) {
  std::string digits = text;
  bool negative = false;
  if (!digits.empty() && digits[0] == '-') {
    negative = true;
    digits = digits.substr(1);
  }
  if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) {
    Invalid(context + column + " must be a whole number, not \"" + text + "\"");
  }
  const std::int64_t value = std::stoll(digits);
  return negative ? -value : value;
}

}  // namespace

std::vector<StockUpsert> ParseCsvImport(const std::string& body) {
  const auto records = ReadCsv(body);
  if (records.empty())
    Invalid("the CSV holds no header row");
  std::map<std::string, std::size_t> columns;
  const auto& header = records.front().fields;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string name = header[i];
    if (i == 0 && name.rfind("\xEF\xBB\xBF", 0) == 0)
      name = name.substr(3);  // byte order mark
    if (name != "product_id" && name != "warehouse" && name != "on_hand" && name != "name" &&
        name != "low_stock_threshold") {
      Invalid("line 1: unknown column \"" + name +
              "\"; columns are product_id, warehouse, on_hand, name, low_stock_threshold");
    }
    if (!columns.emplace(name, i).second)
      Invalid("line 1: column \"" + name + "\" appears twice");
  }
  if (columns.count("product_id") == 0 || columns.count("on_hand") == 0) {
    Invalid("line 1: the header must name the columns product_id and on_hand");
  }
  std::vector<StockUpsert> rows;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& record = records[r];
    const std::string context = "line " + std::to_string(record.line) + ": ";
    if (record.fields.size() != header.size()) {
      Invalid(context + "has " + std::to_string(record.fields.size()) + " fields, the header has " +
              std::to_string(header.size()));
    }
    auto value = [&](const std::string& column) -> std::optional<std::string> {
      const auto it = columns.find(column);
      if (it == columns.end() || record.fields[it->second].empty())
        return std::nullopt;
      return record.fields[it->second];
    };
    StockUpsert upsert;
    const auto product_id = value("product_id");
    if (!product_id)
      Invalid(context + "product_id is required");
    upsert.product_id = *product_id;
    upsert.warehouse = value("warehouse").value_or("main");
    const auto on_hand = value("on_hand");
    if (!on_hand)
      Invalid(context + "on_hand is required");
    upsert.on_hand = ParseWholeNumber(*on_hand, context, "on_hand");
    upsert.name = value("name");
    if (const auto threshold = value("low_stock_threshold")) {
      upsert.low_stock_threshold = ParseWholeNumber(*threshold, context, "low_stock_threshold");
    }
    rows.push_back(std::move(upsert));
  }
  return rows;
}

std::vector<StockUpsert> ParseJsonLinesImport(const std::string& body) {
  std::vector<StockUpsert> rows;
  std::size_t start = 0;
  std::size_t line = 0;
  while (start < body.size()) {
    ++line;
    auto end = body.find('\n', start);
    if (end == std::string::npos)
      end = body.size();
    std::string text = body.substr(start, end - start);
    start = end + 1;
    if (!text.empty() && text.back() == '\r')
      text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos)
      continue;
    const std::string context = "line " + std::to_string(line) + ": ";
    const auto record = ParseJsonObject(text, context + "the record");
    rows.push_back(StockUpsertFromImportRecord(record, context));
  }
  return rows;
}

}  // namespace inventory
