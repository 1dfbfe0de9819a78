// Helpers shared by subcommands that print or save tensors.
#pragma once

#include <string>
#include <string_view>

#include "axon/tensor.h"

namespace axon::cli {

// A value name made safe as a file name ("Sigmoid_3:0" -> "Sigmoid_3_0").
std::string FileNameFor(const std::string& value_name);
// Text from a model file made safe to print on one terminal line: control characters (C0, DEL
// and UTF-8 encoded C1, which terminals may obey as escape sequences) become \xNN.
std::string Escaped(std::string_view text);
// text as one shell word: unchanged when it needs no quoting, else in single quotes.
std::string ShellQuoted(std::string_view text);
// "[0.5, 0.25, ...]" for small tensors, "" for large ones.
std::string PreviewValues(const Tensor& t, int64_t max_elements = 16);

}  // namespace axon::cli
