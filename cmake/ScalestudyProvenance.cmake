# Regenerates build_info.cpp (git SHA, dirty flag, compiler) at every build, touching it only
# when its content changes, so provenance is never stale and rebuilds stay incremental.
set(SCALESTUDY_BUILD_INFO_CPP "${CMAKE_BINARY_DIR}/generated/build_info.cpp")
add_custom_target(scalestudy_build_info ALL
  COMMAND "${CMAKE_COMMAND}"
          -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
          -DOUTPUT=${SCALESTUDY_BUILD_INFO_CPP}
          -DVERSION=${PROJECT_VERSION}
          -DCOMPILER=${CMAKE_CXX_COMPILER_ID}\ ${CMAKE_CXX_COMPILER_VERSION}
          -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
          -P "${CMAKE_SOURCE_DIR}/cmake/write_build_info.cmake"
  BYPRODUCTS "${SCALESTUDY_BUILD_INFO_CPP}"
  COMMENT "Recording git state for provenance"
  VERBATIM)
