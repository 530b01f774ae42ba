'use strict';
// Shared by the tests: where the binary is (MAILDOG_CI, set by tests/clients/node.sh), a serve
// config with STARTTLS, and sending through nodemailer the way an app does.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const nodemailer = require('nodemailer');

// A --config whose sandboxes offer STARTTLS (serve's default config offers no TLS).
function tlsConfig() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildog-node-test-'));
  const file = path.join(dir, 'tls.yaml');
  fs.writeFileSync(file, 'server:\n  tls: starttls\n');
  return file;
}

// Sends one message to the sandbox with nodemailer; with `ca`, STARTTLS is required and the
// certificate verified against it (never rejectUnauthorized: false).
async function send(box, { from = 'app@app.test', to, subject = 'Hello', text = 'Hello.\n', html, attachments, ca } = {}) {
  const transport = nodemailer.createTransport({
    host: box.host,
    port: box.port,
    secure: false,
    requireTLS: Boolean(ca),
    ignoreTLS: !ca,
    tls: ca ? { ca: fs.readFileSync(ca), rejectUnauthorized: true } : undefined,
    connectionTimeout: 10000,
    greetingTimeout: 10000,
    socketTimeout: 10000,
  });
  try {
    return await transport.sendMail({ from, to, subject, text, html, attachments });
  } finally {
    transport.close();
  }
}

module.exports = { tlsConfig, send };
