// dead_letter_handlers.cpp: re-drive: the id from the path, the repository's answer as JSON.
#include "handlers/dead_letter_handlers.h"

#include "domain/domain_error.h"
#include "handlers/request_values.h"

namespace inventory {
namespace {

// A dead letter id is a positive decimal number; anything else names no dead letter.
std::int64_t DeadLetterId(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(text) < 1)
    throw DomainError(ErrorKind::NotFound, "dead letter \"" + text + "\" does not exist");
  return std::stoll(text);
}

}  // namespace

void AddDeadLetterRoutes(Router& router, DeadLetterRepository& dead_letters) {
  router.Add({"POST",
              "/v1/admin/dead-letters/{dead_letter_id}/retry",
              BodyKind::None,
              {},
              [&dead_letters](const HttpRequest& request) {
                const RedriveResult result = dead_letters.Redrive(DeadLetterId(request.path_parameters[0]));
                return JsonResponse(
                    200, {{"dead_letter_id", result.dead_letter_id},
                          {"action", result.action},
                          {"order_id", result.order_id ? nlohmann::json(*result.order_id) : nlohmann::json()},
                          {"redriven_at", result.redriven_at},
                          {"redriven_by", result.redriven_by},
                          {"parked_events_applied", result.parked_events_applied}});
              }});
}

}  // namespace inventory
