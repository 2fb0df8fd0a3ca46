// fake_inventory_repository.h: an in-memory InventoryRepository and ReservationBatchRepository for
// unit tests of the domain and the request pipeline. It keeps stock rows, records calls, and can be
// told to fail.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/domain_error.h"
#include "domain/inventory_repository.h"
#include "domain/reservation_batch_repository.h"

namespace inventory::testing {

class FakeInventoryRepository : public InventoryRepository, public ReservationBatchRepository {
 public:
  std::map<std::pair<std::string, std::string>, StockLevel> stock;
  std::vector<Reservation> reservations;
  std::optional<DomainError> next_failure;
  std::optional<std::string> extension_version = "1.0";
  std::vector<std::vector<std::string>> batches;  // the order ids of each ReserveBatch call, in order
  std::function<void()> during_next_batch;        // runs inside the next ReserveBatch call, once
  std::vector<StockUpsert> imported;

  void Put(const std::string& product, const std::string& warehouse, std::int64_t on_hand,
           std::int64_t reserved = 0) {
    StockLevel level;
    level.product_id = product;
    level.warehouse = warehouse;
    level.on_hand = on_hand;
    level.reserved = reserved;
    level.available = on_hand - reserved;
    stock[{product, warehouse}] = level;
  }

  std::vector<StockLevel> StockOfProduct(const std::string& product_id) override {
    FailIfAsked();
    std::vector<StockLevel> rows;
    for (const auto& [key, level] : stock) {
      if (key.first == product_id)
        rows.push_back(level);
    }
    return rows;
  }
  std::vector<StockLevel> ListStock(const StockQuery& query) override {
    FailIfAsked();
    std::vector<StockLevel> rows;
    for (const auto& [key, level] : stock) {
      if (query.after && key <= std::make_pair(query.after->product_id, query.after->warehouse))
        continue;
      if (static_cast<int>(rows.size()) < query.limit + 1)
        rows.push_back(level);
    }
    return rows;
  }
  std::int64_t Available(const std::string& product_id,
                         const std::optional<std::string>& warehouse) override {
    FailIfAsked();
    std::int64_t total = 0;
    bool found = false;
    for (const auto& [key, level] : stock) {
      if (key.first == product_id && (!warehouse || key.second == *warehouse)) {
        total += level.available;
        found = true;
      }
    }
    if (!found)
      throw DomainError(ErrorKind::NotFound, "product \"" + product_id + "\" is not stocked");
    return total;
  }
  StockLevel SetStock(const StockUpsert& upsert) override {
    FailIfAsked();
    Put(upsert.product_id, upsert.warehouse, upsert.on_hand);
    return stock[{upsert.product_id, upsert.warehouse}];
  }
  StockLevel Restock(const std::string& product_id, const std::string& warehouse, std::int64_t quantity,
                     const std::optional<std::string>&) override {
    FailIfAsked();
    auto& level = Existing(product_id, warehouse);
    level.on_hand += quantity;
    level.available += quantity;
    return level;
  }
  StockLevel Adjust(const std::string& product_id, const std::string& warehouse, std::int64_t delta,
                    const std::string&) override {
    FailIfAsked();
    auto& level = Existing(product_id, warehouse);
    level.on_hand += delta;
    level.available += delta;
    return level;
  }
  void Remove(const std::string& product_id, const std::string& warehouse) override {
    FailIfAsked();
    Existing(product_id, warehouse);
    stock.erase({product_id, warehouse});
  }
  std::size_t Import(const std::vector<StockUpsert>& rows) override {
    FailIfAsked();
    imported = rows;
    return rows.size();
  }
  std::vector<LedgerEntry> Ledger(const LedgerQuery&) override {
    FailIfAsked();
    return {};
  }
  // Decides each request in order as the database would: an order that holds reservations is an
  // idempotent repeat (or a conflict when its quantities differ), unknown products are NotFound, and
  // short lines (summed per product and warehouse) refuse the whole request with their shortages.
  std::vector<ReservationOutcome> ReserveBatch(const std::vector<ReservationRequest>& requests) override {
    batches.emplace_back();
    for (const auto& request : requests)
      batches.back().push_back(request.order_id);
    if (during_next_batch)
      std::exchange(during_next_batch, nullptr)();
    FailIfAsked();
    std::vector<ReservationOutcome> outcomes;
    for (const auto& request : requests)
      outcomes.push_back(ReserveOne(request));
    return outcomes;
  }
  std::optional<Reservation> FindReservation(const std::string& reservation_id) override {
    FailIfAsked();
    for (const auto& reservation : reservations) {
      if (reservation.id == reservation_id)
        return reservation;
    }
    return std::nullopt;
  }
  std::vector<Reservation> ReservationsOfOrder(const std::string& order_id) override {
    FailIfAsked();
    std::vector<Reservation> found;
    for (const auto& reservation : reservations) {
      if (reservation.order_id == order_id)
        found.push_back(reservation);
    }
    return found;
  }
  std::vector<Reservation> MoveReservation(const std::string& reservation_id, Transition) override {
    FailIfAsked();
    auto found = FindReservation(reservation_id);
    if (!found)
      throw DomainError(ErrorKind::NotFound, "reservation " + reservation_id + " does not exist");
    return {*found};
  }
  std::vector<Reservation> MoveOrder(const std::string& order_id, Transition) override {
    FailIfAsked();
    return ReservationsOfOrder(order_id);
  }
  std::int64_t ExpireReservations(int) override {
    FailIfAsked();
    return 0;
  }
  std::optional<std::string> ExtensionVersion() override {
    FailIfAsked();
    return extension_version;
  }

