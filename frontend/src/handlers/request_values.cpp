// request_values.cpp: query parameter parsing with named errors.
#include "handlers/request_values.h"

#include <limits>

#include "domain/domain_error.h"
#include "handlers/json_mapping.h"

namespace inventory {

std::optional<std::string> QueryText(const HttpRequest& request, const std::string& name) {
  const auto it = request.query.find(name);
  if (it == request.query.end())
    return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> QueryInteger(const HttpRequest& request, const std::string& name) {
  const auto text = QueryText(request, name);
  if (!text)
    return std::nullopt;
  std::string digits = *text;
  const bool negative = !digits.empty() && digits[0] == '-';
  if (negative)
    digits = digits.substr(1);
  if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) {
    throw DomainError(ErrorKind::InvalidValue, name + " must be a whole number, not \"" + *text + "\"");
  }
  const std::int64_t value = std::stoll(digits);
  return negative ? -value : value;
}

std::optional<bool> QueryBoolean(const HttpRequest& request, const std::string& name) {
  const auto text = QueryText(request, name);
  if (!text)
    return std::nullopt;
  if (*text == "true")
    return true;
  if (*text == "false")
    return false;
  throw DomainError(ErrorKind::InvalidValue, name + " must be true or false, not \"" + *text + "\"");
}

int QueryPageSize(const HttpRequest& request, int fallback) {
  const auto limit = QueryInteger(request, "limit");
  if (!limit)
    return fallback;
  if (*limit < std::numeric_limits<int>::min() || *limit > std::numeric_limits<int>::max())
    return -1;
  return static_cast<int>(*limit);
}

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  response.body = Dump(body);
  return response;
}

}  // namespace inventory
