// execution_metrics.cpp: exposition format 0.0.4, one family per figure.
#include "observability/execution_metrics.h"

#include <sstream>

namespace inventory {

std::string RenderExecutorMetrics(const ExecutorStats& stats) {
  std::ostringstream out;
  out << "# HELP inventory_db_workers Database workers of the executor, all and busy.\n"
      << "# TYPE inventory_db_workers gauge\n"
      << "inventory_db_workers{state=\"all\"} " << stats.workers << "\n"
      << "inventory_db_workers{state=\"busy\"} " << stats.busy << "\n"
      << "# HELP inventory_db_queue_depth Jobs waiting for a database worker.\n"
      << "# TYPE inventory_db_queue_depth gauge\n"
      << "inventory_db_queue_depth " << stats.queued << "\n"
      << "# HELP inventory_db_queue_capacity Requests that may wait for a database worker (DB_QUEUE_SIZE).\n"
      << "# TYPE inventory_db_queue_capacity gauge\n"
      << "inventory_db_queue_capacity " << stats.capacity << "\n"
      << "# HELP inventory_db_jobs_total Jobs the executor took, by result: run, or refused and why.\n"
      << "# TYPE inventory_db_jobs_total counter\n"
      << "inventory_db_jobs_total{result=\"run\"} " << stats.completed << "\n"
      << "inventory_db_jobs_total{result=\"queue_full\"} " << stats.refused_queue_full << "\n"
      << "inventory_db_jobs_total{result=\"deadline\"} " << stats.refused_deadline << "\n"
      << "inventory_db_jobs_total{result=\"client_gone\"} " << stats.refused_client_gone << "\n"
      << "inventory_db_jobs_total{result=\"shutdown\"} " << stats.refused_shutdown << "\n";
  return out.str();
}

std::string RenderCoalescerMetrics(const CoalescerStats& stats) {
  std::ostringstream out;
  out << "# HELP inventory_reservation_queue_depth Reservation requests waiting for a batch, and in a "
         "batch being decided.\n"
      << "# TYPE inventory_reservation_queue_depth gauge\n"
      << "inventory_reservation_queue_depth{state=\"waiting\"} " << stats.waiting << "\n"
      << "inventory_reservation_queue_depth{state=\"in_batch\"} " << stats.in_flight << "\n"
      << "# HELP inventory_reservation_batch_size Requests per inventory_reserve_batch call.\n"
      << "# TYPE inventory_reservation_batch_size histogram\n";
  for (std::size_t i = 0; i < CoalescerStats::kBatchSizeBounds.size(); ++i) {
    out << "inventory_reservation_batch_size_bucket{le=\"" << CoalescerStats::kBatchSizeBounds[i] << "\"} "
        << stats.batch_size_buckets[i] << "\n";
  }
  out << "inventory_reservation_batch_size_bucket{le=\"+Inf\"} " << stats.batches << "\n"
      << "inventory_reservation_batch_size_sum " << stats.batched_requests << "\n"
      << "inventory_reservation_batch_size_count " << stats.batches << "\n"
      << "# HELP inventory_reservation_batch_failures_total Batches that failed as a whole (every request "
         "in them answered with the failure).\n"
      << "# TYPE inventory_reservation_batch_failures_total counter\n"
      << "inventory_reservation_batch_failures_total " << stats.failed_batches << "\n"
      << "# HELP inventory_reservation_requests_shed_total Reservation requests answered 503 without "
         "reaching the database, by reason.\n"
      << "# TYPE inventory_reservation_requests_shed_total counter\n"
      << "inventory_reservation_requests_shed_total{reason=\"queue_full\"} " << stats.shed_queue_full << "\n"
      << "inventory_reservation_requests_shed_total{reason=\"deadline\"} " << stats.shed_deadline << "\n"
      << "inventory_reservation_requests_shed_total{reason=\"client_gone\"} " << stats.shed_client_gone
      << "\n"
      << "inventory_reservation_requests_shed_total{reason=\"shutdown\"} " << stats.shed_shutdown << "\n";
  return out.str();
}

std::string RenderConnectionMetrics(const std::vector<std::pair<std::string, ConnectionStats>>& listeners) {
  std::ostringstream out;
  out << "# HELP inventory_http_connections_open Connections open now.\n"
      << "# TYPE inventory_http_connections_open gauge\n";
  for (const auto& [listener, stats] : listeners)
    out << "inventory_http_connections_open{listener=\"" << listener << "\"} " << stats.open << "\n";
  out << "# HELP inventory_http_connections_refused_total Connections answered 503 and closed: "
         "HTTP_MAX_CONNECTIONS reached.\n"
      << "# TYPE inventory_http_connections_refused_total counter\n";
  for (const auto& [listener, stats] : listeners)
    out << "inventory_http_connections_refused_total{listener=\"" << listener << "\"} " << stats.refused
        << "\n";
  return out.str();
}

}  // namespace inventory
