// The ES module entry point of @maildog-ci/testing: the CommonJS implementation, re-exported,
// so `import` and `require` share one copy of the code (no build step).
import maildog from './index.js';

export const {
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
} = maildog;
export default maildog;
