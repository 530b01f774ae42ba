# Warning flags as an INTERFACE target linked PRIVATE by every project target.
add_library(maildog_warnings INTERFACE)
target_compile_options(maildog_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                  -Wold-style-cast -Wformat=2 -Wimplicit-fallthrough)
if(MAILDOG_WERROR)
  target_compile_options(maildog_warnings INTERFACE -Werror)
endif()
