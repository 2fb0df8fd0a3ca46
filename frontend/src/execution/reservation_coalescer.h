// reservation_coalescer.h: gathers reservation requests into batches for inventory_reserve_batch.
// Requests are split into lanes (reservation_lanes.h); each lane has at most one batch in the
// database at a time. A request that finds its lane idle leaves at once, alone: no timer adds
// latency when traffic is light. Requests that arrive while their lane's batch is in the database
// wait, and leave together (up to max_batch, oldest first) the moment that batch returns: under
// load, batches form by themselves at the pace the database commits.
//
// Every wait has a bound: past queue_capacity waiting requests, a new one is refused at once
// (Overloaded, which REST answers 503 with Retry-After); a request that waited longer than
// queue_timeout (Overloaded), or whose client has gone (ClientGone), is answered without reaching
// the database;
// a batch that fails as a whole (the database went away: Unavailable) answers each of its requests
// with that failure.
//
// Plain data: no HTTP, SQL or Kafka types. Batches run as Reserved jobs on a JobRunner (the
// bounded executor); outcomes are delivered from the worker that ran the batch, after the lane's
// next batch has been handed on. Thread-safe; one mutex guards the lanes and counters.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "domain/reservation_batch_repository.h"
#include "domain/reservation_intake.h"
#include "execution/clock.h"
#include "execution/job.h"

namespace inventory {

struct CoalescerSettings {
  std::size_t lanes = 4;                          // batches in the database at once, at most
  std::size_t max_batch = 128;                    // requests per inventory_reserve_batch call
  std::size_t queue_capacity = 2048;              // requests waiting in all lanes together
  std::chrono::milliseconds queue_timeout{2000};  // longest wait before a request is answered 503
};

struct CoalescerStats {
  // Upper bounds of the batch size histogram buckets (the last is +Inf).
  static constexpr std::array<std::size_t, 10> kBatchSizeBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

  std::size_t waiting = 0;    // requests queued in the lanes now
  std::size_t in_flight = 0;  // requests in batches being decided now
  std::uint64_t batches = 0;
  std::uint64_t batched_requests = 0;  // requests sent to the database in batches
  std::array<std::uint64_t, kBatchSizeBounds.size()> batch_size_buckets{};  // cumulative, Prometheus style
  std::uint64_t failed_batches = 0;                                         // batches that failed as a whole
  std::uint64_t refused_invalid = 0;  // refused before queueing: bad values
  std::uint64_t shed_queue_full = 0;
  std::uint64_t shed_deadline = 0;
  std::uint64_t shed_client_gone = 0;
  std::uint64_t shed_shutdown = 0;
};

class ReservationCoalescer final : public ReservationIntake {
 public:
  ReservationCoalescer(ReservationBatchRepository& repository, JobRunner& runner, const Clock& clock,
                       CoalescerSettings settings);

  void Submit(ReservationSubmission submission) override;
  CoalescerStats Stats() const;

 private:
  struct Waiting {
    ReservationSubmission submission;
    Clock::TimePoint arrived;
  };
  using Batch = std::vector<Waiting>;
  struct Lane {
    std::deque<Waiting> waiting;
    bool batch_in_flight = false;
  };

  // Moves up to max_batch of the lane's oldest requests into a batch. Caller holds mutex_.
  Batch TakeBatchLocked(Lane& lane);
  // Hands a batch to the runner; when refused, answers it and moves on to the lane's next batch.
  void Dispatch(std::size_t lane, Batch batch);
  // On a worker: drops what must not go, sends the rest as one call, starts the lane's next
  // batch, then delivers the outcomes.
  void RunBatch(std::size_t lane, Batch& batch);
  // The lane's next batch, or none (the lane goes idle). Locks mutex_.
  Batch FinishBatch(std::size_t lane, std::size_t decided);

  ReservationBatchRepository& repository_;
  JobRunner& runner_;
  const Clock& clock_;
  const CoalescerSettings settings_;
  mutable std::mutex mutex_;
  std::vector<Lane> lanes_;
  CoalescerStats stats_;
};

}  // namespace inventory
