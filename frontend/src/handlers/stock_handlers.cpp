// stock_handlers.cpp: each handler reads the request into domain values, calls the service and
// writes the result; failures travel as DomainError to the request pipeline.
#include "handlers/stock_handlers.h"

#include "domain/domain_error.h"
#include "domain/page_cursor.h"
#include "handlers/json_mapping.h"
#include "handlers/request_values.h"
#include "handlers/stock_import_parser.h"

namespace inventory {

void AddStockRoutes(Router& router, InventoryService& service) {
  router.Add({"GET",
              "/v1/stock",
              BodyKind::None,
              {"warehouse", "low_stock", "cursor", "limit"},
              [&service](const HttpRequest& request) {
                StockQuery query;
                query.warehouse = QueryText(request, "warehouse");
                query.low_stock_only = QueryBoolean(request, "low_stock").value_or(false);
                if (const auto cursor = QueryText(request, "cursor"))
                  query.after = DecodeStockCursor(*cursor);
                query.limit = QueryPageSize(request, 100);
                return JsonResponse(200, ToJson(service.ListStock(query)));
              }});

  router.Add({"POST", "/v1/stock/import", BodyKind::Import, {}, [&service](const HttpRequest& request) {
                const auto rows = request.content_type == "text/csv" ? ParseCsvImport(request.body)
                                                                     : ParseJsonLinesImport(request.body);
                return JsonResponse(200, {{"imported", service.Import(rows)}});
              }});

  router.Add({"GET", "/v1/stock/{product_id}", BodyKind::None, {}, [&service](const HttpRequest& request) {
                return JsonResponse(200, ToJson(service.GetProductStock(request.path_parameters[0])));
              }});

  router.Add({"GET",
              "/v1/stock/{product_id}/availability",
              BodyKind::None,
              {"quantity", "warehouse"},
              [&service](const HttpRequest& request) {
                const auto quantity = QueryInteger(request, "quantity").value_or(1);
                return JsonResponse(200,
                                    ToJson(service.CheckAvailability(request.path_parameters[0], quantity,
                                                                     QueryText(request, "warehouse"))));
              }});

  router.Add({"GET",
              "/v1/stock/{product_id}/ledger",
              BodyKind::None,
              {"warehouse", "cursor", "limit"},
              [&service](const HttpRequest& request) {
                LedgerQuery query;
                query.product_id = request.path_parameters[0];
                query.warehouse = QueryText(request, "warehouse");
                if (const auto cursor = QueryText(request, "cursor"))
                  query.after = DecodeLedgerCursor(*cursor);
                query.limit = QueryPageSize(request, 100);
                return JsonResponse(200, ToJson(service.Ledger(query)));
              }});

  router.Add({"PUT",
              "/v1/stock/{product_id}/{warehouse}",
              BodyKind::Json,
              {},
              [&service](const HttpRequest& request) {
                const auto upsert =
                    StockUpsertFromJson(request.body, request.path_parameters[0], request.path_parameters[1]);
                return JsonResponse(200, ToJson(service.SetStock(upsert)));
              }});

  router.Add({"DELETE",
              "/v1/stock/{product_id}/{warehouse}",
              BodyKind::None,
              {},
              [&service](const HttpRequest& request) {
                service.Remove(request.path_parameters[0], request.path_parameters[1]);
                HttpResponse response;
                response.status = 204;
                response.content_type.clear();
                return response;
              }});

  router.Add({"POST",
              "/v1/stock/{product_id}/{warehouse}/restock",
              BodyKind::Json,
              {},
              [&service](const HttpRequest& request) {
                const auto body = RestockBodyFromJson(request.body);
                return JsonResponse(
                    200, ToJson(service.Restock(request.path_parameters[0], request.path_parameters[1],
                                                body.quantity, body.note)));
              }});

  router.Add({"POST",
              "/v1/stock/{product_id}/{warehouse}/adjust",
              BodyKind::Json,
              {},
              [&service](const HttpRequest& request) {
                const auto body = AdjustBodyFromJson(request.body);
                return JsonResponse(
                    200, ToJson(service.Adjust(request.path_parameters[0], request.path_parameters[1],
                                               body.delta, body.reason)));
              }});
}

}  // namespace inventory