 private:
  ReservationOutcome ReserveOne(const ReservationRequest& request) {
    ReserveResult existing;
    for (const auto& reservation : reservations) {
      if (reservation.order_id == request.order_id) {
        existing.reservations.push_back(reservation);
        existing.reservations.back().created = false;
      }
    }
    if (!existing.reservations.empty()) {
      for (const auto& line : request.lines) {
        bool same = false;
        for (const auto& reservation : existing.reservations)
          same = same || (reservation.product_id == line.product_id && reservation.quantity == line.quantity);
        if (!same)
          return ReservationOutcome::Refused(DomainError(
              ErrorKind::IdempotencyConflict, "order " + request.order_id + " holds other quantities"));
      }
      return ReservationOutcome::Granted(existing);
    }
    std::map<std::pair<std::string, std::string>, std::int64_t> wanted;
    for (const auto& line : request.lines)
      wanted[{line.product_id, line.warehouse.value_or("main")}] += line.quantity;
    std::vector<Shortage> shortages;
    for (const auto& [key, quantity] : wanted) {
      const auto row = stock.find(key);
      if (row == stock.end())
        return ReservationOutcome::Refused(
            DomainError(ErrorKind::NotFound, "product \"" + key.first + "\" is not stocked"));
      if (row->second.available < quantity)
        shortages.push_back(Shortage{key.first, key.second, quantity, row->second.available});
    }
    if (!shortages.empty())
      return ReservationOutcome::Refused(
          DomainError(ErrorKind::InsufficientStock, "insufficient stock", shortages));
    ReserveResult made;
    for (const auto& [key, quantity] : wanted) {
      auto& level = stock[key];
      level.reserved += quantity;
      level.available -= quantity;
      Reservation reservation;
      reservation.id = "00000000-0000-4000-8000-00000000000" + std::to_string(reservations.size() % 10);
      reservation.order_id = request.order_id;
      reservation.product_id = key.first;
      reservation.warehouse = key.second;
      reservation.quantity = quantity;
      reservation.status = "active";
      reservation.created = true;
      reservations.push_back(reservation);
      made.reservations.push_back(reservation);
    }
    made.created_any = true;
    return ReservationOutcome::Granted(made);
  }

  void FailIfAsked() {
    if (next_failure) {
      DomainError failure = *next_failure;
      next_failure.reset();
      throw failure;
    }
  }
  StockLevel& Existing(const std::string& product_id, const std::string& warehouse) {
    auto it = stock.find({product_id, warehouse});
    if (it == stock.end())
      throw DomainError(ErrorKind::NotFound, "not stocked");
    return it->second;
  }
};

}  // namespace inventory::testing
