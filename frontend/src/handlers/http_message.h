// http_message.h: a request and a response as plain values, so handlers and the request pipeline
// are independent of Pistache (pistache_endpoint.cpp converts at the edge).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace inventory {

struct HttpRequest {
  std::string method;                                          // GET, POST, ...
  std::string raw_path;                                        // as received, still percent-encoded
  std::vector<std::pair<std::string, std::string>> raw_query;  // as received, still percent-encoded
  std::map<std::string, std::string> query;  // decoded query parameters (set by the pipeline)
  std::string content_type;                  // the Content-Type header; the pipeline keeps the media type
  std::string body;
  std::string request_id;
  std::vector<std::string> path_parameters;  // decoded {placeholders} of the matched route, in order
  std::string authorization;                 // the Authorization header, empty when absent
  bool internal_listener = false;            // arrived on the internal (mTLS) listener
  std::function<bool()> client_waiting;      // false once the client has hung up; unset: always true
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close_connection = false;  // ask the client to close (set while draining)
};

}  // namespace inventory
