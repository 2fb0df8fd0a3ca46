// fuzz_jwks.cpp: arbitrary JWKS documents. JwksError is the only way to refuse one.
#include <cstddef>
#include <cstdint>
#include <string>

#include "auth/json_web_key_set.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto set = inventory::ParseJwks(std::string(reinterpret_cast<const char*>(data), size));
    for (const auto& key : set.keys)
      set.Find(key->key_id, key->algorithm);
  } catch (const inventory::JwksError&) {
  }
  return 0;
}
