'use strict';
// @maildog-ci/testing: maildog-ci's sandbox SMTP server inside a Node test suite (node:test,
// Jest, Vitest, Playwright). The CommonJS entry point; index.mjs re-exports it for `import`.

const { MaildogServer, startServer, attachServer, findBinary, URL_ENV } = require('./lib/server');
const { Sandbox } = require('./lib/sandbox');
const { Message } = require('./lib/message');
const { MaildogError, MaildogAssertionError } = require('./lib/errors');

// One sandbox, ready to use: `const box = await startMaildog(); ...; await box.stop()`.
// When MAILDOG_SERVE_URL is set (or options.url given), the sandbox is made in that running
// serve (a global setup started it) and stop() deletes only the sandbox; otherwise a serve is
// started for this sandbox alone and stop() ends it too. box.server is the MaildogServer.
async function startMaildog(options = {}) {
  const url = options.url || process.env[URL_ENV];
  const server = url ? await attachServer({ url, token: options.token }) : await startServer(options);
  let box;
  try {
    box = await server.sandbox(options.name, { rules: options.rules });
  } catch (error) {
    if (!url) await server.stop().catch(() => {});
    throw error;
  }
  const deleteSandbox = box.stop.bind(box);
  box.server = server;
  box.stop = async () => {
    try {
      await deleteSandbox();
    } finally {
      if (!url) await server.stop();
    }
  };
  return box;
}

module.exports = {
  startMaildog,
  startServer,
  attachServer,
  findBinary,
  MaildogServer,
  Sandbox,
  Message,
  MaildogError,
  MaildogAssertionError,
  URL_ENV,
};
