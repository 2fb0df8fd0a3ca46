// metrics.h: the service's Prometheus metrics: HTTP requests by route, method and status with
// latency histograms, reservation outcomes, and connection pool usage (read when rendered).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace inventory {

// Pool figures as the pool reports them when /metrics is scraped.
struct PoolUsage {
  int size = 0;     // the configured bound
  int open = 0;     // connections currently open
  int in_use = 0;   // leased to a request
  int waiting = 0;  // requests waiting for a connection
  std::uint64_t acquire_timeouts = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t left_in_transaction = 0;  // leases that ended inside a transaction block
};

// Connection figures of an HTTP listener.
struct ConnectionStats {
  std::int64_t open = 0;                 // connections Pistache holds now
  std::uint64_t refused = 0;             // connections closed at once: the maximum was reached
  std::int64_t responses_unwritten = 0;  // responses handed to Pistache, not yet on the wire
};

class Metrics {
 public:
  static constexpr std::array<double, 14> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                             0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

  void ObserveRequest(const std::string& route, const std::string& method, int status, double seconds);
  // outcome: created, repeated, insufficient_stock, conflict, not_found, invalid, unavailable, shed, error.
  void CountReservation(const std::string& outcome);
  void SetPoolUsageSource(std::function<PoolUsage()> source);
  // Other components (the outbox relay, the Kafka consumer) append their own exposition text.
  void AddExpositionSource(std::function<std::string()> source);

  std::string RenderPrometheus() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, Histogram> requests_;
  std::map<std::string, std::uint64_t> reservations_;
  std::function<PoolUsage()> pool_usage_;
  std::vector<std::function<std::string()>> exposition_sources_;
};

}  // namespace inventory
