// The parameter schema: defaults, parsing, validation messages with suggestions.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "core/parameters.hpp"
#include "store/backend.hpp"
#include "workloads/workload.hpp"

namespace scalestudy::core {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Parameters, EveryKeyHasAValidDefault) {
  const Parameters params;
  EXPECT_EQ(params.entries().size(), parameter_schema().size());
  for (const auto& spec : parameter_schema()) {
    EXPECT_FALSE(params.is_explicit(spec.name)) << spec.name;
    EXPECT_FALSE(spec.help.empty()) << spec.name;
  }
  EXPECT_EQ(params.text("workload"), "throughput");
  EXPECT_EQ(params.integer("tensor_bytes"), 1024);
  EXPECT_EQ(params.integer("iterations"), 100);
  EXPECT_FALSE(params.boolean("verify"));
}

TEST(Parameters, EachPartDeclaresItsKeysOnceAndEveryKeyOnce) {
  // Parts declare their sections beside their code; a key declared by two of them would leave
  // one declaration silently unused.
  std::set<std::string_view> names;
  for (const auto& spec : parameter_schema()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name << " is declared twice";
    EXPECT_FALSE(spec.group.empty()) << spec.name;
  }
}

TEST(Parameters, ChoicesNameEveryBuiltInWorkloadAndBackend) {
  const ParamSpec* workload = find_parameter("workload");
  ASSERT_NE(workload, nullptr);
  EXPECT_EQ(workload->choices.size(), workloads::workloads().size());
  for (const auto& entry : workloads::workloads()) {
    EXPECT_NE(std::find(workload->choices.begin(), workload->choices.end(), entry.name),
              workload->choices.end())
        << entry.name;
  }
  const ParamSpec* backend = find_parameter("backend");
  ASSERT_NE(backend, nullptr);
  for (const auto& choice : backend->choices) EXPECT_NO_THROW(store::find_backend(choice));
}

TEST(Parameters, ByteCountsAcceptUnits) {
  EXPECT_EQ(parse_bytes("1024"), 1024);
  EXPECT_EQ(parse_bytes("64KiB"), 65536);
  EXPECT_EQ(parse_bytes("64 KiB"), 65536);
  EXPECT_EQ(parse_bytes("1MiB"), 1 << 20);
  EXPECT_EQ(parse_bytes("1M"), 1 << 20);
  EXPECT_EQ(parse_bytes("2GiB"), std::int64_t{2} << 30);
  EXPECT_EQ(parse_bytes("1MB"), 1000000);
  EXPECT_EQ(parse_bytes("1.5KiB"), 1536);
  EXPECT_EQ(parse_bytes("0"), 0);
  EXPECT_THROW(parse_bytes("12XB"), ConfigError);
  EXPECT_THROW(parse_bytes("KiB"), ConfigError);
  EXPECT_THROW(parse_bytes("1.3"), ConfigError);
  EXPECT_THROW(parse_bytes("-1"), ConfigError);
}

TEST(Parameters, SetParsesAndRemembersOrigin) {
  Parameters params;
  params.set("tensor_bytes", "1MiB", "--tensor_bytes");
  params.set("verify", "yes", "point.yaml:2:1");
  params.set("deployment", "colocated", "point.yaml:3:1");
  EXPECT_EQ(params.integer("tensor_bytes"), 1 << 20);
  EXPECT_TRUE(params.boolean("verify"));
  EXPECT_TRUE(params.is_explicit("verify"));
  EXPECT_EQ(params.entry("verify").origin, "point.yaml:2:1");
  EXPECT_EQ(params.text("deployment"), "colocated");
}

TEST(Parameters, UnknownKeySuggestsTheClosestOne) {
  Parameters params;
  const std::string message = error_of([&] { params.set("iteration", "5", "p.yaml:4:1"); });
  EXPECT_NE(message.find("p.yaml:4:1"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown parameter 'iteration'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'iterations'"), std::string::npos) << message;
  const std::string far = error_of([&] { params.set("zzzzzzzz", "5", "--x"); });
  EXPECT_NE(far.find("--help"), std::string::npos) << far;
}

TEST(Parameters, BadValuesSayWhatWasExpected) {
  Parameters params;
  EXPECT_NE(error_of([&] {
              params.set("deployment", "colocate", "f:1:1");
            }).find("did you mean 'colocated'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { params.set("iterations", "0", "f:1:1"); }).find("at least 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { params.set("iterations", "ten", "f:1:1"); }).find("whole number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { params.set("verify", "maybe", "f:1:1"); }).find("true or false"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              params.set("mpi_inline_bytes", "1MiB", "f:1:1");
            }).find("between 0 and 65536"),
            std::string::npos);
}

TEST(Parameters, YamlIsSortedAndStable) {
  Parameters a;
  Parameters b;
  a.set("iterations", "7", "x");
  b.set("iterations", "7", "y");
  EXPECT_EQ(a.to_yaml(), b.to_yaml());
  const std::string yaml = a.to_yaml();
  EXPECT_NE(yaml.find("iterations: 7\n"), std::string::npos);
  EXPECT_LT(yaml.find("backend:"), yaml.find("workload:"));
}

}  // namespace
}  // namespace scalestudy::core
