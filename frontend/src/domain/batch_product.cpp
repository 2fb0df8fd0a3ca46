// batch_product.cpp: one pass over the lines, stopping at the first other product.
#include "domain/batch_product.h"

namespace inventory {

// OnlyProductOf returns the first line's product unless another line names a different one.
std::optional<std::string> OnlyProductOf(const std::vector<ReservationRequest>& requests) {
  const std::string* product = nullptr;
  for (const auto& request : requests) {
    for (const auto& line : request.lines) {
      if (product == nullptr)
        product = &line.product_id;
      else if (line.product_id != *product)
        return std::nullopt;
    }
  }
  if (product == nullptr)
    return std::nullopt;
  return *product;
}

}  // namespace inventory
