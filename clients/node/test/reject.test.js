'use strict';
// Scripted refusals: reject() with times: 1 refuses the next RCPT to bob once and then accepts
// it; assertRejected passes on that refusal and fails, with expected, actual and the transcript,
// where the mail was not refused as asked.

const test = require('node:test');
const assert = require('node:assert');
const { startMaildog, MaildogAssertionError } = require('..');
const { send } = require('./helpers');

const TEST_TIMEOUT_MS = 120000;  // a hang fails this test, not the whole run's CTest deadline

test('reject({times: 1}) refuses the next RCPT to bob once, then bob is accepted again', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const box = await startMaildog();
  t.after(() => box.stop());
  const rule = await box.reject({ rcpt: 'bob@inbox.test', reply: '550 5.1.1 <bob@inbox.test>: no such user', times: 1 });
  assert.ok(Number.isInteger(rule.id));
  assert.strictEqual(rule.times, 1);
  assert.strictEqual(rule.timesLeft, 1);

  // One message to alice and bob: bob refused, alice still gets it (a partly refused attempt).
  const first = await send(box, { to: ['alice@inbox.test', 'bob@inbox.test'], subject: 'first' });
  assert.deepStrictEqual(first.accepted, ['alice@inbox.test']);
  assert.deepStrictEqual(first.rejected, ['bob@inbox.test']);
  const refusal = await box.assertRejected({ code: 550, enhanced: '5.1.1', to: 'bob@inbox.test' });
  assert.strictEqual(refusal.status, 'partial');
  assert.strictEqual((await box.rules()).find((item) => item.id === rule.id).timesLeft, 0);

  // The rule is spent: the next mail to bob, on a new connection, is accepted.
  const second = await send(box, { to: 'bob@inbox.test', subject: 'second' });
  assert.deepStrictEqual(second.accepted, ['bob@inbox.test']);
  assert.strictEqual((await box.waitFor({ to: 'bob@inbox.test' })).subject, 'second');

  // alice was never refused: asserting it fails, with what happened and the transcript.
  await assert.rejects(box.assertRejected({ code: 550, to: 'alice@inbox.test', timeout: 300 }), (error) => {
    assert.ok(error instanceof MaildogAssertionError);
    assert.ok(error instanceof assert.AssertionError);
    assert.match(error.message, /^assertRejected: no 550 refusal of mail to <alice@inbox\.test> within 300 ms/);
    assert.match(error.message, /\n {2}expected: 550 for mail to <alice@inbox\.test>\n/);
    assert.match(error.message, /\n {2}actual: {3}RCPT <alice@inbox\.test> -> 250 .*\(attempt \d+, partial\)/);
    assert.match(error.message, /\n {2}transcript:\n(.*\n)*? {4}C: RCPT TO:<alice@inbox\.test>/);
    return true;
  });
});

test('removeRule and rules([...]) change what the next transaction gets', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const box = await startMaildog();
  t.after(() => box.stop());
  const rule = await box.addRule({ at: 'mail', match: { mailFrom: 'spammer@bad.test' }, reply: '554 5.7.1 Go away' });
  assert.deepStrictEqual((await box.rules()).map((item) => item.match), [{ mailFrom: 'spammer@bad.test' }]);
  await assert.rejects(send(box, { from: 'spammer@bad.test', to: 'alice@inbox.test' }), /554/);
  await box.assertRejected({ code: 554, enhanced: '5.7.1', from: 'spammer@bad.test' });
  await box.removeRule(rule);
  assert.deepStrictEqual(await box.rules(), []);
  await send(box, { from: 'spammer@bad.test', to: 'alice@inbox.test', subject: 'let through' });
  await box.waitFor({ subject: 'let through' });

  const installed = await box.rules([{ at: 'rcpt', match: { rcpt: 'carol@inbox.test' }, reply: '450 4.2.1 Try later', times: 2 }]);
  assert.strictEqual(installed.length, 1);
  assert.strictEqual(installed[0].timesLeft, 2);
  await assert.rejects(send(box, { to: 'carol@inbox.test' }), /450/);
  await assert.rejects(send(box, { to: 'carol@inbox.test' }), /450/);
  await send(box, { to: 'carol@inbox.test', subject: 'third time' });
  await box.waitFor({ to: 'carol@inbox.test', subject: 'third time' });
  await assert.rejects(box.removeRule(999999), /HTTP 404/);
  await assert.rejects(box.addRule({ at: 'nowhere' }), /HTTP 400/);
});
