'use strict';
// The package loads both ways a user writes it (`require` and `import` of @maildog-ci/testing,
// resolved through package.json "exports"), both give the same functions, and index.d.ts
// compiles for ES module and CommonJS users with the tsc of the dev dependencies.

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const TEST_TIMEOUT_MS = 300000;  // tsc is slow on a busy machine; a hang still fails this test, not the whole run

const root = path.join(__dirname, '..');

function node(args, cwd = root) {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 240000 });
}

test('require and import of @maildog-ci/testing load the same functions', { timeout: TEST_TIMEOUT_MS }, () => {
  const script = 'const m = require("@maildog-ci/testing"); console.log(JSON.stringify(Object.keys(m).sort()))';
  const cjs = JSON.parse(node(['-e', script]));
  assert.ok(cjs.includes('startMaildog') && cjs.includes('attachServer') && cjs.includes('MaildogAssertionError'));

  const file = path.join(root, 'test', 'load-check.mjs');
  const esm = JSON.parse(node([file]));
  assert.deepStrictEqual(esm.named, cjs, 'the ES module names exactly what the CommonJS module exports');
  assert.strictEqual(esm.same, true, 'import and require share one copy of the code');
});

test('index.d.ts compiles for ES module and CommonJS users (tsc)', { timeout: TEST_TIMEOUT_MS }, (t) => {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) {
    if (process.env.CI === 'true') assert.fail('typescript is not installed (npm ci in clients/node)');
    t.skip('typescript is not installed here (npm ci in clients/node)');
    return;
  }
  node([tsc, '-p', path.join('test', 'tsconfig.json')]);
});
