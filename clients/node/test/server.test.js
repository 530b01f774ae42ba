'use strict';
// The serve process and attaching to one: startServer's ready document, a worker's startMaildog
// in a serve another process started (MAILDOG_SERVE_URL), whose stop() deletes only its sandbox,
// stop() ending serve, and the errors when maildog-ci cannot be found or started.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, startMaildog, attachServer, MaildogError } = require('..');
const { send } = require('./helpers');

const TEST_TIMEOUT_MS = 120000;  // a hang fails this test, not the whole run's CTest deadline

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a worker attaches to a running serve by URL; its stop() deletes only its sandbox', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok(Number.isInteger(server.pid) && alive(server.pid));
  assert.strictEqual(await server.ready(), true);

  const box = await startMaildog({ url: server.url, name: 'worker 1' });
  assert.strictEqual(box.server.url, server.url);
  await send(box, { to: 'alice@inbox.test', subject: 'from worker 1' });
  await box.waitFor({ subject: 'from worker 1' });
  await box.stop();
  assert.ok(!(await server.sandboxes()).some((sandbox) => sandbox.id === box.id));
  assert.strictEqual(await server.ready(), true, 'serve keeps running for the other workers');

  const previous = process.env.MAILDOG_SERVE_URL;
  process.env.MAILDOG_SERVE_URL = server.url;
  try {
    const worker = await attachServer();
    const sandbox = await worker.sandbox('worker 2');
    assert.ok((await server.sandboxes()).some((item) => item.id === sandbox.id));
    await worker.stop();
    assert.ok(!(await server.sandboxes()).some((item) => item.id === sandbox.id));
  } finally {
    if (previous === undefined) delete process.env.MAILDOG_SERVE_URL;
    else process.env.MAILDOG_SERVE_URL = previous;
  }

  const pid = server.pid;
  await server.stop();
  assert.strictEqual(alive(pid), false, 'stop() ends serve');
});

test('startMaildog\'s box.stop() ends the serve it started', { timeout: TEST_TIMEOUT_MS }, async () => {
  const box = await startMaildog();
  const { pid } = box.server;
  assert.ok(alive(pid));
  await box.stop();
  assert.strictEqual(alive(pid), false);
});

test('errors name what is wrong: no binary, a serve that exits, nothing at the URL', { timeout: TEST_TIMEOUT_MS }, async () => {
  await assert.rejects(startServer({ binary: '/nonexistent/maildog-ci' }),
    (error) => error instanceof MaildogError && /maildog-ci not found at \/nonexistent\/maildog-ci/.test(error.message));
  const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'maildog-node-test-')), 'bad.yaml');
  fs.writeFileSync(bad, 'server:\n  tls: sometimes\n');
  await assert.rejects(startServer({ config: bad }), (error) => {
    assert.ok(error instanceof MaildogError);
    assert.match(error.message, /exited with status \d+ before it was ready/);
    assert.match(error.message, /bad\.yaml/, 'serve\'s own diagnostic is shown');
    return true;
  });
  await assert.rejects(attachServer({ url: 'http://127.0.0.1:9/' }), /ECONNREFUSED/);
});
