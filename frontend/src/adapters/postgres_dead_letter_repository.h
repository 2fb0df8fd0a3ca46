// postgres_dead_letter_repository.h: DeadLetterRepository on the REST connection pool.
#pragma once

#include "adapters/connection_pool.h"
#include "domain/dead_letters.h"

namespace inventory {

class PostgresDeadLetterRepository : public DeadLetterRepository {
 public:
  explicit PostgresDeadLetterRepository(ConnectionPool& pool) : pool_(pool) {}
  RedriveResult Redrive(std::int64_t dead_letter_id) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace inventory
