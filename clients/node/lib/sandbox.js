'use strict';
// A sandbox of a running serve: its own SMTP port, rules, messages, sessions and attempts. The
// object a test works with: where to send (host, port, caFile, env), what to refuse (reject,
// rules), and what to assert (waitFor, assertNoMail, assertRejected), each through serve's API
// under the sandbox's URL. Assertion failures read like maildog-ci's: expected, actual, transcript.

const { query } = require('./api');
const { camelize, ruleToApi } = require('./json');
const { loadMessage } = require('./message');
const { MaildogAssertionError, transcriptLines } = require('./errors');

const DEFAULT_WAIT_MS = 10000;
const DEFAULT_NO_MAIL_MS = 1000;
const DEFAULT_REJECTED_MS = 5000;
const WAIT_SLICE_MS = 60000;  // one long-poll at most this long (serve caps a wait at --max-wait)
const HTTP_MARGIN_MS = 5000;  // a long-poll's HTTP deadline beyond the wait it asks for
const POLL_MS = 100;         // how often attempts are listed when serve cannot wait for them

// What each stage refuses with when reject() is given no reply; {address} is the rule's address.
const DEFAULT_REPLIES = {
  rcpt: '550 5.1.1 <{address}>: Recipient address rejected: User unknown',
  mail: '550 5.7.1 <{address}>: Sender address rejected: Access denied',
  end_of_data: '550 5.7.1 Message rejected',
};

function describeFilter({ to, from, subject }) {
  const parts = [];
  if (to) parts.push(`to <${to}>`);
  if (from) parts.push(`from <${from}>`);
  if (subject) parts.push(`with a subject containing "${subject}"`);
  return parts.join(' ');
}

function replyText(reply) {
  if (!reply) return '(no reply)';
  return [reply.code, reply.enhanced, reply.text].filter((part) => part !== undefined && part !== '').join(' ');
}

