// metrics.cpp: recording and Prometheus text exposition (format 0.0.4).
#include "observability/metrics.h"

#include <sstream>

namespace inventory {
namespace {

// Label values are escaped as the exposition format requires.
std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"')
      out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void Metrics::ObserveRequest(const std::string& route, const std::string& method, int status,
                             double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& histogram = requests_[std::make_tuple(route, method, status)];
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i])
      ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::CountReservation(const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++reservations_[outcome];
}

void Metrics::SetPoolUsageSource(std::function<PoolUsage()> source) {
  std::lock_guard<std::mutex> lock(mutex_);
  pool_usage_ = std::move(source);
}

void Metrics::AddExpositionSource(std::function<std::string()> source) {
  std::lock_guard<std::mutex> lock(mutex_);
  exposition_sources_.push_back(std::move(source));
}

std::string Metrics::RenderPrometheus() const {
  std::ostringstream out;
  std::function<PoolUsage()> pool_usage;
  std::vector<std::function<std::string()>> exposition_sources;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pool_usage = pool_usage_;
    exposition_sources = exposition_sources_;
    out << "# HELP inventory_http_requests_total HTTP requests answered, by route, method and status.\n"
        << "# TYPE inventory_http_requests_total counter\n";
    for (const auto& [key, histogram] : requests_) {
      const auto& [route, method, status] = key;
      out << "inventory_http_requests_total{route=\"" << Escape(route) << "\",method=\"" << method
          << "\",status=\"" << status << "\"} " << histogram.count << "\n";
    }
    out << "# HELP inventory_http_request_duration_seconds Time from request parsed to response handed "
           "over.\n"
        << "# TYPE inventory_http_request_duration_seconds histogram\n";
    for (const auto& [key, histogram] : requests_) {
      const auto& [route, method, status] = key;
      const std::string labels = "route=\"" + Escape(route) + "\",method=\"" + method + "\",status=\"" +
                                 std::to_string(status) + "\"";
      for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        out << "inventory_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kLatencyBuckets[i]
            << "\"} " << histogram.buckets[i] << "\n";
      }
      out << "inventory_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} "
          << histogram.count << "\n";
      out << "inventory_http_request_duration_seconds_sum{" << labels << "} " << histogram.sum << "\n";
      out << "inventory_http_request_duration_seconds_count{" << labels << "} " << histogram.count << "\n";
    }
    out << "# HELP inventory_reservations_total Reservation requests by outcome.\n"
        << "# TYPE inventory_reservations_total counter\n";
    for (const auto& [outcome, count] : reservations_) {
      out << "inventory_reservations_total{outcome=\"" << Escape(outcome) << "\"} " << count << "\n";
    }
  }
  if (pool_usage) {
    const PoolUsage usage = pool_usage();
    out << "# HELP inventory_db_pool_size Upper bound of database connections.\n"
        << "# TYPE inventory_db_pool_size gauge\ninventory_db_pool_size " << usage.size << "\n"
        << "# HELP inventory_db_pool_connections Open database connections by state.\n"
        << "# TYPE inventory_db_pool_connections gauge\n"
        << "inventory_db_pool_connections{state=\"in_use\"} " << usage.in_use << "\n"
        << "inventory_db_pool_connections{state=\"idle\"} " << usage.open - usage.in_use << "\n"
        << "# HELP inventory_db_pool_waiting Requests waiting for a database connection.\n"
        << "# TYPE inventory_db_pool_waiting gauge\ninventory_db_pool_waiting " << usage.waiting << "\n"
        << "# HELP inventory_db_pool_acquire_timeouts_total Requests that found no free connection in time.\n"
        << "# TYPE inventory_db_pool_acquire_timeouts_total counter\n"
        << "inventory_db_pool_acquire_timeouts_total " << usage.acquire_timeouts << "\n"
        << "# HELP inventory_db_connect_failures_total Failed attempts to open a database connection.\n"
        << "# TYPE inventory_db_connect_failures_total counter\n"
        << "inventory_db_connect_failures_total " << usage.connect_failures << "\n"
        << "# HELP inventory_db_pool_left_in_transaction_total Connections whose lease ended inside a transaction "
           "block, closed instead of lent again.\n"
        << "# TYPE inventory_db_pool_left_in_transaction_total counter\n"
        << "inventory_db_pool_left_in_transaction_total " << usage.left_in_transaction << "\n";
  }
  for (const auto& source : exposition_sources)
    out << source();
  return out.str();
}

}  // namespace inventory
