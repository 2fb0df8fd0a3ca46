// clock.h: the time the executor and the coalescer measure waits with. Production uses the steady
// clock; unit tests substitute a clock they move by hand, so deadlines are tested without sleeping.
#pragma once

#include <chrono>

namespace inventory {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace inventory
