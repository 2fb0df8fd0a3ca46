// dead_letter_publisher.h: publishes the dead letters that the consumer recorded, the way the relay
// publishes the outbox: claim a batch under a lease (one short transaction), send it, then mark
// what Kafka acknowledged as published and the rest as failed, to be tried again after a backoff
// (1 s doubling to max_backoff). It runs on its own thread with its own producer and session, so a
// dead-letter topic that is missing, cannot be created or refuses writes never slows the consumer:
// the dead letters wait in the table, the error is logged with its reason, and the metrics
// (unpublished backlog, its age, failures) drive an alert. At least once: a publisher that dies
// between Kafka's acknowledgement and the mark sends the dead letter again after the lease.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "consumer/dead_letter_store.h"
#include "domain/messaging.h"
#include "observability/json_logger.h"

namespace inventory {

struct DeadLetterPublisherSettings {
  std::string topic;
  int batch_size = 500;
  std::chrono::milliseconds lease{60000};  // longer than the producer's delivery timeout
  std::chrono::milliseconds idle_interval{200};
  std::chrono::milliseconds max_backoff{30000};
};

class DeadLetterPublisher {
 public:
  DeadLetterPublisher(DeadLetterPublisherSettings settings, DeadLetterStore& store,
                      MessagePublisher& publisher, JsonLogger& logger);

  // Runs until stop is set.
  void Run(const std::atomic<bool>& stop);
  // Claims and publishes one batch; returns how many were claimed. Throws on database failures.
  int PublishOnce();
  std::string RenderMetrics() const;

 private:
  OutboundMessage ToMessage(const DeadLetter& letter) const;
  void Sleep(std::chrono::milliseconds duration, const std::atomic<bool>& stop) const;

  const DeadLetterPublisherSettings settings_;
  DeadLetterStore& store_;
  MessagePublisher& publisher_;
  JsonLogger& logger_;
  std::chrono::milliseconds backoff_{1000};
  bool last_attempt_failed_ = false;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::int64_t> unpublished_{0};
  std::atomic<double> oldest_age_seconds_{0};
};

}  // namespace inventory
