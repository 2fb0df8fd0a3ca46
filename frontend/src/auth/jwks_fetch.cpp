// jwks_fetch.cpp: file and libcurl transports. Only the refresher thread (and start-up) call these.
#include "auth/jwks_fetch.h"

#include <curl/curl.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace inventory {
namespace {

struct Download {
  std::string body;
  std::size_t max_bytes;
  bool too_large = false;
};

std::size_t Append(char* data, std::size_t size, std::size_t count, void* user) {
  auto* download = static_cast<Download*>(user);
  const std::size_t bytes = size * count;
  if (download->body.size() + bytes > download->max_bytes) {
    download->too_large = true;
    return 0;
  }
  download->body.append(data, bytes);
  return bytes;
}

}  // namespace

std::string ReadJwksFile(const std::string& path, std::size_t max_bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw std::runtime_error("cannot read the JWKS file " + path);
  std::string content;
  char buffer[8192];
  while (file.read(buffer, sizeof buffer) || file.gcount() > 0) {
    content.append(buffer, static_cast<std::size_t>(file.gcount()));
    if (content.size() > max_bytes)
      throw std::runtime_error("the JWKS file " + path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  return content;
}

std::string FetchJwksUrl(const std::string& url, std::chrono::milliseconds timeout, std::size_t max_bytes) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl)
    throw std::runtime_error("libcurl could not start");
  Download download{"", max_bytes};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &download);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "inventory-svc");
  const CURLcode code = curl_easy_perform(curl.get());
  if (download.too_large)
    throw std::runtime_error("the JWKS at " + url + " is larger than " + std::to_string(max_bytes) + " bytes");
  if (code != CURLE_OK)
    throw std::runtime_error("GET " + url + ": " + curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    throw std::runtime_error("GET " + url + " answered " + std::to_string(status));
  return download.body;
}

}  // namespace inventory
