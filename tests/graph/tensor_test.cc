#include <catch2/catch.hpp>

#include "axon/tensor.h"

using namespace axon;

TEST_CASE("a view of a null pointer is refused unless the shape is empty", "[graph][tensor]") {
  const float* null_f32 = nullptr;
  int64_t* null_i64 = nullptr;
  CHECK_THROWS_WITH(Tensor::View(null_f32, {2, 3}), Catch::Contains("null pointer") && Catch::Contains("[2,3]"));
  CHECK_THROWS_AS(Tensor::View(null_i64, {1}), Error);
  CHECK_THROWS_AS(Tensor::View(null_f32, {}), Error);  // a scalar has one element
  const Tensor empty = Tensor::View(null_f32, {0, 3});
  CHECK(empty.size() == 0);
  CHECK(empty.shape() == std::vector<int64_t>{0, 3});
  CHECK(Tensor::View(null_i64, {4, 0}).size() == 0);
}

TEST_CASE("a view of misaligned data is refused", "[graph][tensor]") {
  alignas(8) unsigned char bytes[64] = {};
  CHECK_THROWS_WITH(Tensor::View(reinterpret_cast<const float*>(bytes + 1), {2}), Catch::Contains("not a multiple of 4"));
  CHECK_THROWS_WITH(Tensor::View(reinterpret_cast<int64_t*>(bytes + 4), {2}), Catch::Contains("not a multiple of 8"));
  CHECK(Tensor::View(reinterpret_cast<const float*>(bytes + 4), {2}).size() == 2);
  CHECK(Tensor::View(reinterpret_cast<uint8_t*>(bytes + 3), {5}).size() == 5);
}
