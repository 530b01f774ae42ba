'use strict';
// Two sandboxes of one serve, as two parallel tests (or workers) have them: the same recipient
// in each, each sees only its own mail, a rule in one refuses nothing in the other, and a
// stopped sandbox's port closes.

const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const { startServer } = require('..');
const { send } = require('./helpers');

const TEST_TIMEOUT_MS = 120000;  // a hang fails this test, not the whole run's CTest deadline

function connects(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(5000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

test('two sandboxes of one serve never see each other\'s mail or rules', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const [first, second] = await Promise.all([server.sandbox('first'), server.sandbox('second')]);
  assert.notStrictEqual(first.id, second.id);
  assert.notStrictEqual(first.port, second.port);

  await first.reject({ rcpt: 'bob@inbox.test', reply: '550 5.1.1 No such user here', times: null });
  await Promise.all([
    send(first, { to: 'alice@inbox.test', subject: 'for the first' }),
    send(second, { to: 'alice@inbox.test', subject: 'for the second' }),
    send(second, { to: 'bob@inbox.test', subject: 'bob in the second' }),
  ]);
  await assert.rejects(send(first, { to: 'bob@inbox.test', subject: 'bob in the first' }), /550/);

  assert.strictEqual((await first.waitFor({ to: 'alice@inbox.test' })).subject, 'for the first');
  assert.strictEqual((await second.waitFor({ to: 'alice@inbox.test' })).subject, 'for the second');
  assert.strictEqual((await second.waitFor({ to: 'bob@inbox.test' })).subject, 'bob in the second');
  assert.deepStrictEqual((await first.messages()).map((message) => message.subject), ['for the first']);
  assert.deepStrictEqual((await second.messages()).map((message) => message.subject).sort(),
    ['bob in the second', 'for the second']);
  assert.strictEqual((await second.rules()).length, 0, 'the first sandbox\'s rule is not in the second');
  await second.assertNoMail({ subject: 'for the first', within: 200 });

  const listed = (await server.sandboxes()).map((sandbox) => sandbox.id);
  assert.ok(listed.includes(first.id) && listed.includes(second.id));
  await first.stop();
  assert.strictEqual(await connects(first.host, first.port), false, 'a stopped sandbox\'s SMTP port is closed');
  assert.ok(!(await server.sandboxes()).some((sandbox) => sandbox.id === first.id));
  assert.strictEqual((await second.messages()).length, 2, 'the other sandbox keeps its mail');
});
