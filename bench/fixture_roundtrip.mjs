// How long a Node test using @maildog-ci/testing spends on mail: a sandbox made in a running serve,
// one nodemailer send, waitFor, the sandbox deleted. Prints the median and p90 of N round trips
// (default 100, after one warm-up) against one serve: the Node twin of bench/fixture_roundtrip.py.
// Usage: node bench/fixture_roundtrip.mjs [BINARY] [N]
// (BINARY: else MAILDOG_CI, else maildog-ci on PATH; nodemailer comes from clients/node's dev
// dependencies: run `npm ci` in clients/node first, or the client's tests, which do.)
import { createRequire } from 'node:module';
import { startServer } from '../clients/node/index.mjs';

const require = createRequire(new URL('../clients/node/package.json', import.meta.url));
const nodemailer = require('nodemailer');

const binary = process.argv[2] || process.env.MAILDOG_CI || undefined;
const count = Number(process.argv[3] || 100);
const server = await startServer(binary ? { binary } : {});
const totals = [];
try {
  for (let round = 0; round <= count; round++) {
    const started = process.hrtime.bigint();
    const box = await server.sandbox(`bench ${round}`);
    const transport = nodemailer.createTransport({ host: box.host, port: box.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'app@example.test', to: 'user@example.test', subject: `round ${round}`, text: 'x' });
    transport.close();
    await box.waitFor({ to: 'user@example.test', subject: `round ${round}`, timeout: 10000 });
    await box.stop();
    if (round > 0) totals.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
} finally {
  await server.stop();
}
totals.sort((a, b) => a - b);
const at = (fraction) => totals[Math.min(totals.length - 1, Math.ceil(fraction * totals.length) - 1)];
console.log(`node ${process.version}, ${totals.length} round trips: median ${at(0.5).toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms`);
