// dead_letter_publisher.cpp: claim, publish, mark; backoff on refusals; backlog metrics.
#include "consumer/dead_letter_publisher.h"

#include <sstream>
#include <thread>

namespace inventory {
namespace {

// How long a refusal waits for the topic's metadata that explains it.
constexpr std::chrono::milliseconds kTopicErrorTimeout(1000);

}  // namespace

DeadLetterPublisher::DeadLetterPublisher(DeadLetterPublisherSettings settings, DeadLetterStore& store,
                                         MessagePublisher& publisher, JsonLogger& logger)
    : settings_(std::move(settings)), store_(store), publisher_(publisher), logger_(logger) {}

void DeadLetterPublisher::Run(const std::atomic<bool>& stop) {
  std::chrono::milliseconds database_delay(100);
  auto next_backlog_check = std::chrono::steady_clock::now();
  while (!stop) {
    try {
      if (std::chrono::steady_clock::now() >= next_backlog_check) {
        next_backlog_check = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        const DeadLetterBacklog backlog = store_.Backlog();
        unpublished_ = backlog.unpublished;
        oldest_age_seconds_ = backlog.oldest_age_seconds;
      }
      const int claimed = PublishOnce();
      database_delay = std::chrono::milliseconds(100);
      if (last_attempt_failed_)
        Sleep(backoff_, stop);
      else if (claimed == 0)
        Sleep(settings_.idle_interval, stop);
    } catch (const std::exception& error) {
      logger_.Warn("dead-letter publisher cannot reach the database",
                   {{"error", error.what()}, {"retry_in_ms", database_delay.count()}});
      Sleep(database_delay, stop);
      database_delay = std::min(database_delay * 2, std::chrono::milliseconds(5000));
    }
  }
}

int DeadLetterPublisher::PublishOnce() {
  const std::vector<DeadLetter> letters = store_.Claim(settings_.batch_size, settings_.lease);
  last_attempt_failed_ = false;
  if (letters.empty())
    return 0;
  std::vector<OutboundMessage> messages;
  messages.reserve(letters.size());
  for (const auto& letter : letters)
    messages.push_back(ToMessage(letter));
  const std::vector<std::string> results = publisher_.PublishAndWait(messages);
  std::vector<std::int64_t> published;
  std::vector<std::int64_t> failed;
  std::string first_error;
  for (std::size_t i = 0; i < letters.size(); ++i) {
    if (results[i].empty()) {
      published.push_back(letters[i].id);
    } else {
      failed.push_back(letters[i].id);
      if (first_error.empty())
        first_error = results[i];
    }
  }
  if (!published.empty())
    store_.MarkPublished(published);
  published_ += published.size();
  if (failed.empty()) {
    backoff_ = std::chrono::milliseconds(1000);
    return static_cast<int>(letters.size());
  }
  failures_ += failed.size();
  const std::string topic_error = publisher_.TopicError(settings_.topic, kTopicErrorTimeout);
  if (!topic_error.empty() && topic_error != first_error)
    first_error += " (the topic's metadata: " + topic_error + ")";
  store_.MarkFailed(failed, first_error, backoff_);
  logger_.Error("dead-letter topic refused dead letters; they wait in inventory.dead_letters",
                {{"topic", settings_.topic},
                 {"refused", failed.size()},
                 {"reason", first_error},
                 {"retry_in_ms", backoff_.count()}});
  last_attempt_failed_ = true;
  backoff_ = std::min(backoff_ * 2, settings_.max_backoff);
  return static_cast<int>(letters.size());
}

OutboundMessage DeadLetterPublisher::ToMessage(const DeadLetter& letter) const {
  OutboundMessage message;
  message.topic = settings_.topic;
  message.key = letter.key.value_or("");
  message.payload = letter.payload;
  message.headers = {{"dlq.reason", letter.reason},
                     {"dlq.errorCode", letter.error_code},
                     {"dlq.topic", letter.topic},
                     {"dlq.partition", std::to_string(letter.partition)},
                     {"dlq.offset", std::to_string(letter.offset)},
                     {"dlq.consumerGroup", letter.consumer_group},
                     {"dlq.deadLetterId", std::to_string(letter.id)}};
  return message;
}

void DeadLetterPublisher::Sleep(std::chrono::milliseconds duration, const std::atomic<bool>& stop) const {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!stop && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::min(duration, std::chrono::milliseconds(20)));
}

std::string DeadLetterPublisher::RenderMetrics() const {
  std::ostringstream out;
  out << "# HELP inventory_dead_letters_published_total Dead letters the dead-letter topic acknowledged.\n"
      << "# TYPE inventory_dead_letters_published_total counter\n"
      << "inventory_dead_letters_published_total " << published_ << "\n"
      << "# HELP inventory_dead_letter_publish_failures_total Dead-letter publications Kafka refused (kept "
         "for a "
         "retry).\n"
      << "# TYPE inventory_dead_letter_publish_failures_total counter\n"
      << "inventory_dead_letter_publish_failures_total " << failures_ << "\n"
      << "# HELP inventory_dead_letters_unpublished Dead letters recorded but not yet on the dead-letter "
         "topic.\n"
      << "# TYPE inventory_dead_letters_unpublished gauge\n"
      << "inventory_dead_letters_unpublished " << unpublished_ << "\n"
      << "# HELP inventory_dead_letters_oldest_unpublished_age_seconds Age of the oldest unpublished dead "
         "letter.\n"
      << "# TYPE inventory_dead_letters_oldest_unpublished_age_seconds gauge\n"
      << "inventory_dead_letters_oldest_unpublished_age_seconds " << oldest_age_seconds_ << "\n";
  return out.str();
}

}  // namespace inventory
