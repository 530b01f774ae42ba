// Run by modules.test.js: prints what `import` of the package gives, and whether it is the very
// object `require` gives.
import * as maildog from '@maildog-ci/testing';
import { createRequire } from 'node:module';

const required = createRequire(import.meta.url)('@maildog-ci/testing');
const named = Object.keys(maildog).filter((name) => name !== 'default').sort();
const same = maildog.startMaildog === required.startMaildog && maildog.default === required;
console.log(JSON.stringify({ named, same }));
