// CRC-32C (Castagnoli, as iSCSI, ext4 and LevelDB use it): the integrity check of a checkpoint
// (docs/format.md, TrainingState.checksum). Internal to formats/.
#pragma once

#include <cstddef>
#include <cstdint>

namespace axon::formats::internal {

// The CRC-32C of size bytes (reflected, initial value and final xor 0xFFFFFFFF): "123456789" gives
// 0xE3069283. SSE4.2's crc32 instruction where the CPU has it, a table otherwise; the same result.
uint32_t Crc32c(const void* data, std::size_t size);
// The table path alone, whatever the CPU: for tests that both paths agree.
uint32_t Crc32cPortable(const void* data, std::size_t size);

}  // namespace axon::formats::internal
