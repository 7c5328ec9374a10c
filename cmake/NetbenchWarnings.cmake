# Warnings as an INTERFACE target (after CLI11's cmake/CLI11Warnings.cmake):
# every netbench target links it privately; NETBENCH_WERROR makes them errors.
add_library(netbench_warnings INTERFACE)
target_compile_options(netbench_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
if(NETBENCH_WERROR)
  target_compile_options(netbench_warnings INTERFACE -Werror)
endif()
