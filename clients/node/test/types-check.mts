// Compiled by `tsc -p test/tsconfig.json` (never run): index.d.ts describes the package as an ES
// module user calls it. A wrong name or type in index.d.ts fails the compile.
import { startMaildog, startServer, attachServer, MaildogAssertionError, type InstalledRule, type Message } from '@maildog-ci/testing';

async function example(): Promise<void> {
  const box = await startMaildog({ config: 'tls.yaml', name: 'a test' });
  const host: string = box.host;
  const port: number = box.port;
  const ca: string | null = box.caFile;
  const env: Record<string, string> = box.env;
  const rule: InstalledRule = await box.reject({ rcpt: 'bob@x.test', reply: '550 5.1.1 No such user', times: 1 });
  const left: number | undefined = (await box.rules()).find((item) => item.id === rule.id)?.timesLeft;
  await box.removeRule(rule);
  const message: Message = await box.waitFor({ to: 'alice@x.test', subject: 'Reset', timeout: 5000 });
  const text: string | null = message.text;
  const subject: string | undefined = message.header('Subject');
  const bytes: Buffer = message.raw;
  const attempt = await box.assertRejected({ code: 550, enhanced: '5.1.1', to: 'bob@x.test' });
  const status: 'accepted' | 'partial' | 'refused' = attempt.status;
  await box.assertNoMail({ to: 'carol@x.test', within: 500 });
  const cleared: number = await box.clear();
  await box.server.stop();
  await box.stop();

  const server = await startServer({ binary: '/usr/bin/maildog-ci', args: ['--keep', '10'] });
  process.env.MAILDOG_SERVE_URL = server.url;
  const worker = await attachServer();
  const sandbox = await worker.sandbox('worker 1');
  await sandbox.stop();
  await server.stop();
  try {
    await box.waitFor({ to: 'nobody@x.test', timeout: 10 });
  } catch (error) {
    if (error instanceof MaildogAssertionError) console.log(error.transcript.join('\n'));
  }
  // The types are not `any`: these must be errors.
  // @ts-expect-error timeout is milliseconds, a number
  await box.waitFor({ to: 'a@x.test', timeout: '5s' });
  // @ts-expect-error no such stage
  await box.reject({ rcpt: 'bob@x.test', at: 'quit' });
  // @ts-expect-error a message has no .body
  console.log(message.body);
  console.log(host, port, ca, env, left, text, subject, bytes, status, cleared);
}
void example;
