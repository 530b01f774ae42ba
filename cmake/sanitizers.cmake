# ASan+UBSan for the `asan` preset, TSan for the `tsan` preset; applied to every target so the
# library and tests agree.
if(MAILDOG_SANITIZE AND MAILDOG_SANITIZE_THREAD)
  message(FATAL_ERROR "MAILDOG_SANITIZE and MAILDOG_SANITIZE_THREAD cannot be combined")
endif()
if(MAILDOG_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    # clang 14 cannot emit -fsanitize=function checks for the Asio coroutines of smtp/session.cpp
    # and smtp/server.cpp ("Cannot represent a difference across sections").
    add_compile_options(-fno-sanitize=function)
  endif()
endif()
if(MAILDOG_SANITIZE_THREAD)
  # -O1: unoptimised code under TSan is too slow for the integration tests' deadlines.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -O1)
  # TSan does not model std::atomic_thread_fence (gcc's -Wtsan); Asio's handler fences only
  # duplicate the ordering its scheduler's mutex already gives, which TSan does see.
  add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
  add_link_options(-fsanitize=thread)
endif()
