// postgres_dead_letter_store.h: DeadLetterStore on the publisher's own database session
// (application_name ...-dead-letters), one short transaction per call.
#pragma once

#include <string>

#include "adapters/worker_session.h"
#include "consumer/dead_letter_store.h"

namespace inventory {

class PostgresDeadLetterStore : public DeadLetterStore {
 public:
  PostgresDeadLetterStore(const std::string& conninfo, const SessionSettings& settings,
                          CallWatchdog& watchdog);

  std::vector<DeadLetter> Claim(int max_rows, std::chrono::milliseconds lease) override;
  void MarkPublished(const std::vector<std::int64_t>& ids) override;
  void MarkFailed(const std::vector<std::int64_t>& ids, const std::string& error,
                  std::chrono::milliseconds retry_after) override;
  DeadLetterBacklog Backlog() override;

 private:
  WorkerSession session_;
};

}  // namespace inventory
