// Shape inference of BatchNormalization's training mode and of BatchNormalizationGrad.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;
using axon::graph::testing::InferOpOutputs;

TEST_CASE("BatchNormalization training_mode=1 outputs Y and the per-channel running statistics", "[graph][infer][infer:BatchNormalization]") {
  const Dim batch = Dim::Symbol("batch");
  const auto out = InferOpOutputs("BatchNormalization", {F32({batch, 4, 5, 5}), F32({4}), F32({4}), F32({4}), F32({4})}, 3,
                                  {{"training_mode", int64_t{1}}});
  REQUIRE(out.size() == 3);
  CHECK(out[0].shape == Shape({batch, 4, 5, 5}));
  CHECK(out[1].shape == Shape({4}));
  CHECK(out[2].shape == Shape({4}));
  CHECK_THROWS_WITH(InferOp("BatchNormalization", {F32({2, 4}), F32({4}), F32({4}), F32({4}), F32({4})},
                            {{"training_mode", int64_t{2}}}),
                    Catch::Contains("training_mode must be 0 or 1"));
  CHECK_THROWS_WITH(InferOpOutputs("BatchNormalization", {F32({2, 4}), F32({4}), F32({4}), F32({4}), F32({4})}, 3),
                    Catch::Contains("outputs of training mode only"));
}

TEST_CASE("BatchNormalizationGrad: dX like X, dScale and dB like scale", "[graph][infer][infer:BatchNormalizationGrad]") {
  const Dim batch = Dim::Symbol("batch");
  const auto out = InferOpOutputs("BatchNormalizationGrad", {F32({batch, 3, 8}), F32({batch, 3, 8}), F32({3})}, 3);
  REQUIRE(out.size() == 3);
  CHECK(out[0].shape == Shape({batch, 3, 8}));
  CHECK(out[1].shape == Shape({3}));
  CHECK(out[2].shape == Shape({3}));
  CHECK_THROWS_WITH(InferOpOutputs("BatchNormalizationGrad", {F32({2, 3}), F32({2, 4}), F32({3})}, 3),
                    Catch::Contains("must have one shape"));
  CHECK_THROWS_WITH(InferOpOutputs("BatchNormalizationGrad", {F32({2, 3}), F32({2, 3}), F32({4})}, 3),
                    Catch::Contains("4 entries for 3 channels"));
  CHECK_THROWS_WITH(InferOpOutputs("BatchNormalizationGrad", {F32({3}), F32({3}), F32({3})}, 3), Catch::Contains("rank >= 2"));
  CHECK_THROWS_WITH(InferOpOutputs("BatchNormalizationGrad", {F32({2, 3}), I64({2, 3}), F32({3})}, 3), Catch::Contains("must be f32"));
}
