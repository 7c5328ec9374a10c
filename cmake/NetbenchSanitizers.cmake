# NETBENCH_SANITIZE applies to every target of the build (core, app, tests).
# -g1 (line tables) is all a sanitizer's stack trace needs, and compiles
# about a sixth faster than full debug information.
if(NETBENCH_SANITIZE)
  set(_nb_san_flags -fsanitize=${NETBENCH_SANITIZE} -fno-omit-frame-pointer -g1)
  if(NETBENCH_SANITIZE MATCHES "undefined")
    list(APPEND _nb_san_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${_nb_san_flags})
  add_link_options(-fsanitize=${NETBENCH_SANITIZE})
endif()
