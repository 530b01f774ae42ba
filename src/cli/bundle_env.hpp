#pragma once

namespace maildog::cli {

// Undoes what the portable tarball's launcher (packaging/launcher/launcher.c) did to the
// environment, once glibc has read it: the launcher points GCONV_PATH at the bundled gconv
// modules, and the apps and services maildog-ci starts must see the user's own value, since
// their glibc is the host's. A no-op when maildog-ci was not started by the launcher.
void restore_launcher_environment();

}  // namespace maildog::cli
