# Warnings as an INTERFACE target (after CLI11's cmake/CLI11Warnings.cmake):
# every netbench target links it privately; NETBENCH_WERROR makes them errors.
add_library(netbench_warnings INTERFACE)
target_compile_options(netbench_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
# GCC 12 reports -Wrestrict false positives from inside libstdc++'s
# std::string at -O2 and above (GCC bug 105651, fixed in GCC 13): pages of
# them on a fresh release build, none about netbench's code. Off for GCC 12
# only; every other warning stays on (and an error under NETBENCH_WERROR).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(netbench_warnings INTERFACE -Wno-restrict)
endif()
if(NETBENCH_WERROR)
  target_compile_options(netbench_warnings INTERFACE -Werror)
endif()
