// order_consumer.cpp: gather, decode, apply in one transaction (retrying database failures),
// record, commit offsets; housekeeping between batches.
#include "consumer/order_consumer.h"

#include <sstream>
#include <thread>

namespace inventory {
namespace {

const char* OutcomeLabel(MessageOutcome outcome) {
  switch (outcome) {
    case MessageOutcome::Applied:
      return "applied";
    case MessageOutcome::Duplicate:
      return "duplicate";
    case MessageOutcome::Parked:
      return "parked";
    case MessageOutcome::DeadLetter:
      return "dead_letter";
  }
  return "applied";
}

std::int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Per partition, the offset after the batch's last message of it.
ConsumedOffsets NextOffsets(const std::vector<InboundMessage>& messages) {
  ConsumedOffsets offsets;
  for (const auto& message : messages)
    offsets[{message.topic, message.partition}] = message.offset + 1;
  return offsets;
}

constexpr auto kForgetInterval = std::chrono::minutes(10);
constexpr int kSweepBatch = 1000;
constexpr int kForgetBatch = 10000;

}  // namespace

OrderConsumer::OrderConsumer(OrderConsumerSettings settings, MessageSource& source, OrderEventStore& store,
                             JsonLogger& logger, std::function<void()> committed)
    : settings_(std::move(settings)),
      source_(source),
      store_(store),
      logger_(logger),
      committed_(std::move(committed)) {}

void OrderConsumer::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    const std::vector<InboundMessage> messages = Gather();
    if (!messages.empty() && !Process(messages, stop))
      break;
    Housekeeping(std::chrono::steady_clock::now());
  }
  source_.Close();
}

std::vector<InboundMessage> OrderConsumer::Gather() {
  std::vector<InboundMessage> messages;
  // Wait for the first message only; take what else is ready without waiting.
  auto message = source_.Poll(std::chrono::milliseconds(100));
  while (message) {
    messages.push_back(std::move(*message));
    if (static_cast<int>(messages.size()) >= settings_.batch_size)
      break;
    message = source_.Poll(std::chrono::milliseconds(0));
  }
  return messages;
}

bool OrderConsumer::Process(const std::vector<InboundMessage>& messages, const std::atomic<bool>& stop) {
  std::vector<DecodedMessage> batch;
  batch.reserve(messages.size());
  for (const auto& message : messages)
    batch.push_back(DecodeMessage(message, settings_.topics));
  std::chrono::milliseconds delay(1);
  for (;;) {
    try {
      const auto started = std::chrono::steady_clock::now();
      const std::vector<MessageResult> results =
          store_.ApplyBatch(settings_.consumer_group, settings_.park_for, batch);
      batch_seconds_.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (committed_) {
        for (const auto& result : results) {
          if (result.outcome == MessageOutcome::Applied) {
            committed_();
            break;
          }
        }
      }
      Record(batch, results);
      source_.Commit(NextOffsets(messages));
      ++batches_;
      last_processed_unix_ms_ = NowUnixMs();
      return true;
    } catch (const std::exception& error) {
      ++retries_;
      logger_.Warn("Kafka batch not applied yet, retrying",
                   {{"messages", batch.size()},
                    {"first_topic", batch.front().message.topic},
                    {"first_partition", batch.front().message.partition},
                    {"first_offset", batch.front().message.offset},
                    {"error", error.what()},
                    {"retry_in_ms", delay.count()}});
      if (!Backoff(delay, stop))
        return false;
    }
  }
}

void OrderConsumer::Record(const std::vector<DecodedMessage>& batch,
                           const std::vector<MessageResult>& results) {
  std::lock_guard<std::mutex> lock(metrics_mutex_);
  for (std::size_t i = 0; i < batch.size() && i < results.size(); ++i) {
    const InboundMessage& message = batch[i].message;
    const MessageResult& result = results[i];
    ++outcomes_[result.outcome];
    parked_applied_ += static_cast<std::uint64_t>(result.parked_applied);
    if (result.position_regressed) {
      ++regressions_[{message.topic, message.partition}];
      logger_.Error(
          "Kafka position went backwards (recreated topic, another cluster or reset offsets): "
          "new messages are applied, true redeliveries recognised by identity",
          {{"topic", message.topic},
           {"partition", message.partition},
           {"offset", message.offset},
           {"consumer_group", settings_.consumer_group}});
    }
    if (result.outcome == MessageOutcome::DeadLetter) {
      logger_.Warn("message dead-lettered", {{"topic", message.topic},
                                             {"partition", message.partition},
                                             {"offset", message.offset},
                                             {"reason", result.reason},
                                             {"error_code", result.error_code}});
    } else if (result.outcome == MessageOutcome::Parked && logger_.Enabled(LogLevel::Debug)) {
      logger_.Log(LogLevel::Debug, "message parked",
                  {{"topic", message.topic},
                   {"partition", message.partition},
                   {"offset", message.offset},
                   {"reason", result.reason}});
    }
  }
}

