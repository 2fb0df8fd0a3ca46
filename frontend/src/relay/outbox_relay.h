// outbox_relay.h: the outbox relay (DESIGN §4).
// Leadership: the relay that holds a PostgreSQL advisory lock on its session publishes; the others
// try again every standby interval and take over when the leader's session ends. A leader keeps
// leading only while it makes progress: its session's idle limit (idle_session_timeout, the lease)
// makes PostgreSQL end the session of a leader that is frozen or cut off, which frees the lock; and
// the leader itself refuses to hand anything to Kafka when its last database round trip is older
// than half the lease, drops what it has not sent yet, and starts over as a standby.
// Publishing: it fetches whatever unpublished rows are visible, in seq order (never "after the
// highest id published" across rounds: a slower transaction can commit a lower seq later), hands
// them to the producer without waiting, and fetches the next batch while earlier ones are in
// flight (the next fetch of a round starts after the last row fetched, so nothing in flight is sent
// twice; on Citus, where seq counts per node, rows come each stock row's in version order and a
// fetch after a position finds nothing, so one batch is in flight). Batches are acknowledged in
// order as Kafka acknowledges them, by event id and product; after a refused event no later event
// with the same key is acknowledged, so a retry resends that product's events in order.
// A round ends when nothing is in flight; the next one reads from the start again. Idle, it polls
// every poll interval (a cheap indexed probe) and wakes early when rung: by Nudge() from a part of
// this process that just committed a change (the consumer), or by NOTIFY when a channel is set.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

#include "domain/messaging.h"
#include "observability/duration_histogram.h"
#include "observability/json_logger.h"
#include "relay/outbox_session.h"

namespace inventory {

struct RelaySettings {
  int batch_size = 1000;
  int max_in_flight = 4;
  std::chrono::milliseconds poll_interval{20};
  std::chrono::milliseconds standby_interval{250};
  std::chrono::milliseconds lease{15000};
};

// The leader went too long without a database round trip: another relay may lead by now.
class LeaseExpired : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OutboxRelay {
 public:
  OutboxRelay(RelaySettings settings, OutboxSessionFactory sessions, MessagePublisher& publisher,
              JsonLogger& logger);

  // Runs until stop is set; finishes the batches in flight, then gives the lock up.
  void Run(const std::atomic<bool>& stop);
  // Tells an idle relay that new events were committed; safe from any thread.
  void Nudge();
  bool IsLeader() const { return leader_; }
  std::string RenderMetrics() const;

 private:
  void Lead(const std::atomic<bool>& stop);
  void Publish(OutboxSession& session, const std::atomic<bool>& stop);
  void Renewed() { last_round_trip_ = std::chrono::steady_clock::now(); }
  void CheckLease() const;
  void Sleep(std::chrono::milliseconds duration, const std::atomic<bool>& stop) const;
  // Whether someone rang since the last time; clears it.
  bool TakeRing();
  // Waits up to timeout for a Nudge (or a notification, when the session listens), or a stop.
  void WaitForNews(OutboxSession& session, std::chrono::milliseconds timeout, const std::atomic<bool>& stop);

  const RelaySettings settings_;
  const OutboxSessionFactory sessions_;
  MessagePublisher& publisher_;
  JsonLogger& logger_;
  std::chrono::steady_clock::time_point last_round_trip_{};
  std::mutex doorbell_mutex_;
  std::condition_variable doorbell_;
  bool rung_ = false;
  std::atomic<bool> leader_{false};
  DurationHistogram handover_age_;  // commit of an event -> handed to Kafka
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> publish_failures_{0};
  std::atomic<std::uint64_t> leadership_losses_{0};
  std::atomic<std::int64_t> backlog_{0};
  std::atomic<double> oldest_age_seconds_{0};
};

}  // namespace inventory
