// fake_clock.h: a Clock that only moves when a test says so.
#pragma once

#include <atomic>
#include <chrono>

#include "execution/clock.h"

namespace inventory::testing {

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(now_.load())); }
  void Advance(std::chrono::milliseconds step) { now_ += std::chrono::nanoseconds(step).count(); }

 private:
  std::atomic<std::int64_t> now_{std::chrono::nanoseconds(std::chrono::hours(1)).count()};
};

}  // namespace inventory::testing
