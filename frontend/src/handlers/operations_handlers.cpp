// operations_handlers.cpp: probes and documents. /ready reports why it is not ready. /health,
// /metrics and /openapi.json answer on the I/O thread, so they answer however busy the database is;
// /ready asks the database, on a database worker like any other query.
#include "handlers/operations_handlers.h"

#include "domain/domain_error.h"
#include "domain/extension_version.h"
#include "handlers/api_docs_handlers.h"
#include "handlers/openapi_document.h"
#include "handlers/request_values.h"

namespace inventory {

void AddOperationsRoutes(Router& router, const OperationsContext& context) {
  router.Add({"GET",
              "/health",
              BodyKind::None,
              {},
              [](const HttpRequest&) {
                return JsonResponse(200, {{"status", "ok"}});
              },
              Placement::IoThread});

  router.Add({"GET", "/ready", BodyKind::None, {}, [context](const HttpRequest&) {
                if (context.draining.load()) {
                  return JsonResponse(503, {{"status", "unready"}, {"reason", "shutting down"}});
                }
                std::optional<std::string> version;
                try {
                  version = context.repository.ExtensionVersion();
                } catch (const DomainError& error) {
                  auto response = JsonResponse(503, {{"status", "unready"}, {"reason", error.what()}});
                  response.headers.emplace_back("Retry-After", "2");
                  return response;
                }
                if (!version) {
                  return JsonResponse(
                      503, {{"status", "unready"}, {"reason", "extension pg_inventory is not installed"}});
                }
                if (!ExtensionVersionSatisfies(*version, context.expected_extension_version)) {
                  return JsonResponse(
                      503, {{"status", "unready"},
                            {"reason", "extension pg_inventory is version " + *version + ", expected " +
                                           context.expected_extension_version + " or a later " +
                                           context.expected_extension_version.substr(
                                               0, context.expected_extension_version.find('.')) +
                                           ".x"}});
                }
                return JsonResponse(200, {{"status", "ready"}, {"extension_version", *version}});
              }});

  router.Add({"GET",
              "/metrics",
              BodyKind::None,
              {},
              [context](const HttpRequest&) {
                HttpResponse response;
                response.content_type = "text/plain; version=0.0.4";
                response.body = context.metrics.RenderPrometheus();
                return response;
              },
              Placement::IoThread});

  router.Add({"GET",
              "/openapi.json",
              BodyKind::None,
              {},
              [](const HttpRequest&) {
                HttpResponse response;
                response.body = OpenApiDocument();
                return response;
              },
              Placement::IoThread});

  AddApiDocsRoutes(router);
}

}  // namespace inventory
