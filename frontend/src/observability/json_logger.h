// json_logger.h: structured logs, one JSON object per line on standard output, safe to call from
// any thread.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "observability/log_level.h"

namespace inventory {

class JsonLogger {
 public:
  explicit JsonLogger(LogLevel minimum_level, std::FILE* sink = stdout);

  bool Enabled(LogLevel level) const { return level >= minimum_level_; }
  // fields are merged into the line next to "time", "level" and "message".
  void Log(LogLevel level, const std::string& message,
           const nlohmann::json& fields = nlohmann::json::object());
  // Lifecycle lines (listening, shutting down, stopped) are written whatever the level.
  void Lifecycle(const std::string& message, const nlohmann::json& fields = nlohmann::json::object()) {
    Write(LogLevel::Info, message, fields);
  }
  void Info(const std::string& message, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::Info, message, fields);
  }
  void Warn(const std::string& message, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::Warn, message, fields);
  }
  void Error(const std::string& message, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::Error, message, fields);
  }

 private:
  void Write(LogLevel level, const std::string& message, const nlohmann::json& fields);

  LogLevel minimum_level_;
  std::FILE* sink_;
  std::mutex mutex_;
};

}  // namespace inventory
