// reservation_handlers.cpp: reserving (201 new, 200 idempotent repeat), reading and moving
// reservations one by one or per order, and expiring overdue ones on demand.
#include "handlers/reservation_handlers.h"

#include "domain/domain_error.h"
#include "domain/validation.h"
#include "handlers/json_fields.h"
#include "handlers/json_mapping.h"
#include "handlers/request_values.h"

namespace inventory {
namespace {

const char* OutcomeOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InsufficientStock:
      return "insufficient_stock";
    case ErrorKind::IdempotencyConflict:
    case ErrorKind::Conflict:
      return "conflict";
    case ErrorKind::NotFound:
      return "not_found";
    case ErrorKind::MalformedRequest:
    case ErrorKind::InvalidValue:
      return "invalid";
    case ErrorKind::Unavailable:
      return "unavailable";
    default:
      return "error";
  }
}

nlohmann::json OrderJson(const std::string& order_id, const std::vector<Reservation>& reservations) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& reservation : reservations)
    list.push_back(ToJson(reservation));
  return {{"order_id", order_id}, {"reservations", list}};
}

void AddMoveRoutes(Router& router, InventoryService& service, const std::string& verb,
                   Transition transition) {
  router.Add({"POST",
              "/v1/reservations/{reservation_id}/" + verb,
              BodyKind::None,
              {},
              [&service, transition](const HttpRequest& request) {
                return JsonResponse(200,
                                    ToJson(service.MoveReservation(request.path_parameters[0], transition)));
              }});
  router.Add({"POST",
              "/v1/orders/{order_id}/" + verb,
              BodyKind::None,
              {},
              [&service, transition](const HttpRequest& request) {
                const auto& order_id = request.path_parameters[0];
                return JsonResponse(200, OrderJson(order_id, service.MoveOrder(order_id, transition)));
              }});
}

}  // namespace

void AddReservationRoutes(Router& router, InventoryService& service, Metrics& metrics) {
  router.Add(
      {"POST", "/v1/reservations", BodyKind::Json, {}, [&service, &metrics](const HttpRequest& request) {
         try {
           const auto reservation_request = ReservationRequestFromJson(request.body);
           const auto result = service.Reserve(reservation_request);
           metrics.CountReservation(result.created_any ? "created" : "repeated");
           auto body = OrderJson(reservation_request.order_id, result.reservations);
           body["created"] = result.created_any;
           return JsonResponse(result.created_any ? 201 : 200, body);
         } catch (const DomainError& error) {
           metrics.CountReservation(OutcomeOf(error.kind()));
           throw;
         }
       }});

  router.Add({"GET",
              "/v1/reservations/{reservation_id}",
              BodyKind::None,
              {},
              [&service](const HttpRequest& request) {
                return JsonResponse(200, ToJson(service.GetReservation(request.path_parameters[0])));
              }});

  router.Add({"GET",
              "/v1/orders/{order_id}/reservations",
              BodyKind::None,
              {},
              [&service](const HttpRequest& request) {
                const auto& order_id = request.path_parameters[0];
                return JsonResponse(200, OrderJson(order_id, service.OrderReservations(order_id)));
              }});

  AddMoveRoutes(router, service, "confirm", Transition::Confirm);
  AddMoveRoutes(router, service, "release", Transition::Release);
  AddMoveRoutes(router, service, "ship", Transition::Ship);

  router.Add({"POST",
              "/v1/admin/expire-reservations",
              BodyKind::OptionalJson,
              {},
              [&service](const HttpRequest& request) {
                int max_rows = 1000;
                if (!request.body.empty()) {
                  const auto object = ParseJsonObject(request.body);
                  JsonObjectReader reader(object);
                  const auto requested = reader.OptionalInteger("max_rows");
                  reader.RejectUnknownMembers();
                  if (requested && (*requested < 1 || *requested > kMaxExpireBatch)) {
                    throw DomainError(ErrorKind::InvalidValue, "max_rows must be between 1 and " +
                                                                   std::to_string(kMaxExpireBatch) +
                                                                   ", not " + std::to_string(*requested));
                  }
                  if (requested)
                    max_rows = static_cast<int>(*requested);
                }
                return JsonResponse(200, {{"expired", service.ExpireReservations(max_rows)}});
              }});
}

}  // namespace inventory
