# Installs the programs and exports scalestudy::* so other projects can find_package(scalestudy).
include(CMakePackageConfigHelpers)
install(TARGETS scalestudy scalestudy-rank RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT scalestudyTargets NAMESPACE scalestudy::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scalestudy)
configure_package_config_file(cmake/scalestudyConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/scalestudyConfig.cmake"
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scalestudy)
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/scalestudyConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
# The config finds hiredis with our FindHiredis.cmake and corrects Debian's Kokkos target as the
# build does, so both go beside it.
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/scalestudyConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/scalestudyConfigVersion.cmake"
              cmake/FindHiredis.cmake cmake/FixDebianKokkos.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scalestudy)
