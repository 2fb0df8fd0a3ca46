// session_settings.cpp: conninfo parsing with libpq and the per-session additions.
#include "adapters/session_settings.h"

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <stdexcept>

namespace inventory {
namespace {

// A libpq key/value string value: single-quoted, with backslash and quote escaped.
std::string Quoted(const std::string& value) {
  std::string quoted = "'";
  for (const char c : value) {
    if (c == '\\' || c == '\'')
      quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::map<std::string, std::string> Parse(const std::string& conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(
      PQconninfoParse(conninfo.c_str(), &error), PQconninfoFree);
  if (!options) {
    const std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    throw std::invalid_argument("DATABASE_URL cannot be parsed: " + message);
  }
  std::map<std::string, std::string> values;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val != nullptr)
      values[option->keyword] = option->val;
  }
  return values;
}

}  // namespace

std::string SessionConnInfo(const std::string& conninfo, const SessionSettings& settings) {
  auto values = Parse(conninfo);
  const auto given_name = values.find("application_name");
  values["application_name"] =
      (given_name == values.end() || given_name->second.empty() ? "inventory-svc" : given_name->second) +
      "-" + settings.role;
  values.emplace("connect_timeout", std::to_string(settings.connect_timeout_seconds));
  values.emplace("keepalives", "1");
  values.emplace("keepalives_idle", "5");
  values.emplace("keepalives_interval", "2");
  values.emplace("keepalives_count", "3");
  std::string options = values.count("options") ? values["options"] : "";
  auto add_setting = [&options](const std::string& name, std::chrono::milliseconds value) {
    if (value.count() > 0 && options.find(name + "=") == std::string::npos)
      options +=
          (options.empty() ? "" : " ") + std::string("-c ") + name + "=" + std::to_string(value.count());
  };
  add_setting("statement_timeout", settings.statement_timeout);
  add_setting("idle_in_transaction_session_timeout", settings.idle_timeout);
  add_setting("idle_session_timeout", settings.idle_timeout);
  if (settings.idle_timeout.count() > 0)
    values.emplace("tcp_user_timeout", std::to_string(settings.idle_timeout.count()));
  if (!options.empty())
    values["options"] = options;
  std::string result;
  for (const auto& [key, value] : values)
    result += (result.empty() ? "" : " ") + key + "=" + Quoted(value);
  return result;
}

}  // namespace inventory
