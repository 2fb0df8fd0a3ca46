// router.h: the route table. A route is a method, a path pattern with {placeholders}, what body it
// reads, which query parameters it accepts, and its handler. Literal segments win over
// placeholders, so POST /v1/stock/import never reaches a {product_id} route.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "handlers/http_message.h"

namespace inventory {

enum class BodyKind {
  None,          // the body is ignored
  Json,          // application/json, required
  OptionalJson,  // application/json when present; an empty body is allowed
  Import,        // text/csv or JSON lines
};

struct Route {
  std::string method;
  std::string pattern;
  BodyKind body = BodyKind::None;
  std::vector<std::string> query_parameters;
  std::function<HttpResponse(const HttpRequest&)> handler;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::vector<std::string> raw_parameters;   // placeholder values, still percent-encoded
  std::vector<std::string> allowed_methods;  // methods of routes whose pattern matched the path
};

class Router {
 public:
  void Add(Route route);
  RouteMatch Match(const std::string& method, const std::string& raw_path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> patterns_;  // split patterns, parallel to routes_
};

}  // namespace inventory
