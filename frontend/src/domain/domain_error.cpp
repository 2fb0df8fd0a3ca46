// domain_error.cpp: construction of DomainError.
#include "domain/domain_error.h"

#include <utility>

namespace inventory {

DomainError::DomainError(ErrorKind kind, const std::string& detail, std::vector<Shortage> shortages)
    : std::runtime_error(detail), kind_(kind), shortages_(std::move(shortages)) {}

}  // namespace inventory
