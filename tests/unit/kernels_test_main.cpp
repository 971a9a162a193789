// The kernel tests' main: starts the kernel runtime (Kokkos, when built) once around every test.
#include <gtest/gtest.h>

#include "kernels/runtime.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const scalestudy::kernels::Runtime runtime;
  return RUN_ALL_TESTS();
}
