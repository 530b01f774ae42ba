'use strict';
// waitFor's timeout says what was expected, what arrived instead and what was refused, with the
// refusal's transcript lines; assertNoMail passes on silence and fails on a matching message.

const test = require('node:test');
const assert = require('node:assert');
const { startMaildog, MaildogAssertionError } = require('..');
const { send } = require('./helpers');

const TEST_TIMEOUT_MS = 120000;  // a hang fails this test, not the whole run's CTest deadline

test('a waitFor that times out says what arrived and what was refused, with the transcript', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const box = await startMaildog();
  t.after(() => box.stop());
  await box.reject({ rcpt: 'bob@inbox.test', reply: '550 5.1.1 <bob@inbox.test>: Recipient address rejected', times: null });
  await send(box, { to: 'alice@inbox.test', subject: 'Welcome' });
  await assert.rejects(send(box, { to: 'bob@inbox.test', subject: 'Reset' }), /550/);
  await box.assertRejected({ code: 550, to: 'bob@inbox.test' });

  const started = Date.now();
  await assert.rejects(box.waitFor({ to: 'bob@inbox.test', subject: 'Reset', timeout: 400 }), (error) => {
    assert.ok(error instanceof MaildogAssertionError);
    const text = error.message;
    assert.match(text, /^waitFor: no message to <bob@inbox\.test> with a subject containing "Reset" arrived within 400 ms\n/);
    assert.match(text, /\n {2}expected: a message to <bob@inbox\.test> with a subject containing "Reset" within 400 ms\n/);
    assert.match(text, /\n {2}actual: {3}1 other message\(s\), none matching; 1 refused attempt\(s\)\n/);
    assert.match(text, /\n {2}arrived: message \d+ from <app@app\.test> to <alice@inbox\.test> "Welcome"\n/);
    assert.match(text, /\n {2}refused: RCPT <bob@inbox\.test> -> 550 5\.1\.1 <bob@inbox\.test>: Recipient address rejected \(attempt \d+, refused\)/);
    assert.match(text, /\n {4}C: RCPT TO:<bob@inbox\.test>\n( {4}-- .*\n)* {4}S: 550 5\.1\.1 <bob@inbox\.test>: Recipient address rejected\n/);
    return true;
  });
  assert.ok(Date.now() - started >= 400, 'it waited its timeout');
});

test('waitFor returns a message that arrives while it waits', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const box = await startMaildog();
  t.after(() => box.stop());
  const waiting = box.waitFor({ to: 'late@inbox.test', timeout: 15000 });
  await send(box, { to: 'late@inbox.test', subject: 'arrives later' });
  assert.strictEqual((await waiting).subject, 'arrives later');
});

test('assertNoMail passes on silence and fails on a matching message', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const box = await startMaildog();
  t.after(() => box.stop());
  await box.assertNoMail({ to: 'carol@inbox.test', within: 200 });
  await send(box, { to: 'carol@inbox.test', subject: 'Unwanted' });
  await box.waitFor({ to: 'carol@inbox.test' });
  await assert.rejects(box.assertNoMail({ to: 'carol@inbox.test', within: 200 }), (error) => {
    assert.ok(error instanceof MaildogAssertionError);
    assert.match(error.message, /\n {2}expected: no message to <carol@inbox\.test> within 200 ms\n/);
    assert.match(error.message, /\n {2}actual: {3}message \d+ from <app@app\.test> to <carol@inbox\.test> "Unwanted"/);
    assert.match(error.message, /\n {4}C: DATA\n(.*\n)* {4}-- message: \d+ octets/);
    return true;
  });
  assert.strictEqual(await box.clear(), 1);
  await box.assertNoMail({ to: 'carol@inbox.test', within: 100 });
  await assert.rejects(box.waitFor({ timeout: -1 }), TypeError);
});
