#!/usr/bin/env node
// Sends one invoice to several recipients with nodemailer, the way an app on Node does it.
// The SMTP server comes from MAILDOG_SMTP_HOST/PORT/TLS/USER/PASSWORD (set by maildog-ci).
// TLS is required and verified with Node's defaults: the sandbox's CA is trusted through
// NODE_EXTRA_CA_CERTS, set by the scenario, not by turning verification off here.
// Recipients the server refuses are reported; the others still get the message.
// Exit codes: 0 sent (to at least one recipient), 1 not sent at all.
'use strict';
const nodemailer = require('nodemailer');

async function main() {
  const recipients = process.argv.slice(2);
  if (recipients.length === 0) {
    console.error('usage: send.js RECIPIENT...');
    return 1;
  }
  const env = process.env;
  const transport = nodemailer.createTransport({
    host: env.MAILDOG_SMTP_HOST,
    port: Number(env.MAILDOG_SMTP_PORT),
    secure: env.MAILDOG_SMTP_TLS === 'implicit', // TLS from the first byte, else STARTTLS
    requireTLS: true,                             // never send in the clear
    name: 'app.yourdomain.test',                  // the EHLO name
    auth: env.MAILDOG_SMTP_USER ? {user: env.MAILDOG_SMTP_USER, pass: env.MAILDOG_SMTP_PASSWORD} : undefined,
  });
  try {
    const info = await transport.sendMail({
      from: 'billing@yourdomain.test',
      to: recipients,
      subject: 'Your invoice',
      text: 'Your invoice for this month is attached to your account.\n',
    });
    for (const address of info.accepted) console.log(`sent invoice to ${address}`);
    for (const error of info.rejectedErrors || []) {
      // A permanent refusal of one recipient: mark that address, do not retry it.
      console.log(`rejected ${error.recipient}: ${error.response}`);
    }
    return 0;
  } catch (error) {
    console.log(`not sent: ${error.code || ''} ${error.message}`);
    return 1;
  }
}

main().then((code) => { process.exitCode = code; });
