// outbox_relay.cpp: leadership, the lease, and the pipelined fetch-publish-acknowledge loop.
#include "relay/outbox_relay.h"

#include <deque>
#include <sstream>
#include <thread>
#include <unordered_set>
#include <utility>

namespace inventory {
namespace {

using Clock = std::chrono::steady_clock;

// A batch handed to the producer, waiting for Kafka's answers.
struct InFlight {
  std::vector<OutboxEvent> events;
  std::shared_ptr<PublishTicket> ticket;
  Clock::time_point handed_over;
};

double NowEpochSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const std::string& FirstError(const std::vector<std::string>& results) {
  static const std::string none;
  for (const auto& result : results) {
    if (!result.empty())
      return result;
  }
  return none;
}

}  // namespace

OutboxRelay::OutboxRelay(RelaySettings settings, OutboxSessionFactory sessions, MessagePublisher& publisher,
                         JsonLogger& logger)
    : settings_(std::move(settings)),
      sessions_(std::move(sessions)),
      publisher_(publisher),
      logger_(logger) {}

void OutboxRelay::Run(const std::atomic<bool>& stop) {
  if (!publisher_.Prepare(std::chrono::seconds(5)))
    logger_.Warn("relay: Kafka did not answer yet; publishing connects on first use", {});
  std::chrono::milliseconds delay(100);
  while (!stop) {
    try {
      Lead(stop);
      delay = std::chrono::milliseconds(100);
    } catch (const std::exception& error) {
      // Nothing handed over under a leadership that may be gone goes out any more.
      publisher_.Purge();
      if (leader_.exchange(false)) {
        ++leadership_losses_;
        logger_.Error("relay lost leadership; it publishes nothing until it leads again",
                      {{"error", error.what()}});
      } else {
        logger_.Warn("relay cannot reach the database",
                     {{"error", error.what()}, {"retry_in_ms", delay.count()}});
      }
      Sleep(delay, stop);
      delay = std::min(delay * 2, std::chrono::milliseconds(2000));
    }
  }
}

void OutboxRelay::Lead(const std::atomic<bool>& stop) {
  std::unique_ptr<OutboxSession> session = sessions_();
  while (!session->TryLead()) {
    if (stop)
      return;
    Sleep(settings_.standby_interval, stop);
  }
  Renewed();
  leader_ = true;
  logger_.Lifecycle("relay leadership acquired", {{"lease_ms", settings_.lease.count()}});
  Publish(*session, stop);
  session->Resign();
  leader_ = false;
  logger_.Lifecycle("relay leadership released", {});
}

void OutboxRelay::Publish(OutboxSession& session, const std::atomic<bool>& stop) {
  std::deque<InFlight> in_flight;
  std::unordered_set<std::string> failed_keys;
  std::optional<std::int64_t> cursor;  // the last seq fetched in this round
  bool caught_up = false;              // this round's last fetch found nothing more
  bool refused = false;                // Kafka refused something: drain, pause, start over
  auto next_backlog_check = Clock::now();
  for (;;) {
    publisher_.Poll(std::chrono::milliseconds(0));
    while (!in_flight.empty() && in_flight.front().ticket->Complete()) {
      const InFlight batch = std::move(in_flight.front());
      in_flight.pop_front();
      const std::vector<OutboxEvent> acknowledged =
          AcknowledgedEvents(batch.events, batch.ticket->Results(), failed_keys);
      if (!acknowledged.empty()) {
        session.Acknowledge(acknowledged);
        Renewed();
      }
      published_ += acknowledged.size();
      caught_up = false;
      if (acknowledged.size() < batch.events.size()) {
        refused = true;
        publish_failures_ += batch.events.size() - acknowledged.size();
        logger_.Warn("relay: Kafka refused events; they stay in the outbox",
                     {{"refused", batch.events.size() - acknowledged.size()},
                      {"error", FirstError(batch.ticket->Results())}});
      }
      if (logger_.Enabled(LogLevel::Debug)) {
        logger_.Log(LogLevel::Debug, "relay published batch",
                    {{"events", batch.events.size()},
                     {"acknowledged", acknowledged.size()},
                     {"first_seq", batch.events.front().seq},
                     {"last_seq", batch.events.back().seq},
                     {"publish_ms",
                      std::chrono::duration<double, std::milli>(Clock::now() - batch.handed_over).count()}});
      }
    }
    if (in_flight.empty()) {
      if (stop)
        return;
      cursor.reset();
      caught_up = false;
      if (refused) {
        failed_keys.clear();
        refused = false;
        Sleep(std::chrono::milliseconds(200), stop);
        continue;
      }
    }
    if (!stop && Clock::now() >= next_backlog_check) {
      next_backlog_check = Clock::now() + std::chrono::seconds(1);
      if (const auto backlog = session.Backlog()) {
        Renewed();
        backlog_ = backlog->events;
        oldest_age_seconds_ = backlog->oldest_age_seconds;
      }
    }
    if (!stop && !refused && !caught_up && static_cast<int>(in_flight.size()) < settings_.max_in_flight) {
      std::vector<OutboxEvent> events =
          session.Fetch(in_flight.empty() ? std::nullopt : cursor, settings_.batch_size);
      Renewed();
      if (in_flight.empty() && !events.empty() &&
          events.size() < static_cast<std::size_t>(settings_.batch_size)) {
        backlog_ = static_cast<std::int64_t>(events.size());
        oldest_age_seconds_ = NowEpochSeconds() - events.front().created_at_epoch_seconds;
      }
      if (!events.empty()) {
        CheckLease();
        std::vector<OutboundMessage> messages;
        messages.reserve(events.size());
        const double now = NowEpochSeconds();
        for (const auto& event : events) {
          messages.push_back(ToOutboundMessage(event));
          handover_age_.Observe(now - event.created_at_epoch_seconds);
        }
        caught_up = events.size() < static_cast<std::size_t>(settings_.batch_size);
        cursor = events.back().seq;
        in_flight.push_back(InFlight{std::move(events), publisher_.Publish(messages), Clock::now()});
        continue;
      }
      if (in_flight.empty()) {
        backlog_ = 0;
        oldest_age_seconds_ = 0;
        WaitForNews(session, settings_.poll_interval, stop);
        continue;
      }
      caught_up = true;
    }
    // Waiting for Kafka. Events committed meanwhile are fetched behind the ones in flight as soon
    // as someone rings, or after a poll interval; and the session stays busy enough that
    // PostgreSQL does not end it.
    if (caught_up && (TakeRing() || Clock::now() - last_round_trip_ >= settings_.poll_interval)) {
      caught_up = false;
      continue;
    }
    if (Clock::now() - last_round_trip_ > settings_.lease / 4) {
      session.Fetch(cursor, 1);
      Renewed();
    }
    publisher_.Poll(std::chrono::milliseconds(1));
  }
}

void OutboxRelay::Nudge() {
  {
    std::lock_guard<std::mutex> lock(doorbell_mutex_);
    rung_ = true;
  }
  doorbell_.notify_one();
}

bool OutboxRelay::TakeRing() {
  std::lock_guard<std::mutex> lock(doorbell_mutex_);
  return std::exchange(rung_, false);
}

void OutboxRelay::WaitForNews(OutboxSession& session, std::chrono::milliseconds timeout,
                              const std::atomic<bool>& stop) {
  if (session.Listens()) {
    if (!TakeRing())
      session.WaitForNews(std::min(timeout, std::chrono::milliseconds(100)));
    return;
  }
  // In slices, so a stop is noticed soon whatever the poll interval.
  const auto until = Clock::now() + timeout;
  std::unique_lock<std::mutex> lock(doorbell_mutex_);
  while (!rung_ && !stop && Clock::now() < until)
    doorbell_.wait_until(lock, std::min(until, Clock::now() + std::chrono::milliseconds(50)));
  rung_ = false;
}

void OutboxRelay::CheckLease() const {
  const auto silent = Clock::now() - last_round_trip_;
  if (silent > settings_.lease / 2) {
    throw LeaseExpired("no database round trip for " +
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()) +
                       " ms (lease " + std::to_string(settings_.lease.count()) +
                       " ms): another relay may lead by now");
  }
}

