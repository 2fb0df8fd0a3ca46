// duration_histogram.cpp: observation (cumulative buckets at render time) and exposition.
#include "observability/duration_histogram.h"

#include <sstream>

namespace inventory {

void DurationHistogram::Observe(double seconds) {
  for (std::size_t i = 0; i < Metrics::kLatencyBuckets.size(); ++i) {
    if (seconds <= Metrics::kLatencyBuckets[i]) {
      ++buckets_[i];
      break;
    }
  }
  ++count_;
  sum_ = sum_ + seconds;  // one observing thread: no lost updates
}

std::string DurationHistogram::Render(const std::string& name, const std::string& help) const {
  std::ostringstream out;
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < Metrics::kLatencyBuckets.size(); ++i) {
    cumulative += buckets_[i];
    out << name << "_bucket{le=\"" << Metrics::kLatencyBuckets[i] << "\"} " << cumulative << "\n";
  }
  out << name << "_bucket{le=\"+Inf\"} " << count_ << "\n"
      << name << "_sum " << sum_ << "\n"
      << name << "_count " << count_ << "\n";
  return out.str();
}

}  // namespace inventory
