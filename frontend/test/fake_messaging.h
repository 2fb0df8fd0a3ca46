// fake_messaging.h: in-memory MessagePublisher and MessageSource for unit tests of the relay, the
// consumer and the dead-letter publisher. The publisher answers on Poll, like librdkafka: every
// message is acknowledged unless its topic or key is listed as refused, or answers are held back.
// The publisher may be watched from a test thread while a relay thread uses it.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "domain/messaging.h"

namespace inventory::testing {

class FakePublisher : public MessagePublisher {
 public:
  std::vector<OutboundMessage> sent;
  std::set<std::string> refused_keys;
  std::set<std::string> refused_topics;
  std::atomic<bool> hold_answers{false};  // while true, Poll answers nothing
  std::atomic<int> purges{0};
  std::string topic_error;  // what TopicError answers

  std::shared_ptr<PublishTicket> Publish(const std::vector<OutboundMessage>& messages) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto ticket = std::make_shared<PublishTicket>(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
      sent.push_back(messages[i]);
      pending_.push_back(Unanswered{ticket, i, messages[i]});
    }
    return ticket;
  }
  void Poll(std::chrono::milliseconds) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (hold_answers)
      return;
    while (!pending_.empty()) {
      Unanswered next = std::move(pending_.front());
      pending_.pop_front();
      const bool refused = refused_keys.count(next.message.key) || refused_topics.count(next.message.topic);
      next.ticket->Report(next.index, refused ? "Broker: Topic authorization failed" : "");
    }
  }
  bool Prepare(std::chrono::milliseconds) override { return true; }
  std::string TopicError(const std::string&, std::chrono::milliseconds) override { return topic_error; }
  void Purge() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++purges;
    while (!pending_.empty()) {
      pending_.front().ticket->Report(pending_.front().index, "Local: Purged in queue");
      pending_.pop_front();
    }
  }
  std::size_t Pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_.size();
  }
  std::size_t SentCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent.size();
  }

 private:
  struct Unanswered {
    std::shared_ptr<PublishTicket> ticket;
    std::size_t index;
    OutboundMessage message;
  };
  mutable std::mutex mutex_;
  std::deque<Unanswered> pending_;
};

class FakeSource : public MessageSource {
 public:
  std::deque<InboundMessage> ready;
  std::vector<ConsumedOffsets> commits;
  bool closed = false;
  std::int64_t lag = 0;

  std::optional<InboundMessage> Poll(std::chrono::milliseconds) override {
    if (ready.empty())
      return std::nullopt;
    InboundMessage message = std::move(ready.front());
    ready.pop_front();
    return message;
  }
  void Commit(const ConsumedOffsets& offsets) override { commits.push_back(offsets); }
  void Close() override { closed = true; }
  std::int64_t Lag() const override { return lag; }
};

}  // namespace inventory::testing
