// json_fields.cpp: member access with typed, named errors.
#include "handlers/json_fields.h"

#include <limits>

#include "domain/domain_error.h"

namespace inventory {

nlohmann::json ParseJsonObject(const std::string& body, const std::string& what) {
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& error) {
    throw DomainError(ErrorKind::MalformedRequest,
                      what + " is not valid JSON (at byte " + std::to_string(error.byte) + ")");
  } catch (const nlohmann::json::out_of_range&) {
    // nlohmann refuses numbers beyond a double (1e400) with out_of_range, not parse_error.
    throw DomainError(ErrorKind::MalformedRequest, what + " has a number too large to read");
  }
  if (!value.is_object())
    throw DomainError(ErrorKind::MalformedRequest, what + " must be a JSON object");
  return value;
}

JsonObjectReader::JsonObjectReader(const nlohmann::json& object, std::string context)
    : object_(object), context_(std::move(context)) {}

const nlohmann::json* JsonObjectReader::Find(const std::string& key) {
  known_.insert(key);
  const auto it = object_.find(key);
  if (it == object_.end())
    return nullptr;
  return &*it;
}

void JsonObjectReader::Invalid(const std::string& key, const std::string& problem) const {
  throw DomainError(ErrorKind::InvalidValue, context_ + key + " " + problem);
}

std::string JsonObjectReader::RequireString(const std::string& key) {
  const auto value = OptionalString(key);
  if (!value)
    Invalid(key, "is required");
  return *value;
}

std::optional<std::string> JsonObjectReader::OptionalString(const std::string& key) {
  const auto* value = Find(key);
  if (value == nullptr || value->is_null())
    return std::nullopt;
  if (!value->is_string())
    Invalid(key, "must be a string");
  return value->get<std::string>();
}

std::int64_t JsonObjectReader::RequireInteger(const std::string& key) {
  const auto value = OptionalInteger(key);
  if (!value)
    Invalid(key, "is required");
  return *value;
}

std::optional<std::int64_t> JsonObjectReader::OptionalInteger(const std::string& key) {
  const auto* value = Find(key);
  if (value == nullptr || value->is_null())
    return std::nullopt;
  if (value->is_number_unsigned()) {
    const auto number = value->get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      Invalid(key, "is too large");
    return static_cast<std::int64_t>(number);
  }
  if (value->is_number_integer())
    return value->get<std::int64_t>();
  if (value->is_number_float())
    Invalid(key, "must be a whole number");
  Invalid(key, "must be a number");
}

std::optional<bool> JsonObjectReader::OptionalBoolean(const std::string& key) {
  const auto* value = Find(key);
  if (value == nullptr || value->is_null())
    return std::nullopt;
  if (!value->is_boolean())
    Invalid(key, "must be true or false");
  return value->get<bool>();
}

const nlohmann::json& JsonObjectReader::RequireArray(const std::string& key) {
  const auto* value = Find(key);
  if (value == nullptr || value->is_null())
    Invalid(key, "is required");
  if (!value->is_array())
    Invalid(key, "must be an array");
  return *value;
}

void JsonObjectReader::RejectUnknownMembers() const {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (known_.count(it.key()) == 0) {
      throw DomainError(ErrorKind::InvalidValue, context_ + it.key() + " is not a known member");
    }
  }
}

}  // namespace inventory
