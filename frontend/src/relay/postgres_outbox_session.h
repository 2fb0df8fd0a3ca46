// postgres_outbox_session.h: OutboxSession on a dedicated connection (application_name
// ...-relay) with the worker session settings: statement_timeout, idle limits that end a frozen or
// cut-off leader's session (and its advisory lock), keepalives, and the call watchdog. It LISTENs on
// the notify channel when one is configured; polling is the guarantee either way. The session is
// never reopened: once it ends, every call fails and the relay starts over as a standby.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/worker_session.h"
#include "relay/outbox_session.h"

namespace inventory {

struct OutboxSessionSettings {
  std::string conninfo;
  SessionSettings session;
  std::int64_t lock_key = 0;
  std::string notify_channel;  // empty: no LISTEN
};

class PostgresOutboxSession : public OutboxSession {
 public:
  PostgresOutboxSession(const OutboxSessionSettings& settings, CallWatchdog& watchdog);
  ~PostgresOutboxSession() override;

  bool TryLead() override;
  std::vector<OutboxEvent> Fetch(std::optional<std::int64_t> after_seq, int max_rows) override;
  void Acknowledge(const std::vector<OutboxEvent>& events) override;
  bool Listens() const override { return !settings_.notify_channel.empty(); }
  void WaitForNews(std::chrono::milliseconds timeout) override;
  std::optional<OutboxBacklog> Backlog() override;
  void Resign() override;

 private:
  class Listener;
  const OutboxSessionSettings settings_;
  WorkerSession session_;
  std::unique_ptr<Listener> listener_;
  bool prepared_ = false;
  bool backlog_readable_ = true;
};

}  // namespace inventory
