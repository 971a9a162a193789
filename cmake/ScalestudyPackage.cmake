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
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/scalestudyConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/scalestudyConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scalestudy)
