# scalestudy::options: the C++ standard, warnings and sanitizers every project target links privately.
add_library(scalestudy_options INTERFACE)
add_library(scalestudy::options ALIAS scalestudy_options)
target_compile_features(scalestudy_options INTERFACE cxx_std_20)
target_compile_options(scalestudy_options INTERFACE
  $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion>
  $<$<AND:$<BOOL:${SCALESTUDY_WERROR}>,$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>>:-Werror>)
if(SCALESTUDY_SANITIZE)
  target_compile_options(scalestudy_options INTERFACE
    -fsanitize=${SCALESTUDY_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(scalestudy_options INTERFACE -fsanitize=${SCALESTUDY_SANITIZE})
endif()
