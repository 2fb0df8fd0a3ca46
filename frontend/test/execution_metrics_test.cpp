// execution_metrics_test.cpp: the executor, coalescer and connection figures in Prometheus text.
#include "observability/execution_metrics.h"

#include <gtest/gtest.h>

namespace inventory {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(ExecutionMetrics, ExecutorQueueAndRefusals) {
  ExecutorStats stats;
  stats.workers = 8;
  stats.busy = 3;
  stats.queued = 12;
  stats.capacity = 1024;
  stats.completed = 100;
  stats.refused_queue_full = 4;
  stats.refused_deadline = 2;
  const auto text = RenderExecutorMetrics(stats);
  EXPECT_TRUE(Has(text, "inventory_db_workers{state=\"busy\"} 3"));
  EXPECT_TRUE(Has(text, "inventory_db_queue_depth 12"));
  EXPECT_TRUE(Has(text, "inventory_db_jobs_total{result=\"queue_full\"} 4"));
  EXPECT_TRUE(Has(text, "inventory_db_jobs_total{result=\"deadline\"} 2"));
  EXPECT_TRUE(Has(text, "# TYPE inventory_db_jobs_total counter"));
}

TEST(ExecutionMetrics, BatchSizesQueueDepthAndShedRequests) {
  CoalescerStats stats;
  stats.waiting = 40;
  stats.in_flight = 128;
  stats.batches = 3;
  stats.batched_requests = 131;
  stats.batch_size_buckets = {1, 1, 1, 1, 1, 1, 1, 3, 3, 3};
  stats.shed_queue_full = 7;
  stats.shed_client_gone = 1;
  const auto text = RenderCoalescerMetrics(stats);
  EXPECT_TRUE(Has(text, "inventory_reservation_queue_depth{state=\"waiting\"} 40"));
  EXPECT_TRUE(Has(text, "inventory_reservation_queue_depth{state=\"in_batch\"} 128"));
  EXPECT_TRUE(Has(text, "inventory_reservation_batch_size_bucket{le=\"1\"} 1"));
  EXPECT_TRUE(Has(text, "inventory_reservation_batch_size_bucket{le=\"128\"} 3"));
  EXPECT_TRUE(Has(text, "inventory_reservation_batch_size_bucket{le=\"+Inf\"} 3"));
  EXPECT_TRUE(Has(text, "inventory_reservation_batch_size_sum 131"));
  EXPECT_TRUE(Has(text, "inventory_reservation_batch_size_count 3"));
  EXPECT_TRUE(Has(text, "inventory_reservation_requests_shed_total{reason=\"queue_full\"} 7"));
  EXPECT_TRUE(Has(text, "inventory_reservation_requests_shed_total{reason=\"client_gone\"} 1"));
}

TEST(ExecutionMetrics, ConnectionsPerListenerInOneFamily) {
  const auto text = RenderConnectionMetrics(
      {{"public", ConnectionStats{12, 3, 0}}, {"internal", ConnectionStats{1, 0, 0}}});
  EXPECT_TRUE(Has(text, "inventory_http_connections_open{listener=\"public\"} 12"));
  EXPECT_TRUE(Has(text, "inventory_http_connections_open{listener=\"internal\"} 1"));
  EXPECT_TRUE(Has(text, "inventory_http_connections_refused_total{listener=\"public\"} 3"));
  EXPECT_EQ(text.find("# TYPE inventory_http_connections_open"),
            text.rfind("# TYPE inventory_http_connections_open"));
}

}  // namespace
}  // namespace inventory
