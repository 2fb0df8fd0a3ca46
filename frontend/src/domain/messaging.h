// messaging.h: what the relay and the consumer need from a message broker, as plain structs and two
// small interfaces. kafka/ implements them with librdkafka; tests can use fakes. No Kafka types here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace inventory {

struct InboundMessage {
  std::string topic;
  int partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;
  std::string payload;
};

struct OutboundMessage {
  std::string topic;
  std::string key;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;
};

class MessagePublisher {
 public:
  virtual ~MessagePublisher() = default;
  // Sends the messages in order and waits until the broker acknowledged or refused each one.
  // Returns one entry per message: empty when acknowledged, else the error.
  virtual std::vector<std::string> PublishAndWait(const std::vector<OutboundMessage>& messages) = 0;
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // The next message, or nothing when none arrived within timeout.
  virtual std::optional<InboundMessage> Poll(std::chrono::milliseconds timeout) = 0;
  // Records that message was processed (its effect is committed in the database).
  virtual void Commit(const InboundMessage& message) = 0;
  // Commits what was processed and leaves the group.
  virtual void Close() = 0;
  // Messages in the assigned partitions not yet processed, as of the last known high watermarks.
  // Safe to call from any thread.
  virtual std::int64_t Lag() const = 0;
};

}  // namespace inventory
