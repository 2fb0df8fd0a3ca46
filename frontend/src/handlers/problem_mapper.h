// problem_mapper.h: the one place where failures become HTTP statuses and RFC 7807
// application/problem+json bodies {type, title, status, detail, ...}.
#pragma once

#include <string>

#include "domain/domain_error.h"
#include "handlers/http_message.h"

namespace inventory {

int StatusOf(ErrorKind kind);
// The problem "type" URI, for instance "/problems/insufficient-stock" (documented in docs/rest-api.md).
std::string ProblemTypeOf(ErrorKind kind);
std::string TitleOf(ErrorKind kind);

// A problem response; 503 carries Retry-After, 409 for short stock carries "shortages".
HttpResponse ProblemResponse(const DomainError& error, const std::string& instance,
                             const std::string& request_id, int retry_after_seconds);

}  // namespace inventory
