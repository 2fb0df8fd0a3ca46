// api_docs_handlers.cpp: serves the embedded files of the /docs page with their media type and
// cache rules: the page is revalidated on every visit (it names the current assets), the assets
// have content-hashed names and are cached for a year, the licence texts are revalidated. The page
// may run only its own scripts and talk only to this service (Content-Security-Policy). Nothing
// here touches the database, so the files are served on the I/O thread.
#include "handlers/api_docs_handlers.h"

#include <map>
#include <string>

#include "domain/domain_error.h"
#include "handlers/api_docs_assets.h"

namespace inventory {
namespace {

// Swagger UI sets style attributes and uses data: images in its stylesheet; nothing else is allowed.
constexpr const char* kPageContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// AssetResponse serves one embedded file with its media type and cache rule.
HttpResponse AssetResponse(const ApiDocsAsset& asset) {
  HttpResponse response;
  response.content_type = std::string(asset.content_type);
  response.body = std::string(asset.body);
  response.headers.emplace_back("Cache-Control",
                                asset.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

// The embedded files by name; the page is the one with the empty name.
const std::map<std::string, const ApiDocsAsset*>& AssetsByName() {
  static const std::map<std::string, const ApiDocsAsset*> by_name = [] {
    std::map<std::string, const ApiDocsAsset*> assets;
    for (const auto& asset : ApiDocsAssets())
      assets.emplace(std::string(asset.name), &asset);
    return assets;
  }();
  return by_name;
}

}  // namespace

void AddApiDocsRoutes(Router& router) {
  router.Add({"GET", "/docs", BodyKind::None, {}, [](const HttpRequest&) {
                auto response = AssetResponse(*AssetsByName().at(""));
                response.headers.emplace_back("Content-Security-Policy", kPageContentSecurityPolicy);
                response.headers.emplace_back("Referrer-Policy", "no-referrer");
                return response;
              },
              Placement::IoThread});

  router.Add({"GET", "/docs/{asset}", BodyKind::None, {}, [](const HttpRequest& request) {
                const std::string& name = request.path_parameters.at(0);
                const auto found = AssetsByName().find(name);
                if (found == AssetsByName().end())
                  throw DomainError(ErrorKind::NotFound, "the API page has no file named \"" +
                                                             name.substr(0, 100) +
                                                             "\"; the page itself is GET /docs");
                return AssetResponse(*found->second);
              },
              Placement::IoThread});
}

}  // namespace inventory
