// access_policy.h: which access every route needs (the scope rules of docs/security.md), and
// whether a principal has it. Deny by default: a route missing from the table needs admin.
#pragma once

#include <string>

#include "auth/principal.h"

namespace inventory {

enum class Access {
  Public,  // probes and documents
  Read,    // inventory:read (stock reads may be made public by configuration)
  Write,   // inventory:write: reservations
  Admin,   // inventory:admin: stock changes, import, the reaper
};

struct AccessPolicySettings {
  bool stock_reads_public = false;  // AUTH_PUBLIC_STOCK_READS: stock levels and availability only
};

// The access a route (method and pattern as registered in the router) needs.
Access RequiredAccess(const std::string& method, const std::string& route_pattern,
                      const AccessPolicySettings& settings);
// The scope that grants access, for the WWW-Authenticate header of a 403 (empty for Public).
std::string ScopeOf(Access access);
// True when the principal's scopes grant access (admin includes write, write includes read).
bool Grants(const Principal& principal, Access access);

}  // namespace inventory
