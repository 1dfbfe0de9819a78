// Reading and writing numpy .npy tensor files (the subset Axon's tensors need; docs/format.md).
//
// Read: format versions 1.0, 2.0 and 3.0; dtypes '<f4' (float32) and '<i8' (int64); C order
// (fortran_order True is accepted only where the layouts coincide: at most one dim > 1);
// any rank up to 64, 0-d scalars and zero-size shapes. Anything else is a clear axon::Error
// whose message starts with the file name: kUnsupported for valid numpy files Axon does not
// read (other dtypes, big-endian, Fortran order, structured dtypes), kInvalidFile for a
// broken file (bad magic, malformed header, truncated or over-long data), kIo when the OS
// refuses.
//
// Write: version 1.0 (with at most 64 dims the header never needs 2.0), header padded with
// spaces so the data starts at a multiple of 64 bytes, C order, little-endian; what numpy.save
// writes for the same array (byte for byte, for small shapes), and what numpy.load reads.
#pragma once

#include <cstddef>
#include <string>

#include "axon/tensor.h"
#include "formats/file_batch.h"

namespace axon::formats {

Tensor ReadNpyFile(const std::string& path);
// `origin` names the bytes in error messages (a path, or e.g. "<memory>").
Tensor ParseNpy(const void* data, std::size_t size, const std::string& origin);
void WriteNpyFile(const std::string& path, const Tensor& tensor);
// Writes the file into batch: it appears at path when the batch is committed.
void StageNpyFile(FileBatch& batch, const std::string& path, const Tensor& tensor);
std::string SerializeNpy(const Tensor& tensor);

}  // namespace axon::formats
