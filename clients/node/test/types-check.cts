// Compiled by `tsc -p test/tsconfig.json` (never run): index.d.ts as a CommonJS user sees it.
import maildog = require('@maildog-ci/testing');

async function example(): Promise<void> {
  const box = await maildog.startMaildog();
  const message = await box.waitFor({ to: 'a@x.test' });
  const html: string | null = message.html;
  const sessions = await box.sessions({ limit: 5 });
  const open: boolean | undefined = sessions[0]?.open;
  await box.stop();
  console.log(html, open);
}
void example;
