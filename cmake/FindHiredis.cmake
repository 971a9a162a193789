# Finds hiredis (Debian: libhiredis-dev), which ships no CMake package of its own in 0.14, and
# provides the imported target Hiredis::hiredis. Headers are included as <hiredis/hiredis.h>.
#   Hiredis_FOUND, Hiredis_VERSION, Hiredis_INCLUDE_DIR, Hiredis_LIBRARY
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_Hiredis QUIET hiredis)
endif()

# pkg-config names <prefix>/include/hiredis; our includes want its parent.
set(_hiredis_hints)
foreach(_dir IN LISTS PC_Hiredis_INCLUDE_DIRS)
  get_filename_component(_parent "${_dir}" DIRECTORY)
  list(APPEND _hiredis_hints "${_dir}" "${_parent}")
endforeach()
find_path(Hiredis_INCLUDE_DIR NAMES hiredis/hiredis.h HINTS ${_hiredis_hints})
find_library(Hiredis_LIBRARY NAMES hiredis HINTS ${PC_Hiredis_LIBRARY_DIRS})

if(Hiredis_INCLUDE_DIR AND EXISTS "${Hiredis_INCLUDE_DIR}/hiredis/hiredis.h")
  file(STRINGS "${Hiredis_INCLUDE_DIR}/hiredis/hiredis.h" _hiredis_version_lines
       REGEX "^#define HIREDIS_(MAJOR|MINOR|PATCH) [0-9]+")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*#define HIREDIS_${_part} ([0-9]+).*" "\\1" _hiredis_${_part}
           "${_hiredis_version_lines}")
  endforeach()
  set(Hiredis_VERSION "${_hiredis_MAJOR}.${_hiredis_MINOR}.${_hiredis_PATCH}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Hiredis
  REQUIRED_VARS Hiredis_LIBRARY Hiredis_INCLUDE_DIR
  VERSION_VAR Hiredis_VERSION)

if(Hiredis_FOUND AND NOT TARGET Hiredis::hiredis)
  add_library(Hiredis::hiredis UNKNOWN IMPORTED)
  set_target_properties(Hiredis::hiredis PROPERTIES
    IMPORTED_LOCATION "${Hiredis_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Hiredis_INCLUDE_DIR}")
endif()
mark_as_advanced(Hiredis_INCLUDE_DIR Hiredis_LIBRARY)
