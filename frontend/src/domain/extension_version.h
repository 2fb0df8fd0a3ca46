// extension_version.h: which installed versions of the pg_inventory extension this build can run
// against. The SQL API only grows within a major version, so a build works with the version it was
// built for and any later one of the same major: an ALTER EXTENSION ... UPDATE ahead of a rollout
// leaves the running pods ready.
#pragma once

#include <string>

namespace inventory {

// True when installed (e.g. "1.2") has the same major as expected ("1.1") and is not older.
// Versions are dot-separated non-negative integers; anything else never satisfies.
bool ExtensionVersionSatisfies(const std::string& installed, const std::string& expected);

}  // namespace inventory
