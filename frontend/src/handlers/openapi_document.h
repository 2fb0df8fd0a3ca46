// openapi_document.h: the OpenAPI 3 description of the REST API, compiled in from
// frontend/openapi.json.
#pragma once

namespace inventory {

const char* OpenApiDocument();

}  // namespace inventory
