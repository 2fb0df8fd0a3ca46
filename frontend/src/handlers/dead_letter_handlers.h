// dead_letter_handlers.h: the admin route that re-drives a Kafka dead letter,
// POST /v1/admin/dead-letters/{dead_letter_id}/retry (scope inventory:admin).
#pragma once

#include "domain/dead_letters.h"
#include "handlers/router.h"

namespace inventory {

void AddDeadLetterRoutes(Router& router, DeadLetterRepository& dead_letters);

}  // namespace inventory
