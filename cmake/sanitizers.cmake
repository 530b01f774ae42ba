# ASan+UBSan for the `asan` preset; applied to every target so the library and tests agree.
if(MAILDOG_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
