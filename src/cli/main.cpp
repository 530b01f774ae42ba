#include "cli/app.hpp"

int main(int argc, char** argv) { return maildog::cli::run_app(argc, argv); }
