// jwks_fetch.h: where a JWKS document comes from: a file (AUTH_JWKS_FILE, e.g. a mounted
// ConfigMap) or a URL (AUTH_JWKS_URL, e.g. Keycloak's certs endpoint), fetched with libcurl.
#pragma once

#include <chrono>
#include <string>

namespace inventory {

// Throws std::runtime_error when the file cannot be read or exceeds max_bytes.
std::string ReadJwksFile(const std::string& path, std::size_t max_bytes = 1024 * 1024);
// GET url; throws std::runtime_error on a transport error, a status other than 200, or a body over
// max_bytes. HTTPS peers are verified against the system CA store.
std::string FetchJwksUrl(const std::string& url, std::chrono::milliseconds timeout,
                         std::size_t max_bytes = 1024 * 1024);

}  // namespace inventory
