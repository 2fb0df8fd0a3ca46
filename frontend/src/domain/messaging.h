// messaging.h: what the relay and the consumer need from a message broker, as plain structs and two
// small interfaces. kafka/ implements them with librdkafka; tests can use fakes. No Kafka types here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
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

// The broker's answers for one published batch, filled in as acknowledgements arrive: one entry
// per message, empty when acknowledged, else the error. Filled by MessagePublisher::Poll on the
// thread that polls, so it needs no lock.
class PublishTicket {
 public:
  explicit PublishTicket(std::size_t messages) : results_(messages), pending_(messages) {}
  bool Complete() const { return pending_ == 0; }
  const std::vector<std::string>& Results() const { return results_; }
  // Report records the answer for the message at index.
  void Report(std::size_t index, std::string error) {
    results_[index] = std::move(error);
    --pending_;
  }

 private:
  std::vector<std::string> results_;
  std::size_t pending_;
};

class MessagePublisher {
 public:
  virtual ~MessagePublisher() = default;
  // Hands the messages to the broker client, in order, and returns at once.
  virtual std::shared_ptr<PublishTicket> Publish(const std::vector<OutboundMessage>& messages) = 0;
  // Serves the broker's acknowledgements for up to timeout; tickets are completed here.
  virtual void Poll(std::chrono::milliseconds timeout) = 0;
  // Drops what was not sent yet; the tickets of those messages complete with an error.
  virtual void Purge() = 0;
  // Connects and loads the cluster's metadata ahead of the first message, so the first batch does
  // not pay for it; false when the broker did not answer within timeout (publishing still works).
  virtual bool Prepare(std::chrono::milliseconds timeout) = 0;
  // The error the cluster's metadata gives for the topic (authorization failed, unknown topic), as
  // text; empty when there is none or the broker did not answer within timeout. A delivery report
  // often says only that the message timed out; this says why.
  virtual std::string TopicError(const std::string& topic, std::chrono::milliseconds timeout) = 0;

  // Sends the messages in order and waits until the broker acknowledged or refused each one.
  std::vector<std::string> PublishAndWait(const std::vector<OutboundMessage>& messages) {
    const auto ticket = Publish(messages);
    while (!ticket->Complete())
      Poll(std::chrono::milliseconds(5));
    return ticket->Results();
  }
};

// Per topic and partition, the offset of the next message to consume.
using ConsumedOffsets = std::map<std::pair<std::string, int>, std::int64_t>;

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // The next message, or nothing when none arrived within timeout.
  virtual std::optional<InboundMessage> Poll(std::chrono::milliseconds timeout) = 0;
  // Records that everything below these offsets was processed (its effect is committed in the
  // database) and commits them to the broker without waiting.
  virtual void Commit(const ConsumedOffsets& offsets) = 0;
  // Commits what was processed and leaves the group.
  virtual void Close() = 0;
  // Messages in the assigned partitions not yet processed, as of the last known high watermarks.
  // Safe to call from any thread.
  virtual std::int64_t Lag() const = 0;
};

}  // namespace inventory
