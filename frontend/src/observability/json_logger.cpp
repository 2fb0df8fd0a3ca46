// json_logger.cpp: formats and writes log lines; invalid UTF-8 in a field is replaced, never thrown.
#include "observability/json_logger.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace inventory {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

std::string UtcNow() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return text;
}

}  // namespace

JsonLogger::JsonLogger(LogLevel minimum_level, std::FILE* sink)
    : minimum_level_(minimum_level), sink_(sink) {}

void JsonLogger::Log(LogLevel level, const std::string& message, const nlohmann::json& fields) {
  if (Enabled(level))
    Write(level, message, fields);
}

void JsonLogger::Write(LogLevel level, const std::string& message, const nlohmann::json& fields) {
  nlohmann::json line = {{"time", UtcNow()}, {"level", LevelName(level)}, {"message", message}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it)
      line[it.key()] = it.value();
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), sink_);
  std::fflush(sink_);
}

}  // namespace inventory
