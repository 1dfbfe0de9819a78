// Helpers shared by subcommands that print or save tensors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "axon/tensor.h"

namespace axon::cli {

// A value name made safe as a file name ("Sigmoid_3:0" -> "Sigmoid_3_0"): every byte other than an
// ASCII letter, digit, '.', '-' or '_' becomes '_', and a name that is empty or starts with '.'
// gets a leading '_'.
std::string FileNameFor(const std::string& value_name);
// One file name (without extension) per value name, all different. A name that is already safe
// keeps exactly its own ("a_b" -> "a_b"); a name that had to change takes the first of
// FileNameFor(name), then _2, _3, ... appended, that is no other name's file.
std::vector<std::string> FileNamesFor(const std::vector<std::string>& value_names);
// Text from a model file made safe to print on one terminal line: control characters (C0, DEL
// and UTF-8 encoded C1, which terminals may obey as escape sequences) become \xNN.
std::string Escaped(std::string_view text);
// text as one shell word: unchanged when it needs no quoting, else in single quotes.
std::string ShellQuoted(std::string_view text);
// 1234567 -> "1.23M": K, M, G, T in powers of 1000, two decimals ("512" below 1000).
std::string HumanCount(double n);
// "[0.5, 0.25, ...]" for small tensors, "" for large ones.
std::string PreviewValues(const Tensor& t, int64_t max_elements = 16);
// True if a and b name one file: the same device and inode when both exist, else the same
// canonical directory and name (so that "x" and "./x" match before either is written).
bool SameFile(const std::string& a, const std::string& b);
// Throws axon::Error (kIo, naming target) unless a file can be written at target the way model
// files are (a new file beside it, then renamed over it): so that a command checks where its
// results go before the work it would waste.
void CheckWritableTarget(const std::string& target);

}  // namespace axon::cli
