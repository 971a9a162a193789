# Script mode: fails listing every C++ file whose formatting differs from .clang-format.
file(GLOB_RECURSE files
  "${SOURCE_DIR}/src/*.cpp" "${SOURCE_DIR}/src/*.hpp"
  "${SOURCE_DIR}/tests/*.cpp" "${SOURCE_DIR}/tests/*.hpp"
  "${SOURCE_DIR}/kernels/*.cpp" "${SOURCE_DIR}/kernels/*.hpp")
set(bad "")
foreach(file IN LISTS files)
  execute_process(COMMAND "${CLANG_FORMAT}" --dry-run --Werror "${file}"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${file}")
    list(APPEND bad "${rel}")
  endif()
endforeach()
if(bad)
  list(JOIN bad "\n  " listed)
  message(FATAL_ERROR "not formatted (run scripts/format):\n  ${listed}")
endif()
list(LENGTH files n)
message(STATUS "${n} files formatted as .clang-format says")
