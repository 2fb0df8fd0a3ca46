// execution_metrics.h: Prometheus text for the database executor (workers, queue depth, refusals),
// the reservation coalescer (batch sizes, queue depth, shed requests) and an HTTP listener's
// connections. main.cpp adds them to /metrics as exposition sources.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "execution/bounded_executor.h"
#include "execution/reservation_coalescer.h"
#include "observability/metrics.h"

namespace inventory {

std::string RenderExecutorMetrics(const ExecutorStats& stats);
std::string RenderCoalescerMetrics(const CoalescerStats& stats);
// One series per listener, labelled with its name ("public", "internal").
std::string RenderConnectionMetrics(const std::vector<std::pair<std::string, ConnectionStats>>& listeners);

}  // namespace inventory
