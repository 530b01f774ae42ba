#include "cli/app.hpp"
#include "cli/bundle_env.hpp"

int main(int argc, char** argv) {
  maildog::cli::restore_launcher_environment();
  return maildog::cli::run_app(argc, argv);
}
