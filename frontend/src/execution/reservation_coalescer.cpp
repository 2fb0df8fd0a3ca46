// reservation_coalescer.cpp: admission, batch formation, the batch run and delivery.
#include "execution/reservation_coalescer.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "domain/validation.h"
#include "execution/reservation_lanes.h"

namespace inventory {
namespace {

ReservationOutcome Refused(ErrorKind kind, const std::string& detail) {
  return ReservationOutcome::Refused(DomainError(kind, detail));
}

}  // namespace

ReservationCoalescer::ReservationCoalescer(ReservationBatchRepository& repository, JobRunner& runner,
                                           const Clock& clock, CoalescerSettings settings)
    : repository_(repository), runner_(runner), clock_(clock), settings_(settings), lanes_(settings.lanes) {}

void ReservationCoalescer::Submit(ReservationSubmission submission) {
  try {
    ValidateReservationRequest(submission.request);
  } catch (const DomainError& error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.refused_invalid;
    }
    submission.done(ReservationOutcome::Refused(error));
    return;
  }
  const std::size_t lane_index = LaneOf(submission.request, lanes_.size());
  Batch batch;
  bool shed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stats_.waiting >= settings_.queue_capacity) {
      ++stats_.shed_queue_full;
      shed = true;
    } else {
      Lane& lane = lanes_[lane_index];
      lane.waiting.push_back(Waiting{std::move(submission), clock_.Now()});
      ++stats_.waiting;
      if (!lane.batch_in_flight) {
        lane.batch_in_flight = true;
        batch = TakeBatchLocked(lane);
      }
    }
  }
  if (shed) {
    submission.done(Refused(ErrorKind::Overloaded, "too many reservations are waiting (" +
                                                       std::to_string(settings_.queue_capacity) +
                                                       "); retry shortly"));
    return;
  }
  if (!batch.empty())
    Dispatch(lane_index, std::move(batch));
}

CoalescerStats ReservationCoalescer::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

ReservationCoalescer::Batch ReservationCoalescer::TakeBatchLocked(Lane& lane) {
  Batch batch;
  const std::size_t size = std::min(lane.waiting.size(), settings_.max_batch);
  batch.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    batch.push_back(std::move(lane.waiting.front()));
    lane.waiting.pop_front();
  }
  stats_.waiting -= size;
  stats_.in_flight += size;
  return batch;
}

void ReservationCoalescer::Dispatch(std::size_t lane, Batch batch) {
  auto shared = std::make_shared<Batch>(std::move(batch));
  Job job;
  job.admission = Admission::Reserved;
  job.run = [this, lane, shared] { RunBatch(lane, *shared); };
  // Only a stopped runner refuses a reserved job: answer this batch and every later one of the lane.
  job.refuse = [this, lane, shared](Refusal) {
    Batch current = std::move(*shared);
    while (!current.empty()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.shed_shutdown += current.size();
      }
      for (auto& waiting : current)
        waiting.submission.done(
            Refused(ErrorKind::Unavailable, "the service is shutting down; retry on another instance"));
      current = FinishBatch(lane, current.size());
    }
  };
  runner_.Submit(std::move(job));
}

void ReservationCoalescer::RunBatch(std::size_t lane, Batch& batch) {
  const auto now = clock_.Now();
  std::vector<ReservationRequest> requests;
  std::vector<Waiting*> sent;
  std::vector<std::pair<Waiting*, ReservationOutcome>> dropped;
  std::size_t expired = 0;
  for (auto& waiting : batch) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - waiting.arrived);
    if (waited > settings_.queue_timeout) {
      dropped.emplace_back(
          &waiting, Refused(ErrorKind::Overloaded, "the request waited " + std::to_string(waited.count()) +
                                                       " ms for the database, longer than the " +
                                                       std::to_string(settings_.queue_timeout.count()) +
                                                       " ms allowed; retry shortly"));
      ++expired;
    } else if (waiting.submission.still_wanted && !waiting.submission.still_wanted()) {
      dropped.emplace_back(
          &waiting, Refused(ErrorKind::ClientGone, "the client went away before the request was sent"));
    } else {
      requests.push_back(std::move(waiting.submission.request));
      sent.push_back(&waiting);
    }
  }
  std::vector<ReservationOutcome> outcomes;
  bool failed = false;
  if (!requests.empty()) {
    try {
      outcomes = repository_.ReserveBatch(requests);
      if (outcomes.size() != requests.size()) {
        throw DomainError(ErrorKind::Internal, "the batch returned " + std::to_string(outcomes.size()) +
                                                   " outcomes for " + std::to_string(requests.size()) +
                                                   " requests");
      }
    } catch (const DomainError& error) {
      failed = true;
      outcomes.assign(requests.size(), ReservationOutcome::Refused(error));
    } catch (const std::exception& error) {
      failed = true;
      outcomes.assign(requests.size(),
                      ReservationOutcome::Refused(DomainError(ErrorKind::Internal, error.what())));
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.shed_deadline += expired;
    stats_.shed_client_gone += dropped.size() - expired;
    if (!requests.empty()) {
      ++stats_.batches;
      stats_.batched_requests += requests.size();
      for (std::size_t i = 0; i < CoalescerStats::kBatchSizeBounds.size(); ++i) {
        if (requests.size() <= CoalescerStats::kBatchSizeBounds[i])
          ++stats_.batch_size_buckets[i];
      }
      if (failed)
        ++stats_.failed_batches;
    }
  }
  Batch next = FinishBatch(lane, batch.size());
  if (!next.empty())
    Dispatch(lane, std::move(next));
  for (auto& [waiting, outcome] : dropped)
    waiting->submission.done(std::move(outcome));
  for (std::size_t i = 0; i < sent.size(); ++i)
    sent[i]->submission.done(std::move(outcomes[i]));
}

ReservationCoalescer::Batch ReservationCoalescer::FinishBatch(std::size_t lane, std::size_t decided) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.in_flight -= decided;
  Lane& current = lanes_[lane];
  if (current.waiting.empty()) {
    current.batch_in_flight = false;
    return {};
  }
  return TakeBatchLocked(current);
}

}  // namespace inventory
