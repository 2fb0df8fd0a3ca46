// json_timestamp.cpp: parse the fields, move by the offset with timegm, print in UTC.
#include "adapters/json_timestamp.h"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "domain/domain_error.h"

namespace inventory {
namespace {

// Throws the error for a text that is not such a timestamp.
[[noreturn]] void Malformed(const std::string& text) {
  throw DomainError(ErrorKind::Internal, "the database returned the timestamp \"" + text +
                                             "\", which is not ISO 8601 with a UTC offset");
}

// Reads exactly digits decimal digits at position; advances it.
int Digits(const std::string& text, std::size_t& position, int digits) {
  int value = 0;
  for (int i = 0; i < digits; ++i, ++position) {
    if (position >= text.size() || !std::isdigit(static_cast<unsigned char>(text[position])))
      Malformed(text);
    value = value * 10 + (text[position] - '0');
  }
  return value;
}

// Expects separator at position; advances past it.
void Expect(const std::string& text, std::size_t& position, char separator) {
  if (position >= text.size() || text[position] != separator)
    Malformed(text);
  ++position;
}

}  // namespace

// UtcTimestampFromJson reads the fields, moves them by the offset and prints them in UTC.
std::string UtcTimestampFromJson(const std::string& text) {
  std::size_t position = 0;
  std::tm fields{};
  fields.tm_year = Digits(text, position, 4) - 1900;
  Expect(text, position, '-');
  fields.tm_mon = Digits(text, position, 2) - 1;
  Expect(text, position, '-');
  fields.tm_mday = Digits(text, position, 2);
  Expect(text, position, 'T');
  fields.tm_hour = Digits(text, position, 2);
  Expect(text, position, ':');
  fields.tm_min = Digits(text, position, 2);
  Expect(text, position, ':');
  fields.tm_sec = Digits(text, position, 2);
  std::string microseconds;
  if (position < text.size() && text[position] == '.') {
    ++position;
    while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position])))
      microseconds += text[position++];
    if (microseconds.empty() || microseconds.size() > 6)
      Malformed(text);
  }
  microseconds.resize(6, '0');
  if (position >= text.size() || (text[position] != '+' && text[position] != '-'))
    Malformed(text);
  const int sign = text[position++] == '+' ? 1 : -1;
  long offset_seconds = Digits(text, position, 2) * 3600L;
  if (position < text.size()) {
    Expect(text, position, ':');
    offset_seconds += Digits(text, position, 2) * 60L;
  }
  if (position < text.size()) {
    Expect(text, position, ':');
    offset_seconds += Digits(text, position, 2);
  }
  if (position != text.size())
    Malformed(text);
  const std::time_t utc = timegm(&fields) - sign * offset_seconds;
  std::tm out{};
  gmtime_r(&utc, &out);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%sZ", out.tm_year + 1900,
                out.tm_mon + 1, out.tm_mday, out.tm_hour, out.tm_min, out.tm_sec, microseconds.c_str());
  return buffer;
}

}  // namespace inventory
