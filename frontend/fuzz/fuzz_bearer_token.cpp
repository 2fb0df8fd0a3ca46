// fuzz_bearer_token.cpp: arbitrary Authorization headers against the JWT authenticator with a real
// RS256 and ES256 key set. The invariant: no crash, no sanitizer report, and nothing is accepted
// (the fuzzer cannot forge a signature).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "auth/jwt_authenticator.h"
#include "jwt_test_support.h"

namespace {

using namespace inventory;

struct Keys {
  std::string jwks;
  JwksKeyStore store{[this] { return jwks; }, KeyStoreSettings{}, nullptr};
  JwtAuthenticator authenticator{store, JwtSettings{"https://idp.fuzz", "inventory-svc"}, [] { return 1'800'000'000; }};

  Keys() {
    // Fixed kids so the fuzzer can find them from the seed corpus.
    jwks = nlohmann::json{{"keys",
                           {testing::PublicJwk(testing::GeneratePrivateKeyPem("RSA"), "rsa-1"),
                            testing::PublicJwk(testing::GeneratePrivateKeyPem("EC"), "ec-1")}}}
               .dump();
    store.Refresh();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Keys* keys = new Keys();
  const std::string header(reinterpret_cast<const char*>(data), size);
  if (keys->authenticator.Authenticate(header).principal)
    std::abort();
  if (keys->authenticator.Authenticate("Bearer " + header).principal)
    std::abort();
  return 0;
}
