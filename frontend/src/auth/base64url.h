// base64url.h: the unpadded base64url of JWS (RFC 7515 §2), for JWT segments and JWK members.
#pragma once

#include <optional>
#include <string>

namespace inventory {

// nullopt when text has a character outside the alphabet or an impossible length.
std::optional<std::string> Base64UrlDecode(const std::string& text);

}  // namespace inventory
