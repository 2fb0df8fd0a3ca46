// reply.cpp: the shared answer and its last-resort 503.
#include "handlers/reply.h"

#include <atomic>
#include <utility>

namespace inventory {

class Reply::Pending {
 public:
  explicit Pending(Answer answer) : answer_(std::move(answer)) {}
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;

  ~Pending() {
    Give(std::make_exception_ptr(
        DomainError(ErrorKind::Unavailable, "the request was dropped before it could be answered; retry")));
  }

  // Give answers once; later calls do nothing.
  void Give(std::variant<HttpResponse, std::exception_ptr> outcome) {
    if (!answered_.exchange(true))
      answer_(std::move(outcome));
  }

 private:
  Answer answer_;
  std::atomic<bool> answered_{false};
};

Reply::Reply(Answer answer) : pending_(std::make_shared<Pending>(std::move(answer))) {}

void Reply::Send(HttpResponse response) const {
  pending_->Give(std::move(response));
}

void Reply::Fail(const DomainError& error) const {
  pending_->Give(std::make_exception_ptr(error));
}

void Reply::Fail(std::exception_ptr failure) const {
  pending_->Give(std::move(failure));
}

}  // namespace inventory
