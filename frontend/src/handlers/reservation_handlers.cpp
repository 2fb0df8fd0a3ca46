// reservation_handlers.cpp: reserving (201 new, 200 idempotent repeat, 409 with the shortages the
// batch saw), reading and moving reservations one by one or per order, and expiring overdue ones
// on demand.
#include "handlers/reservation_handlers.h"

#include "auth/actor_context.h"
#include "domain/domain_error.h"
#include "domain/validation.h"
#include "handlers/json_fields.h"
#include "handlers/json_mapping.h"
#include "handlers/request_values.h"
#include "idempotency/idempotent_route.h"

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
    case ErrorKind::Overloaded:
    case ErrorKind::ClientGone:
      return "shed";
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

// The response to a granted reservation request: 201 when it reserved, 200 for a repeat.
HttpResponse GrantedResponse(const std::string& order_id, const ReservationOutcome& outcome) {
  const auto& result = outcome.result();
  auto body = OrderJson(order_id, result.reservations);
  body["created"] = result.created_any;
  return JsonResponse(result.created_any ? 201 : 200, body);
}

// The answer to a decided reservation request, counted by outcome.
void AnswerReservation(const std::string& order_id, const ReservationOutcome& outcome, Metrics& metrics,
                       const Reply& reply) {
  if (outcome.replayed()) {
    metrics.CountReservation("replayed");
    reply.Send(ReplayedResponse(*outcome.replayed()));
    return;
  }
  if (!outcome.granted()) {
    metrics.CountReservation(OutcomeOf(outcome.error().kind()));
    reply.Fail(outcome.error());
    return;
  }
  metrics.CountReservation(outcome.result().created_any ? "created" : "repeated");
  reply.Send(GrantedResponse(order_id, outcome));
}

}  // namespace

void AddReservationRoutes(Router& router, InventoryService& service, ReservationIntake& intake,
                          Metrics& metrics) {
  // Parsed and checked on the I/O thread, then queued for a batch; answered when its batch returns.
  router.Add({"POST",
              "/v1/reservations",
              BodyKind::Json,
              {},
              nullptr,
              Placement::IoThread,
              [&intake, &metrics](const HttpRequest& request, Reply reply) {
                ReservationRequest reservation;
                try {
                  reservation = ReservationRequestFromJson(request.body);
                } catch (const DomainError& error) {
                  metrics.CountReservation(OutcomeOf(error.kind()));
                  throw;
                }
                reservation.actor = CurrentActor();
                std::string order_id = reservation.order_id;
                reservation.idempotency =
                    ReservationKeyOf(request, [order_id](const ReservationOutcome& outcome) {
                      return GrantedResponse(order_id, outcome);
                    });
                intake.Submit(ReservationSubmission{
                    std::move(reservation),
                    [order_id = std::move(order_id), &metrics, reply](ReservationOutcome outcome) {
                      AnswerReservation(order_id, outcome, metrics, reply);
                    },
                    request.client_waiting});
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

  router.Add(
      {"POST",
       "/v1/reservations/{reservation_id}/return",
       BodyKind::Json,
       {},
       [&service](const HttpRequest& request) {
         const auto object = ParseJsonObject(request.body);
         JsonObjectReader reader(object);
         ReturnRequest units;
         units.quantity = reader.RequireInteger("quantity");
         const auto restock = reader.OptionalBoolean("restock");
         if (!restock)
           throw DomainError(ErrorKind::InvalidValue,
                             "restock is required: true puts the units back on hand, false writes them off");
         units.restock = *restock;
         units.reason = reader.RequireString("reason");
         reader.RejectUnknownMembers();
         return JsonResponse(200, ToJson(service.ReturnReservation(request.path_parameters[0], units)));
       }});

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
