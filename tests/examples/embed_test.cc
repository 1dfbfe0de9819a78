// examples/embed/embed.cc: the README shows it verbatim, and it runs on the model `axon demo` saves,
// linked with libaxon.so and, statically, with libaxon.a (whose ops and kernels must all register).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  REQUIRE(f.good());
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST_CASE("the README's embedding code is examples/embed/embed.cc", "[examples]") {
  const std::string readme = Slurp(fs::path(AXON_SOURCE_DIR) / "README.md");
  const std::size_t section = readme.find("## Embedding");
  REQUIRE(section != std::string::npos);
  const std::string open = "```cpp\n";
  const std::size_t begin = readme.find(open, section);
  REQUIRE(begin != std::string::npos);
  const std::size_t end = readme.find("```\n", begin + open.size());
  REQUIRE(end != std::string::npos);
  CHECK(readme.substr(begin + open.size(), end - begin - open.size()) ==
        Slurp(fs::path(AXON_SOURCE_DIR) / "examples" / "embed" / "embed.cc"));
}

TEST_CASE("the embedding example runs the demo's model", "[examples]") {
  const std::string example = GENERATE(as<std::string>{}, AXON_EMBED_EXAMPLE_PATH, AXON_EMBED_STATIC_EXAMPLE_PATH);
  INFO(example);
  const fs::path dir = fs::temp_directory_path() / ("axon_embed_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string cd = "cd '" + dir.string() + "' && ";
  REQUIRE(std::system((cd + "'" + AXON_CLI_PATH + "' demo >/dev/null").c_str()) == 0);
  const int status = std::system((cd + "'" + example + "' xor.axon >out.txt 2>&1").c_str());
  const std::string out = Slurp(dir / "out.txt");
  INFO(out);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(out.find("x: f32[batch,2]\n") != std::string::npos);
  // The demo's network is trained on XOR: for inputs (1, 1) it answers near 0 (its mean squared
  // error is below 0.01, so no answer is off by 0.2).
  const std::string marker = "y[4,1], first value ";
  const std::size_t at = out.find(marker);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(out.substr(at + marker.size())) < 0.2);
  const int missing = std::system((cd + "'" + example + "' nothere.axon >out.txt 2>&1").c_str());
  CHECK((WIFEXITED(missing) && WEXITSTATUS(missing) == 1));
  CHECK(Slurp(dir / "out.txt").find("nothere.axon: cannot open") != std::string::npos);
  fs::remove_all(dir);
}
