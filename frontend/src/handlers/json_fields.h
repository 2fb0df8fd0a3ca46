// json_fields.h: strict reading of JSON request bodies. Syntax errors are MalformedRequest (400);
// missing members, wrong types and unknown members are InvalidValue (422) naming the member.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

namespace inventory {

// Parses a body that must be one JSON object.
nlohmann::json ParseJsonObject(const std::string& body, const std::string& what = "the request body");

class JsonObjectReader {
 public:
  // context prefixes member names in messages, for instance "lines[2]." or "line 7: ".
  explicit JsonObjectReader(const nlohmann::json& object, std::string context = "");

  std::string RequireString(const std::string& key);
  std::optional<std::string> OptionalString(const std::string& key);  // absent or null: nullopt
  std::int64_t RequireInteger(const std::string& key);
  std::optional<std::int64_t> OptionalInteger(const std::string& key);
  std::optional<bool> OptionalBoolean(const std::string& key);
  const nlohmann::json& RequireArray(const std::string& key);
  // Refuses members that no Require/Optional call asked for.
  void RejectUnknownMembers() const;

 private:
  const nlohmann::json* Find(const std::string& key);
  [[noreturn]] void Invalid(const std::string& key, const std::string& problem) const;

  const nlohmann::json& object_;
  std::string context_;
  std::set<std::string> known_;
};

}  // namespace inventory
