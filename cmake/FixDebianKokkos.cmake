# Debian's Kokkos 3.4 (Trilinos 13.2) exports Kokkos::kokkos with the include directory
# "/usr/lib/include", which does not exist; its headers live in /usr/include/trilinos.
# This is the one place that corrects it; a user's own Kokkos install is left untouched.
if(TARGET Kokkos::kokkos)
  get_target_property(_scalestudy_kokkos_includes Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
  if(_scalestudy_kokkos_includes)
    set(_scalestudy_fixed_includes "")
    foreach(_dir IN LISTS _scalestudy_kokkos_includes)
      if(NOT EXISTS "${_dir}" AND EXISTS "/usr/include/trilinos/Kokkos_Core.hpp")
        message(STATUS "Kokkos: replacing missing include directory ${_dir} with /usr/include/trilinos")
        list(APPEND _scalestudy_fixed_includes "/usr/include/trilinos")
      else()
        list(APPEND _scalestudy_fixed_includes "${_dir}")
      endif()
    endforeach()
    list(REMOVE_DUPLICATES _scalestudy_fixed_includes)
    set_target_properties(Kokkos::kokkos PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${_scalestudy_fixed_includes}")
  endif()
endif()
