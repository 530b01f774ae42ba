# libFuzzer targets (fuzz/) inside the ASan+UBSan build: every target gets coverage
# instrumentation, which the sanitizer runtime accepts in ordinary test executables too, so one
# clang build serves the test suite and the fuzzers.
if(MAILDOG_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR NOT MAILDOG_SANITIZE)
    message(FATAL_ERROR "MAILDOG_FUZZ needs clang and MAILDOG_SANITIZE (the `asan` preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
