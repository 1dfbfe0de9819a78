// Embedding Axon: load a model, list its inputs, run it once on ones, print the first output.
// Usage: embed MODEL.axon (for instance the xor.axon that `axon demo` saves).
#include <axon/axon.h>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL.axon\n", argv[0]);
    return 2;
  }
  try {
    axon::Session s = axon::Session::Load(argv[1], {.threads = 2});
    for (const auto& in : s.inputs()) std::puts(in.ToString().c_str());  // "x: f32[batch,2]"
    // The first input, all ones; unknown dims (such as batch) are given 4.
    const axon::TensorInfo& in = s.inputs().at(0);
    std::vector<int64_t> shape;
    for (int64_t d : in.shape) shape.push_back(d >= 0 ? d : 4);
    std::vector<float> data(axon::ElementCount(shape), 1.0f);
    std::vector<axon::Tensor> out = s.Run({{in.name, axon::Tensor::View(data.data(), shape)}});
    const float* y = out[0].data<float>();
    std::printf("%s%s, first value %g\n", s.outputs()[0].name.c_str(), axon::ShapeToString(out[0].shape()).c_str(),
                out[0].size() > 0 ? y[0] : 0.0f);
  } catch (const axon::Error& e) {  // one line naming the file, node, op and shapes
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
