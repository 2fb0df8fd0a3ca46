// request_values.h: typed reads of query parameters and JSON responses, shared by the handlers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "handlers/http_message.h"

namespace inventory {

std::optional<std::string> QueryText(const HttpRequest& request, const std::string& name);
// A whole number parameter; InvalidValue when present but not one.
std::optional<std::int64_t> QueryInteger(const HttpRequest& request, const std::string& name);
// "true" or "false"; InvalidValue otherwise.
std::optional<bool> QueryBoolean(const HttpRequest& request, const std::string& name);
// The limit parameter as a page size (range checked by the domain).
int QueryPageSize(const HttpRequest& request, int fallback);

HttpResponse JsonResponse(int status, const nlohmann::json& body);

}  // namespace inventory
