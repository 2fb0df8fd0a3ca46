// router.cpp: segment-wise matching with a literal-over-placeholder preference.
#include "handlers/router.h"

#include <algorithm>

#include "handlers/url_codec.h"

namespace inventory {
namespace {

bool IsPlaceholder(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::Add(Route route) {
  patterns_.push_back(SplitPath(route.pattern));
  routes_.push_back(std::move(route));
}

RouteMatch Router::Match(const std::string& method, const std::string& raw_path) const {
  RouteMatch best;
  int best_score = -1;
  const auto segments = SplitPath(raw_path);
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    const auto& pattern = patterns_[r];
    if (pattern.size() != segments.size())
      continue;
    int score = 0;
    bool matches = true;
    std::vector<std::string> parameters;
    for (std::size_t i = 0; i < pattern.size() && matches; ++i) {
      if (IsPlaceholder(pattern[i])) {
        matches = !segments[i].empty();
        parameters.push_back(segments[i]);
      } else {
        matches = pattern[i] == segments[i];
        ++score;
      }
    }
    if (!matches)
      continue;
    if (std::find(best.allowed_methods.begin(), best.allowed_methods.end(), routes_[r].method) ==
        best.allowed_methods.end()) {
      best.allowed_methods.push_back(routes_[r].method);
    }
    if (routes_[r].method == method && score > best_score) {
      best_score = score;
      best.route = &routes_[r];
      best.raw_parameters = std::move(parameters);
    }
  }
  return best;
}

}  // namespace inventory
