/* The portable tarball's bin/maildog-ci: a small static program that runs the real executable
 * (lib/maildog-ci/maildog-ci) with the glibc loader, libraries and gconv modules bundled beside
 * it, so the tarball needs nothing from the host but the Linux kernel.
 *
 * Why a launcher and not a static maildog-ci: Debian ships no static archives of libgpgme,
 * libunistring or libmount, which g_mime_init() pulls in, and a static glibc cannot load the
 * iconv (gconv) modules that MIME decoding needs. Why not a shell script: the tarball must run
 * in an empty root, where there is no /bin/sh. Why not an rpath: PT_INTERP (the loader) must be
 * an absolute path, so the bundled loader can only be reached by running it explicitly.
 *
 * The loader is run as `ld.so --library-path LIB --argv0 ARGV0 LIB/maildog-ci ARGS...`
 * (glibc 2.33+), so maildog-ci sees the user's argv[0] and no library from the host. GCONV_PATH
 * points at the bundled gconv modules; its previous value travels in MAILDOG_LAUNCHER_GCONV_PATH
 * and maildog-ci restores it at start-up (src/cli/bundle_env.cpp), so the apps it runs see the
 * environment the user gave. (GIO modules are never loaded: GMime does not ask for them.) */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where this launcher lives, as an absolute path. /proc may be missing (a bare chroot), so fall
 * back to argv[0]: a path, or a name looked up in PATH as the shell would have. */
static int find_self(const char* argv0, char* out, size_t size) {
  ssize_t length = readlink("/proc/self/exe", out, size - 1);
  if (length > 0) {
    out[length] = '\0';
    return 0;
  }
  if (strchr(argv0, '/') != NULL) return realpath(argv0, out) != NULL ? 0 : -1;
  const char* path = getenv("PATH");
  if (path == NULL) return -1;
  while (*path != '\0') {
    size_t dir_length = strcspn(path, ":");
    char candidate[PATH_MAX];
    if (dir_length + 1 + strlen(argv0) < sizeof candidate) {
      memcpy(candidate, path, dir_length);
      candidate[dir_length] = '\0';
      strcat(candidate, "/");
      strcat(candidate, argv0);
      if (access(candidate, X_OK) == 0 && realpath(candidate, out) != NULL) return 0;
    }
    path += dir_length;
    if (*path == ':') ++path;
  }
  return -1;
}

/* Cuts the last path component: "/a/b/c" becomes "/a/b". */
static void cut_last(char* path) {
  char* slash = strrchr(path, '/');
  if (slash == NULL) return;
  if (slash == path)
    slash[1] = '\0';
  else
    *slash = '\0';
}

/* Points VARIABLE at VALUE and keeps its previous value (if any) in MAILDOG_LAUNCHER_VARIABLE. */
static int redirect(const char* variable, const char* value) {
  char saved_name[64];
  snprintf(saved_name, sizeof saved_name, "MAILDOG_LAUNCHER_%s", variable);
  const char* previous = getenv(variable);
  if (previous != NULL && setenv(saved_name, previous, 1) != 0) return -1;
  return setenv(variable, value, 1);
}

int main(int argc, char** argv) {
  const char* argv0 = argc > 0 ? argv[0] : "maildog-ci";
  char root[PATH_MAX];
  if (find_self(argv0, root, sizeof root) != 0) {
    fprintf(stderr, "maildog-ci: cannot find where the launcher %s lives (no /proc, not in PATH)\n", argv0);
    return 3;
  }
  cut_last(root); /* .../bin/maildog-ci -> .../bin */
  cut_last(root); /* .../bin -> the tarball's folder */

  char lib[PATH_MAX], loader[PATH_MAX], program[PATH_MAX], gconv[PATH_MAX];
  int too_long = snprintf(lib, sizeof lib, "%s/lib/maildog-ci", root) >= (int)sizeof lib;
  too_long |= snprintf(loader, sizeof loader, "%s/ld.so", lib) >= (int)sizeof loader;
  too_long |= snprintf(program, sizeof program, "%s/maildog-ci", lib) >= (int)sizeof program;
  too_long |= snprintf(gconv, sizeof gconv, "%s/gconv", lib) >= (int)sizeof gconv;
  if (too_long) {
    fprintf(stderr, "maildog-ci: the install folder's path is too long: %s\n", root);
    return 3;
  }
  if (redirect("GCONV_PATH", gconv) != 0 || setenv("MAILDOG_LAUNCHER", "1", 1) != 0) {
    fprintf(stderr, "maildog-ci: cannot set the environment: %s\n", strerror(errno));
    return 3;
  }

  /* ld.so --library-path LIB --argv0 ARGV0 PROGRAM ARGS... NULL */
  char** args = calloc((size_t)argc + 7, sizeof *args);
  if (args == NULL) return 3;
  int n = 0;
  args[n++] = loader;
  args[n++] = "--library-path";
  args[n++] = lib;
  args[n++] = "--argv0";
  args[n++] = (char*)argv0;
  args[n++] = program;
  for (int i = 1; i < argc; ++i) args[n++] = argv[i];
  args[n] = NULL;
  execv(loader, args);
  fprintf(stderr, "maildog-ci: cannot run %s: %s\n", loader, strerror(errno));
  return 3;
}
