# What `cmake --install` puts beside the executable (src/cli installs bin/maildog-ci), and the
# Debian package CPack makes of it. The portable tarball (ci/package.sh) copies the installed
# share/ tree; ci/deb.sh runs cpack and lintian.
#   bin/maildog-ci
#   share/man/man1/maildog-ci.1.gz
#   share/bash-completion/completions/maildog-ci
#   share/zsh/vendor-completions/_maildog-ci
#   share/fish/vendor_completions.d/maildog-ci.fish
#   share/doc/maildog-ci/copyright        (machine-readable, Apache-2.0)
#   share/doc/maildog-ci/changelog.gz     (CHANGELOG.md as a Debian changelog, which lintian wants)
# tests/ci/install_tree.sh checks that the install holds exactly these files.
include(GNUInstallDirs)

set(maildog_packaging_dir ${PROJECT_SOURCE_DIR}/packaging)
set(maildog_generated_dir ${PROJECT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${maildog_generated_dir})
# Debian installs directories 0755 whatever the umask of the one who builds.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# Compressed at configure time (rerun when the sources change), so that installing works after
# building only the maildog-ci target. `gzip -9n`: Debian policy, and no name or time stamp in
# the header, so the package is reproducible.
find_program(MAILDOG_GZIP gzip REQUIRED)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${maildog_packaging_dir}/maildog-ci.1 ${PROJECT_SOURCE_DIR}/CHANGELOG.md
             ${maildog_packaging_dir}/debian-changelog.sh)
function(maildog_gzip input output)
  execute_process(COMMAND ${MAILDOG_GZIP} -9n -c ${input} OUTPUT_FILE ${output} RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "gzip -9n ${input} failed")
  endif()
endfunction()
# The man page names the project's version in its title line.
file(READ ${maildog_packaging_dir}/maildog-ci.1 man_page)
string(REGEX REPLACE "\"maildog-ci [0-9][^\"]*\"" "\"maildog-ci ${PROJECT_VERSION}\"" man_page "${man_page}")
file(WRITE ${maildog_generated_dir}/maildog-ci.1 "${man_page}")
maildog_gzip(${maildog_generated_dir}/maildog-ci.1 ${maildog_generated_dir}/maildog-ci.1.gz)
# A native package's changelog.gz is a Debian changelog (lintian parses it): CHANGELOG.md as one
# entry for this version (packaging/debian-changelog.sh).
set(MAILDOG_DEB_MAINTAINER "maildog-ci maintainers <maildog-ci@users.noreply.github.com>"
    CACHE STRING "Maintainer field of the Debian package and its changelog")
execute_process(COMMAND bash ${maildog_packaging_dir}/debian-changelog.sh ${PROJECT_NAME} ${PROJECT_VERSION}
                        ${MAILDOG_DEB_MAINTAINER} ${PROJECT_SOURCE_DIR}/CHANGELOG.md
                OUTPUT_VARIABLE changelog COMMAND_ERROR_IS_FATAL ANY)
file(WRITE ${maildog_generated_dir}/changelog "${changelog}")
maildog_gzip(${maildog_generated_dir}/changelog ${maildog_generated_dir}/changelog.gz)

# Full RELRO (lintian: hardening-no-bindnow): relocations resolved at start, the GOT read-only.
target_link_options(maildog-ci PRIVATE LINKER:-z,relro LINKER:-z,now)

install(FILES ${maildog_generated_dir}/maildog-ci.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${maildog_packaging_dir}/completions/maildog-ci.bash
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions RENAME maildog-ci)
install(FILES ${maildog_packaging_dir}/completions/_maildog-ci
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/vendor-completions)
install(FILES ${maildog_packaging_dir}/completions/maildog-ci.fish
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/fish/vendor_completions.d)
install(FILES ${maildog_packaging_dir}/copyright ${maildog_generated_dir}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${PROJECT_NAME})

# The .deb: `cpack --config BUILD_DIR/CPackConfig.cmake` (ci/deb.sh).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${PROJECT_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "maildog-ci")
set(CPACK_PACKAGE_CONTACT ${MAILDOG_DEB_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "reproduce SMTP rejections in a sandbox, for CI")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME ${PROJECT_NAME})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${MAILDOG_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE https://github.com/maildog-ci/maildog-ci)
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "maildog-ci reproduces the refusals of mail servers (550 5.1.1 unknown
user, 550 5.7.1 relaying denied, 451 4.7.1 greylisting, DMARC rejections
and more) on demand. A scenario file says how the mail server treats an
application; maildog-ci starts a strict sandbox SMTP server on loopback,
runs the application or a scripted SMTP conversation against it, records
every session, checks what must happen and writes console, JUnit XML,
JSON and HTML reports.
.
It also checks SPF, DKIM, DMARC, iprev and DNSBL on a message, makes DKIM
keys and signs messages, explains SMTP replies and bounces, and runs a
long-lived sandbox with an HTTP API and a web inspector.")
# Depends from dpkg-shlibdeps; architecture from dpkg --print-architecture (CPack's default).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
include(CPack)
