# Finds every third-party dependency once; system-package quirks are corrected in cmake/Fix*.cmake.
find_package(Threads REQUIRED)
find_package(MPI 3.1 REQUIRED COMPONENTS C)
set_package_properties(MPI PROPERTIES TYPE REQUIRED PURPOSE "database and client ranks")

find_package(OpenMP REQUIRED COMPONENTS CXX)

set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 1.10 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "scalestudy needs a parallel HDF5 build (Debian: libhdf5-openmpi-dev); "
                      "found a serial one at ${HDF5_INCLUDE_DIRS}")
endif()
set_package_properties(HDF5 PROPERTIES TYPE REQUIRED PURPOSE "results files, written collectively")

find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)

# The project's scripts and tests use the system interpreter, which sees Debian's Python packages.
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "Python interpreter with h5py and numpy")
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter OPTIONAL_COMPONENTS Development.Module)

if(SCALESTUDY_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SCALESTUDY_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

set(SCALESTUDY_HAVE_TORCH OFF)
if(SCALESTUDY_ENABLE_TORCH)
  find_package(Torch QUIET)
  if(Torch_FOUND)
    set(SCALESTUDY_HAVE_TORCH ON)
  endif()
endif()
add_feature_info(torch SCALESTUDY_HAVE_TORCH "TorchScript models and scripts on database ranks")

set(SCALESTUDY_HAVE_KOKKOS OFF)
if(SCALESTUDY_ENABLE_KOKKOS)
  find_package(Kokkos QUIET)
  if(Kokkos_FOUND)
    include(FixDebianKokkos)
    set(SCALESTUDY_HAVE_KOKKOS ON)
  endif()
endif()
add_feature_info(kokkos SCALESTUDY_HAVE_KOKKOS "Kokkos implementations of the compute kernels")

# The Python consumer (src/python): pybind11 (Debian's pybind11-dev) for that same interpreter;
# it is run through mpi4py (python3-mpi4py).
set(SCALESTUDY_HAVE_PYTHON OFF)
if(SCALESTUDY_ENABLE_PYTHON AND Python3_Development.Module_FOUND)
  find_package(pybind11 CONFIG QUIET)
  if(pybind11_FOUND)
    set(SCALESTUDY_HAVE_PYTHON ON)
  endif()
endif()
add_feature_info(python SCALESTUDY_HAVE_PYTHON "Python consumer ranks (pybind11 module scalestudy)")

set(SCALESTUDY_HAVE_REDIS OFF)
if(SCALESTUDY_ENABLE_REDIS)
  find_package(Hiredis)
  if(NOT Hiredis_FOUND)
    message(FATAL_ERROR "SCALESTUDY_ENABLE_REDIS needs hiredis: install libhiredis-dev (scripts/setup "
                        "does), or configure with -DSCALESTUDY_ENABLE_REDIS=OFF")
  endif()
  set_package_properties(Hiredis PROPERTIES TYPE OPTIONAL PURPOSE "client of the redis backend")
  find_program(REDIS_SERVER_EXECUTABLE redis-server PATHS /usr/bin /usr/sbin)
  if(NOT REDIS_SERVER_EXECUTABLE)
    message(WARNING "redis-server is not installed: the redis backend and its tests will fail to "
                    "start it (Debian: redis-server; scripts/setup installs it)")
  endif()
  set(SCALESTUDY_HAVE_REDIS ON)
endif()
add_feature_info(redis SCALESTUDY_HAVE_REDIS "redis backend: real redis-server shards, hiredis clients")
