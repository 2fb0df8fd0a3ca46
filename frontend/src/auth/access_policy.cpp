// access_policy.cpp: the route table of access levels. Routes are named by their router pattern so
// the table reads like docs/rest-api.md; a unit test checks that every registered route is listed.
#include "auth/access_policy.h"

#include <algorithm>
#include <map>
#include <utility>

namespace inventory {
namespace {

using RouteKey = std::pair<std::string, std::string>;

const std::map<RouteKey, Access>& AccessTable() {
  static const std::map<RouteKey, Access> table = {
      {{"GET", "/health"}, Access::Public},
      {{"GET", "/ready"}, Access::Public},
      {{"GET", "/metrics"}, Access::Public},
      {{"GET", "/openapi.json"}, Access::Public},
      {{"GET", "/docs"}, Access::Public},
      {{"GET", "/docs/{asset}"}, Access::Public},
      {{"GET", "/v1/stock"}, Access::Read},
      {{"GET", "/v1/stock/{product_id}"}, Access::Read},
      {{"GET", "/v1/stock/{product_id}/availability"}, Access::Read},
      {{"GET", "/v1/stock/{product_id}/ledger"}, Access::Read},
      {{"GET", "/v1/reservations/{reservation_id}"}, Access::Read},
      {{"GET", "/v1/orders/{order_id}/reservations"}, Access::Read},
      {{"POST", "/v1/reservations"}, Access::Write},
      {{"POST", "/v1/reservations/{reservation_id}/confirm"}, Access::Write},
      {{"POST", "/v1/reservations/{reservation_id}/release"}, Access::Write},
      {{"POST", "/v1/reservations/{reservation_id}/ship"}, Access::Write},
      {{"POST", "/v1/orders/{order_id}/confirm"}, Access::Write},
      {{"POST", "/v1/orders/{order_id}/release"}, Access::Write},
      {{"POST", "/v1/orders/{order_id}/ship"}, Access::Write},
      {{"PUT", "/v1/stock/{product_id}/{warehouse}"}, Access::Admin},
      {{"DELETE", "/v1/stock/{product_id}/{warehouse}"}, Access::Admin},
      {{"POST", "/v1/stock/{product_id}/{warehouse}/restock"}, Access::Admin},
      {{"POST", "/v1/stock/{product_id}/{warehouse}/adjust"}, Access::Admin},
      {{"POST", "/v1/stock/import"}, Access::Admin},
      {{"POST", "/v1/admin/expire-reservations"}, Access::Admin},
      {{"POST", "/v1/admin/dead-letters/{dead_letter_id}/retry"}, Access::Admin},
  };
  return table;
}

// Stock levels and availability carry no personal data; the ledger (with actors) never goes public.
bool IsPublicStockRead(const std::string& method, const std::string& pattern) {
  return method == "GET" && (pattern == "/v1/stock" || pattern == "/v1/stock/{product_id}" ||
                             pattern == "/v1/stock/{product_id}/availability");
}

int Rank(Access access) {
  return static_cast<int>(access);
}

}  // namespace

Access RequiredAccess(const std::string& method, const std::string& route_pattern,
                      const AccessPolicySettings& settings) {
  if (settings.stock_reads_public && IsPublicStockRead(method, route_pattern))
    return Access::Public;
  const auto found = AccessTable().find({method, route_pattern});
  return found == AccessTable().end() ? Access::Admin : found->second;
}

std::string ScopeOf(Access access) {
  switch (access) {
    case Access::Public:
      return "";
    case Access::Read:
      return scope::kRead;
    case Access::Write:
      return scope::kWrite;
    case Access::Admin:
      return scope::kAdmin;
  }
  return scope::kAdmin;
}

bool Grants(const Principal& principal, Access access) {
  if (access == Access::Public)
    return true;
  int best = -1;
  if (principal.scopes.count(scope::kRead))
    best = std::max(best, Rank(Access::Read));
  if (principal.scopes.count(scope::kWrite))
    best = std::max(best, Rank(Access::Write));
  if (principal.scopes.count(scope::kAdmin))
    best = std::max(best, Rank(Access::Admin));
  return best >= Rank(access);
}

}  // namespace inventory
