// extension_version.cpp: comparison of dotted extension versions.
#include "domain/extension_version.h"

#include <optional>
#include <sstream>
#include <vector>

namespace inventory {
namespace {

std::optional<std::vector<long>> Components(const std::string& version) {
  std::vector<long> components;
  std::istringstream stream(version);
  std::string part;
  while (std::getline(stream, part, '.')) {
    if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    components.push_back(std::stol(part));
  }
  if (components.empty() || version.back() == '.')
    return std::nullopt;
  return components;
}

}  // namespace

bool ExtensionVersionSatisfies(const std::string& installed, const std::string& expected) {
  const auto have = Components(installed);
  const auto want = Components(expected);
  if (!have || !want || have->front() != want->front())
    return false;
  return *have >= *want;
}

}  // namespace inventory
