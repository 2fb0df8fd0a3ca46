// log_level.h: severities of the service's log lines, lowest first.
#pragma once

namespace inventory {

enum class LogLevel { Debug, Info, Warn, Error };

}  // namespace inventory
