// dead_letter_store.h: what the dead-letter publisher needs from the database: claim unpublished
// dead letters under a lease (so several publishers never send the same one at once, and no
// transaction stays open while Kafka answers), then mark them published or failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace inventory {

struct DeadLetter {
  std::int64_t id = 0;
  std::string consumer_group;
  std::string topic;
  int partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;
  std::string payload;
  std::string reason;
  std::string error_code;
};

struct DeadLetterBacklog {
  std::int64_t unpublished = 0;
  double oldest_age_seconds = 0;
};

class DeadLetterStore {
 public:
  virtual ~DeadLetterStore() = default;
  // Up to max_rows unpublished dead letters, oldest first, that no one else holds; held for lease.
  virtual std::vector<DeadLetter> Claim(int max_rows, std::chrono::milliseconds lease) = 0;
  virtual void MarkPublished(const std::vector<std::int64_t>& ids) = 0;
  // Records the error; the dead letters may be claimed again after retry_after.
  virtual void MarkFailed(const std::vector<std::int64_t>& ids, const std::string& error,
                          std::chrono::milliseconds retry_after) = 0;
  virtual DeadLetterBacklog Backlog() = 0;
};

}  // namespace inventory
