// reply.h: the answer to a request whose handler finishes later, on another thread (a deferred
// route, handlers/router.h). Copies share one answer: the first Send or Fail is the response and
// later ones are ignored. When the last copy goes away unanswered (work dropped by mistake), the
// client still gets a 503 problem: no request is left hanging.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <variant>

#include "domain/domain_error.h"
#include "handlers/http_message.h"

namespace inventory {

class Reply {
 public:
  // answer turns the response, or the failure to report as a problem, into the HTTP answer.
  using Answer = std::function<void(std::variant<HttpResponse, std::exception_ptr>)>;

  explicit Reply(Answer answer);

  void Send(HttpResponse response) const;
  void Fail(const DomainError& error) const;
  void Fail(std::exception_ptr failure) const;

 private:
  class Pending;
  std::shared_ptr<Pending> pending_;
};

}  // namespace inventory
