// outbox_relay.h: the outbox relay (DESIGN §4). It holds a PostgreSQL advisory lock on its own
// connection, and does everything else on that same connection (LISTEN, fetch, ack): when the
// connection is lost, so is the lock and the relay stops publishing at once. Relays that do not
// hold the lock try again every poll interval, so one takes over within about a second when the
// leader dies. The leader fetches whatever unpublished rows are visible, each stock row's in version
// order (never a "highest id published"), publishes them, waits for Kafka's acknowledgements and
// deletes exactly the acknowledged rows, by event id. It wakes on NOTIFY and polls as a fallback.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "domain/messaging.h"
#include "observability/json_logger.h"

namespace inventory {

struct RelaySettings {
  std::string conninfo;
  int connect_timeout_seconds = 3;
  int batch_size = 1000;
  std::chrono::milliseconds poll_interval{500};
  std::int64_t lock_key = 0;
  std::string notify_channel = "inventory_outbox";
};

class OutboxRelay {
 public:
  OutboxRelay(RelaySettings settings, MessagePublisher& publisher, JsonLogger& logger);

  // Runs until stop is set; finishes the batch in progress, then releases the lock.
  void Run(const std::atomic<bool>& stop);
  bool IsLeader() const { return leader_; }
  std::string RenderMetrics() const;

 private:
  void Lead(const std::atomic<bool>& stop);

  const RelaySettings settings_;
  MessagePublisher& publisher_;
  JsonLogger& logger_;
  std::atomic<bool> leader_{false};
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> publish_failures_{0};
  std::atomic<std::int64_t> backlog_{0};
  std::atomic<double> oldest_age_seconds_{0};
};

}  // namespace inventory
