# Script mode: installs the build into a fresh prefix, builds tests/install (a project of its
# own) against it with find_package(scalestudy), runs it on two ranks, and checks its results
# and that it found the libtorch plugin and the models in the prefix, beside the installed
# library; nothing installed may point into the build tree.
#   -DBUILD_DIR= -DSOURCE_DIR= -DWORK_DIR= -DGENERATOR= -DMPIEXEC= -DWITH_TORCH=ON|OFF
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

# Relocatable: no installed file names the build tree (the programs, the libraries, the CMake
# package).
execute_process(COMMAND grep -rlF "${BUILD_DIR}" "${prefix}" OUTPUT_VARIABLE pointing)
if(pointing)
  message(FATAL_ERROR "installed files that point into the build tree:\n${pointing}")
endif()

run("configuring the consumer" ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/install"
    -B "${WORK_DIR}/consumer" -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_PREFIX_PATH=${prefix}")
run("building the consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")

file(MAKE_DIRECTORY "${WORK_DIR}/out")
set(torch 0)
if(WITH_TORCH)
  set(torch 1)
endif()
run("running the consumer" "${MPIEXEC}" -n 2 --oversubscribe
    "${WORK_DIR}/consumer/scalestudy_consumer" "${WORK_DIR}/out" ${torch})
message(STATUS "consumer:\n${output}")

set(expected "throughput.h5")
if(WITH_TORCH)
  list(APPEND expected "inference.h5")
  string(FIND "${output}" "torch plugin: ${prefix}/lib" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the plugin was not looked for in ${prefix}/lib")
  endif()
endif()
foreach(file IN LISTS expected)
  if(NOT EXISTS "${WORK_DIR}/out/${file}")
    message(FATAL_ERROR "the consumer wrote no ${file}")
  endif()
endforeach()
string(FIND "${output}" "models directory: ${prefix}/share/scalestudy/models" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the models were not found in ${prefix}/share/scalestudy/models")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")  # the models alone are 140 MB
