// outbox_session.h: what the relay needs from the database, on one session that also holds the
// leadership (a PostgreSQL advisory lock): when the session ends, so does the leadership. Every
// method throws when the session fails; the relay then drops it and starts over as a standby.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "relay/outbox_batch.h"

namespace inventory {

struct OutboxBacklog {
  std::int64_t events = 0;
  double oldest_age_seconds = 0;
};

class OutboxSession {
 public:
  virtual ~OutboxSession() = default;
  // Tries once to become the publishing relay; true when this session now holds the lock.
  virtual bool TryLead() = 0;
  // Unpublished events visible now, in seq order: after after_seq, or from the start without it.
  virtual std::vector<OutboxEvent> Fetch(std::optional<std::int64_t> after_seq, int max_rows) = 0;
  // Deletes the events Kafka acknowledged, named by event id and product (seq is per node on Citus).
  virtual void Acknowledge(const std::vector<OutboxEvent>& events) = 0;
  // Whether the session LISTENs for notifications of new events (a channel is configured).
  virtual bool Listens() const = 0;
  // With Listens(): waits up to timeout, returning early on a notification of new events.
  virtual void WaitForNews(std::chrono::milliseconds timeout) = 0;
  // Exact figures when the session's role may read the outbox; nothing otherwise.
  virtual std::optional<OutboxBacklog> Backlog() = 0;
  // Gives the leadership up; the session ends with the object.
  virtual void Resign() = 0;
};

using OutboxSessionFactory = std::function<std::unique_ptr<OutboxSession>()>;

}  // namespace inventory
