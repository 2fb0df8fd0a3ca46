// api_docs_assets.h: the files of the interactive API page (GET /docs): Swagger UI from the npm
// package swagger-ui-dist and our own page and start-up script, compiled into the binary at build
// time (cmake/embed_api_docs.cmake writes the definition), so the service needs no file, no CDN
// and no network to serve them.
#pragma once

#include <string_view>
#include <vector>

namespace inventory {

struct ApiDocsAsset {
  std::string_view name;          // the file name under /docs/; empty for the page itself
  std::string_view content_type;  // with its charset for text
  std::string_view body;
  bool immutable;  // the name carries a hash of the content, so a client may cache it for good
};

// Every embedded file, the page first.
const std::vector<ApiDocsAsset>& ApiDocsAssets();

}  // namespace inventory
