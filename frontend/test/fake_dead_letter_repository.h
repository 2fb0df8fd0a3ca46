// fake_dead_letter_repository.h: a DeadLetterRepository for tests that only need the routes
// registered (route tables, the OpenAPI document); a re-drive names the id it was asked for.
#pragma once

#include "domain/dead_letters.h"

namespace inventory::testing {

class FakeDeadLetterRepository : public DeadLetterRepository {
 public:
  RedriveResult Redrive(std::int64_t dead_letter_id) override {
    RedriveResult result;
    result.dead_letter_id = dead_letter_id;
    result.action = "reserve";
    return result;
  }
};

}  // namespace inventory::testing
