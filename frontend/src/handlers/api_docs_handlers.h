// api_docs_handlers.h: GET /docs, the interactive API page (Swagger UI over /openapi.json), and
// GET /docs/{asset}, the files it loads. Public like /openapi.json; the operations that need a
// token ask for it through the page's Authorize button (the document's bearerJwt scheme).
#pragma once

#include "handlers/router.h"

namespace inventory {

// AddApiDocsRoutes registers GET /docs and GET /docs/{asset}.
void AddApiDocsRoutes(Router& router);

}  // namespace inventory