function checkTimeout(name, value) {
  if (!Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a number of milliseconds >= 0, got ${value}`);
  }
  return value;
}

// Does this attempt (a summary from serve) refuse mail as asked?
function refusalMatches(attempt, { to, code, enhanced }) {
  if (attempt.status === 'accepted') return false;
  const replyMatches = (reply) => Boolean(reply) && (code === undefined || reply.code === code)
    && (enhanced === undefined || reply.enhanced === enhanced);
  if (!to) return replyMatches(attempt.reply) || attempt.refusals.some((refusal) => replyMatches(refusal.reply));
  const wanted = to.toLowerCase();
  const recipients = attempt.recipients.filter((recipient) => recipient.address.toLowerCase().includes(wanted));
  if (recipients.some((recipient) => !recipient.accepted && replyMatches(recipient.reply))) return true;
  // Refused as a whole after RCPT (DATA, end of data) with that recipient in the envelope.
  return recipients.length > 0 && attempt.status === 'refused' && replyMatches(attempt.reply);
}

// How an attempt went, in one line: "RCPT <bob@x.test> -> 550 5.1.1 ... (attempt 4, refused)".
function attemptLine(attempt, to) {
  const wanted = to ? to.toLowerCase() : undefined;
  const recipient = wanted && attempt.recipients.find((item) => item.address.toLowerCase().includes(wanted));
  const what = recipient ? `RCPT <${recipient.address}> -> ${replyText(recipient.reply)}`
    : `${attempt.stage || 'attempt'} -> ${replyText(attempt.reply)}`;
  const tail = recipient && recipient.accepted && attempt.status !== 'accepted' ? `; then ${replyText(attempt.reply)}` : '';
  return `${what}${tail} (attempt ${attempt.id}, ${attempt.status})`;
}

class Sandbox {
  // api: an Api at the sandbox's route prefix; info: serve's JSON for it (or the main sandbox's).
  constructor(api, info, onStop) {
    this.api = api;
    this.id = info.id;
    this.name = info.name;
    this.host = info.smtp.host;
    this.port = info.smtp.port;
    this.url = api.url;
    this.caFile = info.ca_file || null;
    this.env = { MAILDOG_SMTP_HOST: this.host, MAILDOG_SMTP_PORT: String(this.port) };
    if (this.caFile) this.env.MAILDOG_SMTP_CA_FILE = this.caFile;
    this._onStop = onStop;
    this._stopped = false;
  }

  // rules() -> the rules in force; rules([...]) replaces them (PUT) and returns the new list.
  async rules(list) {
    if (list === undefined) return camelize(await this.api.request('GET', 'rules'));
    if (!Array.isArray(list)) throw new TypeError('rules(list): list must be an array of rules');
    return camelize(await this.api.request('PUT', 'rules', { body: list.map(ruleToApi) }));
  }

  // Appends one rule (tried after those before it) and returns it with its id.
  async addRule(rule) {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      throw new TypeError('addRule(rule): rule must be an object, e.g. {at: "rcpt", match: {rcpt: "bob@x.test"}, reply: "550 5.1.1 No"}');
    }
    return camelize(await this.api.request('POST', 'rules', { body: ruleToApi(rule), expect: [201] }));
  }

  // Removes a rule by id (or the rule object addRule/reject returned).
  async removeRule(rule) {
    const id = typeof rule === 'object' && rule !== null ? rule.id : rule;
    if (!Number.isInteger(id)) throw new TypeError(`removeRule(id): id must be a rule id (an integer), got ${id}`);
    await this.api.request('DELETE', `rules/${id}`, { expect: [204] });
  }

  // Refuses the next `times` commands that match (default: the next RCPT to `rcpt`, once).
  // times: null refuses every time. Returns the rule (its id for removeRule, timesLeft).
  async reject({ rcpt, from, at, reply, times = 1, match } = {}) {
    const stage = at || (rcpt ? 'rcpt' : from !== undefined ? 'mail' : undefined);
    if (!stage) throw new TypeError('reject(): give rcpt, from or at');
    const conditions = { ...(match || {}) };
    if (rcpt !== undefined) conditions.rcpt = rcpt;
    if (from !== undefined) conditions.mailFrom = from;
    const text = reply || DEFAULT_REPLIES[stage] || '550 5.7.1 Rejected';
    const rule = { at: stage, reply: text };
    if (Object.keys(conditions).length) rule.match = conditions;
    if (times !== null && times !== Infinity) rule.times = times;
    return this.addRule(rule);
  }

  // The newest messages first, as summaries (id, from, to, subject, ...); filters as serve's.
  async messages({ to, from, subject, since, limit } = {}) {
    const sinceText = since instanceof Date ? since.toISOString() : since;
    const body = await this.api.request('GET', `messages${query({ to, from, subject, since: sinceText, limit })}`);
    return camelize(body.messages);
  }

  // One whole message (envelope, headers, text, html, raw, attachments, auth, lint).
  message(id) {
    return loadMessage(this.api, id);
  }

  async sessions({ limit } = {}) {
    return camelize((await this.api.request('GET', `sessions${query({ limit })}`)).sessions);
  }

  async session(id) {
    return camelize(await this.api.request('GET', `sessions/${encodeURIComponent(id)}`));
  }

  // Attempts accepted, partly refused or refused, newest first; filters as serve's.
  async attempts(filter = {}) {
    return camelize((await this.api.request('GET', `attempts${query(filter)}`)).attempts);
  }

  async attempt(id) {
    return camelize(await this.api.request('GET', `attempts/${encodeURIComponent(id)}`));
  }

  // Deletes every message of the sandbox; returns how many there were.
  async clear() {
    return (await this.api.request('DELETE', 'messages')).deleted;
  }

  // Waits for a message matching the filters (already there or arriving) and returns it whole.
  async waitFor({ to, from, subject, timeout = DEFAULT_WAIT_MS } = {}) {
    checkTimeout('timeout', timeout);
    const found = await this._wait({ to, from, subject }, timeout);
    if (found) return this.message(found.id);
    throw await this._noMessageError({ to, from, subject }, timeout);
  }

  // Passes when no message matching the filters is there or arrives within `within` ms.
  async assertNoMail({ to, from, subject, within = DEFAULT_NO_MAIL_MS } = {}) {
    checkTimeout('within', within);
    const found = await this._wait({ to, from, subject }, within);
    if (!found) return;
    const message = camelize(found);
    const what = describeFilter({ to, from, subject });
    throw new MaildogAssertionError(`assertNoMail: a message ${what || 'of any kind'} arrived`.replace(/\s+/g, ' '), {
      expected: `no message ${what} within ${within} ms`.replace(/\s+/g, ' '),
      actual: `message ${message.id} from <${message.from}> to ${message.to.map((item) => `<${item}>`).join(', ')} "${message.subject}"`,
      // The transcript notes each message it took as an event line ("message: N octets, ...").
      transcript: await this._transcriptOfSession(message.sessionId, (entries) => lastIndex(entries, (entry) => entry.direction === 'event' && entry.text.startsWith('message:'))),
    });
  }

  // Passes once serve refused mail as asked (code, enhanced, to, from, reason) within `timeout`
  // ms; returns that attempt. Fails with what happened to the mail instead, and its transcript.
  async assertRejected({ code, enhanced, to, from, reason, timeout = DEFAULT_REJECTED_MS } = {}) {
    checkTimeout('timeout', timeout);
    const wantedCode = code === undefined ? undefined : Number(code);
    const filter = { to, from, reason, code: wantedCode, enhanced };
    const deadline = Date.now() + timeout;
    let after = 0;
    for (;;) {
      const seen = await this.attempts({ ...filter, after: after || undefined, limit: 100 });
      const match = seen.find((attempt) => refusalMatches(attempt, { to, code: wantedCode, enhanced }));
      if (match) return match;
      for (const attempt of seen) after = Math.max(after, attempt.id);
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      if (!(await this._waitAttempt({ ...filter, after: after || undefined }, remaining))) break;
    }
    throw await this._notRejectedError({ code: wantedCode, enhanced, to, from, reason }, timeout);
  }

  // Deletes the sandbox (its SMTP port closes, its mail is gone). Idempotent.
  async stop() {
    if (this._stopped) return;
    this._stopped = true;
    if (this._onStop) await this._onStop(this);
  }

  toString() {
    return `sandbox ${this.id}${this.name ? ` (${this.name})` : ''} at ${this.host}:${this.port}`;
  }

  // GET wait in slices until `timeoutMs`; the matching summary, or null when none came.
  async _wait(filter, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const slice = Math.max(0, Math.min(WAIT_SLICE_MS, deadline - Date.now()));
      const response = await this.api.request('GET', `wait${query({ ...filter, timeout: `${slice}ms` })}`,
        { expect: [200, 408], full: true, timeoutMs: slice + HTTP_MARGIN_MS });
      if (response.status === 200) return response.body;
      if (Date.now() >= deadline) return null;
    }
  }

  // Waits for a new attempt the filters match; false when none came in time. serve waits for
  // an attempt when given one of its attempt filters (code, enhanced, reason, status); with none
  // of them ("refused or partly refused" is no single status), the list is polled instead.
  async _waitAttempt(filter, timeoutMs) {
    if (filter.code !== undefined || filter.enhanced !== undefined || filter.reason !== undefined) {
      return Boolean(await this._wait(filter, timeoutMs));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, timeoutMs)));
    return true;
  }

  async _transcriptOfSession(sessionId, pick) {
    try {
      const session = await this.session(sessionId);
      return transcriptLines(session.transcript, pick(session.transcript));
    } catch (error) {
      return [`(the transcript could not be read: ${error.message})`];
    }
  }

  async _noMessageError(filter, timeout) {
    const what = describeFilter(filter);
    const messages = await this.messages({ limit: 5 });
    const details = [];
    for (const message of messages) {
      details.push(`arrived: message ${message.id} from <${message.from}> to ${message.to.map((item) => `<${item}>`).join(', ')} "${message.subject}"`);
    }
    // What was refused is the usual reason a message never came: the newest refusal, with its transcript.
    const refused = (await this.attempts({ to: filter.to, limit: 5 })).filter((attempt) => attempt.status !== 'accepted');
    for (const attempt of refused) details.push(`refused: ${attemptLine(attempt, filter.to)}`);
    const transcript = refused.length ? await this._attemptTranscript(refused[0].id, filter.to) : [];
    const count = messages.length;
    return new MaildogAssertionError(`waitFor: no message ${what} arrived within ${timeout} ms`.replace(/\s+/g, ' '), {
      expected: `a message ${what} within ${timeout} ms`.replace(/\s+/g, ' '),
      actual: count === 0 ? `no message at all${refused.length ? `; ${refused.length} refused attempt(s)` : ''}`
        : `${count === 5 ? 'at least 5' : count} other message(s), none matching${refused.length ? `; ${refused.length} refused attempt(s)` : ''}`,
      details,
      transcript,
    });
  }

  async _attemptTranscript(id, to) {
    try {
      const detail = await this.attempt(id);
      const entries = detail.transcript || [];
      let at = detail.cause && Number.isInteger(detail.cause.transcriptLine) ? detail.cause.transcriptLine : undefined;
      if (at === undefined && to) {
        const wanted = to.toLowerCase();
        const rcpt = lastIndex(entries, (entry) => entry.direction === 'client' && /^RCPT TO:/i.test(entry.text) && entry.text.toLowerCase().includes(wanted));
        if (rcpt >= 0) at = Math.min(rcpt + 1, entries.length - 1);
      }
      return transcriptLines(entries, at);
    } catch (error) {
      return [`(the transcript could not be read: ${error.message})`];
    }
  }

  async _notRejectedError({ code, enhanced, to, from, reason }, timeout) {
    const reply = [code, enhanced].filter(Boolean).join(' ') || 'any refusal';
    const what = [to ? `to <${to}>` : '', from ? `from <${from}>` : '', reason ? `for ${reason}` : ''].filter(Boolean).join(' ');
    const related = await this.attempts({ to, from, limit: 5 });
    const details = related.slice(1).map((attempt) => `also: ${attemptLine(attempt, to)}`);
    const summary = `assertRejected: no ${reply} refusal of mail ${what} within ${timeout} ms`.replace(/\s+/g, ' ');
    return new MaildogAssertionError(summary, {
      expected: `${reply} for mail ${what}`.replace(/\s+/g, ' ').trim(),
      actual: related.length ? attemptLine(related[0], to) : `no attempt ${what || 'at all'}`.replace(/\s+/g, ' ').trim(),
      details,
      transcript: related.length ? await this._attemptTranscript(related[0].id, to) : [],
    });
  }
}

function lastIndex(list, test) {
  for (let i = list.length - 1; i >= 0; i -= 1) if (test(list[i])) return i;
  return -1;
}

module.exports = { Sandbox, refusalMatches };