void OrderConsumer::Housekeeping(std::chrono::steady_clock::time_point now) {
  if (now >= next_expiry_) {
    next_expiry_ = now + settings_.housekeeping_interval;
    try {
      const ParkedSweep sweep = store_.SweepParked(kSweepBatch);
      parked_swept_applied_ += static_cast<std::uint64_t>(sweep.applied);
      parked_expired_ += static_cast<std::uint64_t>(sweep.dead_lettered);
      if (sweep.dead_lettered > 0) {
        logger_.Warn("parked order events expired into the dead letters",
                     {{"dead_lettered", sweep.dead_lettered}, {"applied", sweep.applied}});
      }
    } catch (const std::exception& error) {
      ++housekeeping_failures_;
      logger_.Warn("parked events not swept yet", {{"error", error.what()}});
    }
  }
  if (now >= next_forget_) {
    next_forget_ = now + kForgetInterval;
    try {
      const auto older_than = std::chrono::duration_cast<std::chrono::seconds>(settings_.identity_retention);
      while (store_.ForgetConsumed(older_than, kForgetBatch) == kForgetBatch) {
        if (std::chrono::steady_clock::now() - now > std::chrono::seconds(1))
          break;  // the rest next time; consuming goes first
      }
    } catch (const std::exception& error) {
      ++housekeeping_failures_;
      logger_.Warn("old message identities not forgotten yet", {{"error", error.what()}});
    }
  }
}

bool OrderConsumer::Backoff(std::chrono::milliseconds& delay, const std::atomic<bool>& stop) const {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (stop)
      return false;
    std::this_thread::sleep_for(std::min(delay, std::chrono::milliseconds(50)));
  }
  delay = std::min(delay * 4, settings_.max_backoff);
  return !stop;
}

std::string OrderConsumer::RenderMetrics() const {
  std::ostringstream out;
  out << "# HELP inventory_consumer_messages_total Kafka input messages by outcome.\n"
      << "# TYPE inventory_consumer_messages_total counter\n";
  {
    std::lock_guard<std::mutex> lock(metrics_mutex_);
    for (const auto outcome : {MessageOutcome::Applied, MessageOutcome::Duplicate, MessageOutcome::Parked,
                               MessageOutcome::DeadLetter}) {
      const auto found = outcomes_.find(outcome);
      out << "inventory_consumer_messages_total{outcome=\"" << OutcomeLabel(outcome) << "\"} "
          << (found == outcomes_.end() ? 0 : found->second) << "\n";
    }
    out << "# HELP inventory_consumer_position_regressions_total New messages that arrived below the "
           "position "
           "recorded for their partition (recreated topic, another cluster, reset offsets).\n"
        << "# TYPE inventory_consumer_position_regressions_total counter\n";
    if (regressions_.empty())
      out << "inventory_consumer_position_regressions_total 0\n";
    for (const auto& [position, count] : regressions_) {
      out << "inventory_consumer_position_regressions_total{topic=\"" << position.first << "\",partition=\""
          << position.second << "\"} " << count << "\n";
    }
  }
  out << "# HELP inventory_consumer_parked_released_total Parked events applied when the event they waited "
         "for "
         "arrived, or by the sweep once their order was ready.\n"
      << "# TYPE inventory_consumer_parked_released_total counter\n"
      << "inventory_consumer_parked_released_total " << parked_applied_ + parked_swept_applied_ << "\n"
      << "# HELP inventory_consumer_parked_expired_total Parked events whose time was up: dead letters.\n"
      << "# TYPE inventory_consumer_parked_expired_total counter\n"
      << "inventory_consumer_parked_expired_total " << parked_expired_ << "\n"
      << "# HELP inventory_consumer_batches_total Poll batches applied (one database transaction each).\n"
      << "# TYPE inventory_consumer_batches_total counter\n"
      << "inventory_consumer_batches_total " << batches_ << "\n"
      << batch_seconds_.Render("inventory_consumer_batch_duration_seconds",
                               "How long applying one poll batch took in the database (its transaction).")
      << "# HELP inventory_consumer_retries_total Batch attempts that failed on the database and were "
         "retried.\n"
      << "# TYPE inventory_consumer_retries_total counter\n"
      << "inventory_consumer_retries_total " << retries_ << "\n"
      << "# HELP inventory_consumer_housekeeping_failures_total Expiry or retention runs that failed "
         "(retried later).\n"
      << "# TYPE inventory_consumer_housekeeping_failures_total counter\n"
      << "inventory_consumer_housekeeping_failures_total " << housekeeping_failures_ << "\n"
      << "# HELP inventory_consumer_last_processed_timestamp_seconds When the last batch was applied.\n"
      << "# TYPE inventory_consumer_last_processed_timestamp_seconds gauge\n"
      << "inventory_consumer_last_processed_timestamp_seconds " << last_processed_unix_ms_ / 1000.0 << "\n"
      << "# HELP inventory_consumer_lag_messages Messages in the assigned partitions not yet processed.\n"
      << "# TYPE inventory_consumer_lag_messages gauge\n"
      << "inventory_consumer_lag_messages " << source_.Lag() << "\n";
  return out.str();
}

}  // namespace inventory
