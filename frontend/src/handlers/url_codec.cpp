// url_codec.cpp: RFC 3986 percent-decoding, kept strict so a bad escape is a 400, never a guess.
#include "handlers/url_codec.h"

#include <cctype>

namespace inventory {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(const std::string& text, bool form) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size())
        return std::nullopt;
      const int high = HexDigit(text[i + 1]);
      const int low = HexDigit(text[i + 2]);
      if (high < 0 || low < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (form && c == '+') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> SplitPath(const std::string& raw_path) {
  std::vector<std::string> segments;
  std::size_t start = raw_path.empty() || raw_path[0] != '/' ? 0 : 1;
  while (true) {
    const auto slash = raw_path.find('/', start);
    segments.push_back(
        raw_path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos)
      break;
    start = slash + 1;
  }
  return segments;
}

std::string MediaTypeOf(const std::string& content_type_header) {
  std::string media_type = content_type_header.substr(0, content_type_header.find(';'));
  while (!media_type.empty() && std::isspace(static_cast<unsigned char>(media_type.back())))
    media_type.pop_back();
  std::size_t first = 0;
  while (first < media_type.size() && std::isspace(static_cast<unsigned char>(media_type[first])))
    ++first;
  media_type = media_type.substr(first);
  for (auto& c : media_type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media_type;
}

}  // namespace inventory
