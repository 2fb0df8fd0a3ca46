// order_consumer.h: the Kafka input loop (DESIGN §5). It gathers what the broker has ready (up to
// batch_size messages, without waiting for more), decodes it, applies the whole batch in one
// database transaction (identity, positions, effects, parked events and dead letters together),
// and only then commits the batch's offsets to Kafka, asynchronously. A message refused for good
// becomes a dead letter inside the batch and the partition moves on; a database failure is retried
// with backoff (1 ms growing to max_backoff) and never skips a message. Publishing dead letters is
// the dead-letter publisher's job: this loop never waits on Kafka for them. Between batches, once a
// housekeeping interval, it sweeps the parked events (applies those whose order became ready, ends
// the wait of those whose time is up) and, every ten minutes, forgets identities older than the
// retention.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "consumer/decoded_message.h"
#include "consumer/order_event_store.h"
#include "domain/messaging.h"
#include "observability/duration_histogram.h"
#include "observability/json_logger.h"

namespace inventory {

struct OrderConsumerSettings {
  std::string consumer_group;
  InputTopics topics;
  int batch_size = 500;
  std::chrono::milliseconds park_for{600000};
  std::chrono::hours identity_retention{168};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds housekeeping_interval{1000};
};

class OrderConsumer {
 public:
  // committed runs after every batch that applied something (main wires the relay's Nudge to it, so
  // the events of a reservation leave without waiting for the relay's next poll).
  OrderConsumer(OrderConsumerSettings settings, MessageSource& source, OrderEventStore& store,
                JsonLogger& logger, std::function<void()> committed = {});

  // Runs until stop is set; then commits and closes the source.
  void Run(const std::atomic<bool>& stop);
  // Applies one batch (retrying database failures) and commits its offsets; false when stop
  // interrupted a retry (nothing of the batch was committed).
  bool Process(const std::vector<InboundMessage>& messages, const std::atomic<bool>& stop);
  // Sweeps the parked events and forgets old identities when their time has come.
  void Housekeeping(std::chrono::steady_clock::time_point now);

  std::string RenderMetrics() const;

 private:
  std::vector<InboundMessage> Gather();
  void Record(const std::vector<DecodedMessage>& batch, const std::vector<MessageResult>& results);
  bool Backoff(std::chrono::milliseconds& delay, const std::atomic<bool>& stop) const;

  const OrderConsumerSettings settings_;
  MessageSource& source_;
  OrderEventStore& store_;
  JsonLogger& logger_;
  const std::function<void()> committed_;
  std::chrono::steady_clock::time_point next_expiry_{};
  std::chrono::steady_clock::time_point next_forget_{};

  mutable std::mutex metrics_mutex_;
  std::map<MessageOutcome, std::uint64_t> outcomes_;
  std::map<std::pair<std::string, int>, std::uint64_t> regressions_;  // by topic and partition
  DurationHistogram batch_seconds_;  // one successful database transaction per batch
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> parked_applied_{0};
  std::atomic<std::uint64_t> parked_swept_applied_{0};
  std::atomic<std::uint64_t> parked_expired_{0};
  std::atomic<std::uint64_t> housekeeping_failures_{0};
  std::atomic<std::int64_t> last_processed_unix_ms_{0};
};

}  // namespace inventory
