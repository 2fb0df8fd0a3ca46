// duration_histogram.h: a Prometheus histogram of durations in seconds, with the service's latency
// buckets (Metrics::kLatencyBuckets), that one thread observes and any thread renders. Used by the
// Kafka roles for how long a consumer batch takes in the database and how old an outbox event is
// when the relay hands it to Kafka.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "observability/metrics.h"

namespace inventory {

class DurationHistogram {
 public:
  void Observe(double seconds);
  // The exposition text of the histogram under name, with its HELP line.
  std::string Render(const std::string& name, const std::string& help) const;

 private:
  std::array<std::atomic<std::uint64_t>, Metrics::kLatencyBuckets.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

}  // namespace inventory
