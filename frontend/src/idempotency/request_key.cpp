// request_key.cpp: header parsing and the SHA-256 fingerprint (OpenSSL).
#include "idempotency/request_key.h"

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "domain/domain_error.h"

namespace inventory {
namespace {

bool IsPrintableAscii(char c) {
  return c >= 0x20 && c <= 0x7e;
}

// The content of a structured-field string: "…" with \" and \\ as its only escapes.
std::string UnquoteString(const std::string& quoted) {
  std::string key;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '\\') {
      if (i + 2 >= quoted.size() || (quoted[i + 1] != '"' && quoted[i + 1] != '\\'))
        throw DomainError(ErrorKind::MalformedRequest, "the Idempotency-Key has a bad escape");
      c = quoted[++i];
    } else if (c == '"') {
      throw DomainError(ErrorKind::MalformedRequest, "the Idempotency-Key has a quote inside its string");
    }
    key += c;
  }
  return key;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1)
    throw DomainError(ErrorKind::Internal, "SHA-256 of a request failed");
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

}  // namespace

std::string ParseIdempotencyKey(const std::string& header_value) {
  std::string value = header_value;
  const auto first = value.find_first_not_of(" \t");
  const auto last = value.find_last_not_of(" \t");
  value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  const bool quoted = value.size() >= 2 && value.front() == '"' && value.back() == '"';
  const std::string key = quoted ? UnquoteString(value) : value;
  if (key.empty())
    throw DomainError(ErrorKind::MalformedRequest, "the Idempotency-Key header is empty");
  if (key.size() > kMaxIdempotencyKeyLength) {
    throw DomainError(ErrorKind::MalformedRequest, "the Idempotency-Key has " + std::to_string(key.size()) +
                                                       " characters, more than the " +
                                                       std::to_string(kMaxIdempotencyKeyLength) + " allowed");
  }
  for (const char c : key) {
    if (!IsPrintableAscii(c) || (!quoted && c == '"'))
      throw DomainError(ErrorKind::MalformedRequest,
                        "the Idempotency-Key must be printable ASCII, as a quoted string or a bare value");
  }
  return key;
}

std::string RequestFingerprint(const std::string& method, const std::string& raw_path,
                               const std::string& media_type, const std::string& body) {
  std::string content = body;
  if (media_type == "application/json") {
    const auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (!parsed.is_discarded())
      content = parsed.dump();
  }
  return Sha256Hex(method + '\n' + raw_path + '\n' + content);
}

}  // namespace inventory
