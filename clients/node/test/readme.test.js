'use strict';
// The README's node:test example, exactly as printed: the ```js block that starts with
// "// welcome.test.mjs" is written to a folder where `@maildog-ci/testing` is this package and
// `nodemailer` the dev dependency, and run with `node --test` against the binary (MAILDOG_CI).

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const TEST_TIMEOUT_MS = 120000;  // a hang fails this test, not the whole run's CTest deadline

const root = path.join(__dirname, '..');
const readme = path.join(root, '..', '..', 'README.md');

// The fenced ```js blocks of README.md whose first line starts with `first`.
function blocksStartingWith(first) {
  const blocks = [];
  const lines = fs.readFileSync(readme, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i].trim() !== '```js') continue;
    let end = i + 1;
    while (end < lines.length && lines[end].trim() !== '```') end += 1;
    const body = lines.slice(i + 1, end);
    if (body[0] && body[0].startsWith(first)) blocks.push({ line: i + 1, text: `${body.join('\n')}\n` });
    i = end;
  }
  return blocks;
}

test('the README\'s node:test example passes as printed', { timeout: TEST_TIMEOUT_MS }, () => {
  const blocks = blocksStartingWith('// welcome.test.mjs');
  assert.strictEqual(blocks.length, 1, 'README.md has exactly one ```js block starting with "// welcome.test.mjs"');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildog-readme-node-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules', '@maildog-ci'), { recursive: true });
    fs.symlinkSync(root, path.join(dir, 'node_modules', '@maildog-ci', 'testing'));
    fs.symlinkSync(path.join(root, 'node_modules', 'nodemailer'), path.join(dir, 'node_modules', 'nodemailer'));
    fs.writeFileSync(path.join(dir, 'welcome.test.mjs'), blocks[0].text);
    // A fresh test run, not a child of this one (node:test marks its children with NODE_TEST_CONTEXT).
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    delete env.MAILDOG_SERVE_URL;
    const run = spawnSync(process.execPath, ['--test', 'welcome.test.mjs'], { cwd: dir, encoding: 'utf8', timeout: TEST_TIMEOUT_MS - 10000, env });
    const output = `${run.stdout}${run.stderr}`;
    assert.strictEqual(run.status, 0, `README.md line ${blocks[0].line}: node --test failed:\n${output}`);
    assert.match(output, /# pass 2\n/, output);
    assert.match(output, /# fail 0\n/, output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
