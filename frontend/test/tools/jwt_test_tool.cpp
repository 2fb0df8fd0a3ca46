// jwt_test_tool.cpp: the identity provider of the shell tests (tests/security, tests/hostile).
//   jwt_test_tool key RSA|EC                      a new private key (PEM) on stdout
//   jwt_test_tool jwks KID=PEMFILE...             a JWKS with the public keys on stdout
//   jwt_test_tool sign PEMFILE ALG KID CLAIMS     a signed token; CLAIMS is JSON, "$now" and
//                                                 "$now+N"/"$now-N" strings become NumericDates
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "jwt_test_support.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

// Replaces "$now", "$now+N" and "$now-N" string values by the current time plus or minus N seconds.
void ResolveTimes(nlohmann::json& claims, long long now) {
  for (auto& [name, value] : claims.items()) {
    if (!value.is_string())
      continue;
    const std::string text = value.get<std::string>();
    if (text.rfind("$now", 0) != 0)
      continue;
    long long offset = 0;
    if (text.size() > 4)
      offset = std::stoll(text.substr(4));
    value = now + offset;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace inventory::testing;
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "key" && argc == 3) {
      std::cout << GeneratePrivateKeyPem(argv[2]);
      return 0;
    }
    if (command == "jwks" && argc >= 3) {
      nlohmann::json keys = nlohmann::json::array();
      for (int i = 2; i < argc; ++i) {
        const std::string argument = argv[i];
        const auto equals = argument.find('=');
        keys.push_back(PublicJwk(ReadFile(argument.substr(equals + 1)), argument.substr(0, equals)));
      }
      std::cout << nlohmann::json{{"keys", keys}}.dump() << "\n";
      return 0;
    }
    if (command == "sign" && argc == 6) {
      auto claims = nlohmann::json::parse(argv[5]);
      const auto now =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      ResolveTimes(claims, now);
      std::cout << SignToken(ReadFile(argv[2]), argv[3], argv[4], claims) << "\n";
      return 0;
    }
  } catch (const std::exception& error) {
    std::cerr << "jwt_test_tool: " << error.what() << "\n";
    return 1;
  }
  std::cerr << "usage: jwt_test_tool key RSA|EC | jwks KID=PEM... | sign PEM ALG KID CLAIMS\n";
  return 2;
}
