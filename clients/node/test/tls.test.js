'use strict';
// A sandbox of a serve whose config offers STARTTLS: nodemailer sends over TLS verified with the
// sandbox's CA file, and waitFor returns the whole message (envelope, headers, bodies,
// attachment, raw bytes). Without that CA, the same send fails: the verification is real.
// The second test takes its config from MAILDOG_CONFIG.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const { startMaildog } = require('..');
const { tlsConfig, send } = require('./helpers');

const TEST_TIMEOUT_MS = 120000;  // a hang fails this test, not the whole run's CTest deadline

test('nodemailer sends over STARTTLS verified with box.caFile, and waitFor returns the whole message', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const box = await startMaildog({ config: tlsConfig(), name: 'tls' });
  t.after(() => box.stop());

  assert.ok(box.caFile, 'a config with TLS gives the sandbox a CA file');
  assert.match(fs.readFileSync(box.caFile, 'utf8'), /-----BEGIN CERTIFICATE-----/);
  assert.deepStrictEqual(box.env, {
    MAILDOG_SMTP_HOST: box.host, MAILDOG_SMTP_PORT: String(box.port), MAILDOG_SMTP_CA_FILE: box.caFile,
  });

  const info = await send(box, {
    to: 'alice@inbox.test', subject: 'Your receipt', text: 'Thanks for your order.\n',
    html: '<p>Thanks for your <b>order</b>.</p>', ca: box.caFile,
    attachments: [{ filename: 'receipt.txt', content: 'total: 42\n' }],
  });
  assert.deepStrictEqual(info.accepted, ['alice@inbox.test']);

  const message = await box.waitFor({ to: 'alice@inbox.test', subject: 'receipt', timeout: 10000 });
  assert.strictEqual(message.subject, 'Your receipt');
  assert.strictEqual(message.from, 'app@app.test');
  assert.deepStrictEqual(message.to, ['alice@inbox.test']);
  assert.strictEqual(message.envelope.mailFrom, 'app@app.test');
  assert.strictEqual(message.envelope.recipients[0].reply.code, 250);
  assert.strictEqual(message.header('subject'), 'Your receipt');
  assert.match(message.text, /Thanks for your order\./);
  assert.match(message.html, /<b>order<\/b>/);
  assert.strictEqual(message.attachments.length, 1);
  assert.strictEqual(message.attachments[0].filename, 'receipt.txt');
  assert.strictEqual(message.attachments[0].content.toString(), 'total: 42\n');
  assert.ok(Buffer.isBuffer(message.raw) && message.raw.toString().includes('Subject: Your receipt'));
  assert.ok(Array.isArray(message.lint));
  assert.strictEqual(typeof message.auth.results, 'object');

  const sessions = await box.sessions();
  assert.ok(sessions.some((session) => session.tls === true), 'the session that sent it used TLS');
});

test('without the sandbox CA, nodemailer refuses the certificate (rejectUnauthorized stays on)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  process.env.MAILDOG_CONFIG = tlsConfig();  // serve's --config when options.config is not given
  let box;
  try {
    box = await startMaildog();
  } finally {
    delete process.env.MAILDOG_CONFIG;
  }
  t.after(() => box.stop());
  assert.ok(box.caFile, 'the config of MAILDOG_CONFIG offers TLS');
  // A real CA, but not the sandbox's: a public root of Node's bundle.
  const otherCa = path.join(path.dirname(tlsConfig()), 'other-ca.pem');
  fs.writeFileSync(otherCa, tls.rootCertificates[0]);
  await assert.rejects(send(box, { to: 'alice@inbox.test', ca: otherCa }), (error) => {
    assert.match(`${error.code} ${error.message}`, /certificate|ESOCKET|ETLS/i);
    return true;
  });
  await box.assertNoMail({ to: 'alice@inbox.test', within: 200 });
});
