// metrics_test.cpp: Prometheus exposition of requests, reservations and pool usage.
#include "observability/metrics.h"

#include <gtest/gtest.h>

namespace inventory {
namespace {

TEST(Metrics, RendersCountersAndHistograms) {
  Metrics metrics;
  metrics.ObserveRequest("/v1/stock/{product_id}", "GET", 200, 0.002);
  metrics.ObserveRequest("/v1/stock/{product_id}", "GET", 200, 0.2);
  metrics.CountReservation("created");
  const auto text = metrics.RenderPrometheus();
  EXPECT_NE(
      text.find(
          "inventory_http_requests_total{route=\"/v1/stock/{product_id}\",method=\"GET\",status=\"200\"} 2"),
      std::string::npos);
  EXPECT_NE(text.find("le=\"0.0025\"} 1"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 2"), std::string::npos);
  EXPECT_NE(text.find("inventory_reservations_total{outcome=\"created\"} 1"), std::string::npos);
}

TEST(Metrics, RendersPoolUsage) {
  Metrics metrics;
  metrics.SetPoolUsageSource([] { return PoolUsage{8, 3, 2, 1, 4, 5}; });
  const auto text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("inventory_db_pool_size 8"), std::string::npos);
  EXPECT_NE(text.find("inventory_db_pool_connections{state=\"in_use\"} 2"), std::string::npos);
  EXPECT_NE(text.find("inventory_db_pool_connections{state=\"idle\"} 1"), std::string::npos);
  EXPECT_NE(text.find("inventory_db_pool_acquire_timeouts_total 4"), std::string::npos);
}

}  // namespace
}  // namespace inventory
