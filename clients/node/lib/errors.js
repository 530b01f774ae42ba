'use strict';
// The errors the client throws: MaildogError when serve cannot be started or answers with an
// error, MaildogAssertionError (an assert.AssertionError, so node:test, Jest and Vitest show it
// as a failed assertion) worded like maildog-ci's own failures: expected, actual, transcript.

const assert = require('node:assert');

class MaildogError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'MaildogError';
  }
}

class MaildogAssertionError extends assert.AssertionError {
  // lines: {expected, actual, transcript?: string[], details?: string[]}
  constructor(summary, { expected, actual, transcript, details }) {
    super({ message: formatFailure(summary, { expected, actual, transcript, details }) });
    this.name = 'MaildogAssertionError';
    this.expected = expected;
    this.actual = actual;
    this.transcript = transcript || [];
    this.generatedMessage = false;
  }
}

function formatFailure(summary, { expected, actual, transcript, details }) {
  const out = [summary, `  expected: ${expected}`, `  actual:   ${actual}`];
  for (const line of details || []) out.push(`  ${line}`);
  if (transcript && transcript.length) {
    out.push('  transcript:');
    for (const line of transcript) out.push(`    ${line}`);
  }
  return out.join('\n');
}

// Transcript entries ({direction, text}) as "C: ..." / "S: ..." lines, at most `around` lines
// either side of index `at` (the whole tail when `at` is not known).
function transcriptLines(entries, at, around = 4) {
  if (!Array.isArray(entries) || entries.length === 0) return [];
  const centre = Number.isInteger(at) && at >= 0 ? at : entries.length - 1;
  const first = Math.max(0, centre - around);
  const last = Math.min(entries.length, centre + around + 1);
  const prefix = { client: 'C: ', server: 'S: ', event: '-- ' };
  const lines = entries.slice(first, last).map((entry) => `${prefix[entry.direction] || '   '}${entry.text}`);
  if (first > 0) lines.unshift(`... (${first} line${first === 1 ? '' : 's'} before)`);
  if (last < entries.length) lines.push(`... (${entries.length - last} line${entries.length - last === 1 ? '' : 's'} after)`);
  return lines;
}

module.exports = { MaildogError, MaildogAssertionError, formatFailure, transcriptLines };
