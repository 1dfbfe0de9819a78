#include "tools/output_names.h"

#include <cstdio>

namespace axon::cli {

std::string FileNameFor(const std::string& value_name) {
  std::string s;
  for (char c : value_name) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (s.empty() || s[0] == '.') s = "_" + s;
  return s;
}

std::string PreviewValues(const Tensor& t, int64_t max_elements) {
  if (t.size() > max_elements) return "";
  std::string s = "[";
  char buf[32];
  for (int64_t i = 0; i < t.size(); ++i) {
    if (t.dtype() == DType::kF32) std::snprintf(buf, sizeof buf, "%.6g", t.data<float>()[i]);
    else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t.data<int64_t>()[i]));
    s += (i ? ", " : "") + std::string(buf);
  }
  return s + "]";
}

}  // namespace axon::cli
