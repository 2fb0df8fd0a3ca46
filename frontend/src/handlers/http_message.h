// http_message.h: a request and a response as plain values, so handlers and the request pipeline
// are independent of Pistache (pistache_endpoint.cpp converts at the edge).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace inventory {

struct HttpRequest {
  std::string method;                         // GET, POST, ...
  std::string raw_path;                       // as received, still percent-encoded
  std::map<std::string, std::string> query;   // decoded query parameters
  std::string content_type;                   // media type without parameters, lower case
  std::string body;
  std::string request_id;
  std::vector<std::string> path_parameters;   // decoded {placeholders} of the matched route, in order
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace inventory