void OutboxRelay::Sleep(std::chrono::milliseconds duration, const std::atomic<bool>& stop) const {
  const auto until = Clock::now() + duration;
  while (!stop && Clock::now() < until)
    std::this_thread::sleep_for(std::min(duration, std::chrono::milliseconds(20)));
}

std::string OutboxRelay::RenderMetrics() const {
  std::ostringstream out;
  out << "# HELP inventory_relay_leader 1 while this process holds the relay lock and publishes.\n"
      << "# TYPE inventory_relay_leader gauge\ninventory_relay_leader " << (leader_ ? 1 : 0) << "\n"
      << "# HELP inventory_relay_published_total Outbox events published and acknowledged by Kafka.\n"
      << "# TYPE inventory_relay_published_total counter\ninventory_relay_published_total " << published_
      << "\n"
      << "# HELP inventory_relay_publish_failures_total Outbox events Kafka refused (kept for a retry).\n"
      << "# TYPE inventory_relay_publish_failures_total counter\ninventory_relay_publish_failures_total "
      << publish_failures_ << "\n"
      << "# HELP inventory_relay_leadership_losses_total Times this relay lost leadership without giving it "
         "up "
         "(session ended, lease expired).\n"
      << "# TYPE inventory_relay_leadership_losses_total counter\ninventory_relay_leadership_losses_total "
      << leadership_losses_ << "\n"
      << handover_age_.Render(
             "inventory_relay_event_age_seconds",
             "Age of outbox events when the relay hands them to Kafka (from their transaction's start).")
      << "# HELP inventory_outbox_backlog Unpublished outbox events (seen by the leader).\n"
      << "# TYPE inventory_outbox_backlog gauge\ninventory_outbox_backlog " << backlog_ << "\n"
      << "# HELP inventory_outbox_oldest_age_seconds Age of the oldest unpublished outbox event.\n"
      << "# TYPE inventory_outbox_oldest_age_seconds gauge\ninventory_outbox_oldest_age_seconds "
      << oldest_age_seconds_ << "\n";
  return out.str();
}

}  // namespace inventory
