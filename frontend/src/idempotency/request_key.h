// request_key.h: reading the Idempotency-Key request header (IETF httpapi draft: a structured-field
// string, "…"; a bare value as Stripe's clients send it is accepted too) and the fingerprint that
// tells a repeat of a request from another request sent with the same key.
#pragma once

#include <cstddef>
#include <string>

namespace inventory {

// The longest key accepted, in characters.
constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// The key of a header value: the content of a quoted string (with \" and \\ escapes) or the bare
// value, 1 to kMaxIdempotencyKeyLength printable ASCII characters. Throws DomainError
// MalformedRequest (400) for anything else.
std::string ParseIdempotencyKey(const std::string& header_value);

// Hex SHA-256 of the method, the path as sent and the body. A JSON body counts by its content:
// member order and white space do not change the fingerprint; any other body counts byte by byte.
std::string RequestFingerprint(const std::string& method, const std::string& raw_path,
                               const std::string& media_type, const std::string& body);

}  // namespace inventory
