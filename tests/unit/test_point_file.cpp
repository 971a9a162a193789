// Point files: values, and messages with file:line:column for every mistake.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "study/point_file.hpp"

namespace scalestudy::study {
namespace {

std::string error_of(const std::string& text) {
  core::Parameters params;
  try {
    apply_point_text(text, "point.yaml", params);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(PointFile, SetsEveryKey) {
  core::Parameters params;
  apply_point_text("workload: throughput\ntensor_bytes: 64KiB\nverify: true\n", "p", params);
  EXPECT_EQ(params.integer("tensor_bytes"), 65536);
  EXPECT_TRUE(params.boolean("verify"));
  EXPECT_EQ(params.entry("verify").origin, "p:3:1");
}

TEST(PointFile, EmptyFileSetsNothing) {
  core::Parameters params;
  apply_point_text("", "p", params);
  EXPECT_FALSE(params.is_explicit("iterations"));
}

TEST(PointFile, UnknownKeyHasLineColumnAndSuggestion) {
  const std::string message = error_of("iterations: 10\n  \ntensor_byte: 4\n");
  EXPECT_NE(message.find("point.yaml:3:1: unknown parameter 'tensor_byte'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("did you mean 'tensor_bytes'"), std::string::npos) << message;
}

TEST(PointFile, ListValueBelongsInAStudy) {
  const std::string message = error_of("tensor_bytes: [1024, 2048]\n");
  EXPECT_NE(message.find("point.yaml:1:15"), std::string::npos) << message;
  EXPECT_NE(message.find("study files"), std::string::npos) << message;
}

TEST(PointFile, SyntaxErrorHasLine) {
  const std::string message = error_of("iterations: 10\nverify: [true\n");
  EXPECT_NE(message.find("point.yaml:3"), std::string::npos) << message;
  EXPECT_NE(message.find("YAML syntax error"), std::string::npos) << message;
}

TEST(PointFile, BadValueNamesTheKeyAndPlace) {
  const std::string message = error_of("\n\niterations: -3\n");
  EXPECT_NE(message.find("point.yaml:3:1: iterations: '-3' is out of range"), std::string::npos)
      << message;
}

TEST(PointFile, MissingFileSaysSo) {
  core::Parameters params;
  try {
    apply_point_file("/nonexistent/point.yaml", params);
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/point.yaml: cannot read point file"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace scalestudy::study
