// unit_of_work.cpp: one thread-local slot for the open unit.
#include "adapters/unit_of_work.h"

namespace inventory {
namespace {

thread_local UnitOfWork* current_unit = nullptr;

}  // namespace

UnitOfWork::UnitOfWork(ConnectionPool& pool)
    : lease_(pool.Acquire()), work_(*lease_), previous_(current_unit) {
  current_unit = this;
}

UnitOfWork::~UnitOfWork() {
  current_unit = previous_;
}

void UnitOfWork::Commit() {
  work_.commit();
}

UnitOfWork* UnitOfWork::Current() {
  return current_unit;
}

}  // namespace inventory
