// router.h: the route table. A route is a method, a path pattern with {placeholders}, what body it
// reads, which query parameters it accepts, its handler and where the handler runs. Literal
// segments win over placeholders, so POST /v1/stock/import never reaches a {product_id} route.
// Handlers that may touch the database run on a database worker (the default), never on a Pistache
// I/O thread; a deferred handler starts its work on the I/O thread without blocking and answers
// later through its Reply (reservations: queued for a batch).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "handlers/http_message.h"
#include "handlers/reply.h"

namespace inventory {

enum class BodyKind {
  None,          // the body is ignored
  Json,          // application/json, required
  OptionalJson,  // application/json when present; an empty body is allowed
  Import,        // text/csv or JSON lines
};

enum class Placement {
  DatabaseWorker,  // the handler may block on the database: it runs on a worker of the executor
  IoThread,        // the handler never blocks (probes, metrics, documents): it runs where parsed
};

struct Route {
  std::string method;
  std::string pattern;
  BodyKind body = BodyKind::None;
  std::vector<std::string> query_parameters;
  std::function<HttpResponse(const HttpRequest&)> handler;
  Placement placement = Placement::DatabaseWorker;
  // Set instead of handler: called on the I/O thread; must not block; answers through the Reply.
  std::function<void(const HttpRequest&, Reply)> deferred = nullptr;
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
