// url_codec.h: percent-decoding of path segments and query parameters, and media type parsing.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace inventory {

// Decodes %XX escapes ('+' too when form is true); nullopt for a malformed escape.
std::optional<std::string> PercentDecode(const std::string& text, bool form = false);
// Splits "/a/b%2Fc" into raw segments {"a", "b%2Fc"}; an empty segment is kept as "".
std::vector<std::string> SplitPath(const std::string& raw_path);
// "Application/JSON; charset=utf-8" -> "application/json".
std::string MediaTypeOf(const std::string& content_type_header);

}  // namespace inventory
