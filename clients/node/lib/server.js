'use strict';
// A maildog-ci serve process for a test suite: started on free ports (--smtp-port 0
// --http-port 0) and known ready from its --ready-file, or one already running that this process
// attaches to by URL (a Playwright global setup starts one, each worker attaches). Sandboxes are
// made in it for each test; stop() ends what this object started, and only that.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Api } = require('./api');
const { Sandbox } = require('./sandbox');
const { MaildogError } = require('./errors');

const DEFAULT_START_TIMEOUT_MS = 20000;
const STOP_GRACE_MS = 10000;     // SIGTERM lets transactions in flight finish; then SIGKILL
const READY_POLL_MS = 20;
const OUTPUT_TAIL_LINES = 40;    // how much of serve's output an error shows
const URL_ENV = 'MAILDOG_SERVE_URL';

// The maildog-ci executable: options.binary, else $MAILDOG_CI, else maildog-ci on PATH.
function findBinary(binary) {
  const chosen = binary || process.env.MAILDOG_CI;
  if (chosen) {
    if (!fs.existsSync(chosen)) throw new MaildogError(`maildog-ci not found at ${chosen} (${binary ? 'options.binary' : 'MAILDOG_CI'})`);
    return chosen;
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'maildog-ci');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  throw new MaildogError('maildog-ci not found: put it on PATH, set MAILDOG_CI=/path/to/maildog-ci, or pass {binary}');
}

// The last lines a stream wrote, kept for error messages (serve prints a line per message).
class OutputTail {
  constructor() {
    this.lines = [];
    this.partial = '';
  }

  add(chunk) {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop();
    this.lines.push(...parts);
    if (this.lines.length > OUTPUT_TAIL_LINES) this.lines.splice(0, this.lines.length - OUTPUT_TAIL_LINES);
  }

  text() {
    return [...this.lines, this.partial].filter(Boolean).map((line) => `  | ${line}`).join('\n');
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class MaildogServer {
  // ready: serve's ready document ({smtp, http: {url}, ca_file, pid, version}), or null until
  // it is known; child: the process when this object started it (none when attached).
  constructor(ready, { token, child, tmpDir, output } = {}) {
    this.token = token;
    this._child = child || null;
    this._tmpDir = tmpDir || null;
    this._output = output || null;
    this._sandboxes = new Set();
    this._exit = child ? new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => { if (child.pid === undefined) resolve({ code: null, signal: null, error }); });
    }) : null;
    this._killOnExit = () => { if (child && child.exitCode === null) child.kill('SIGTERM'); };
    if (ready) this._adopt(ready);
  }

  _adopt(ready) {
    this.url = ready.http.url;
    this.smtp = ready.smtp && ready.smtp.port ? { host: ready.smtp.host, port: ready.smtp.port } : null;
    this.caFile = ready.ca_file || null;
    this.pid = ready.pid ?? null;
    this.version = ready.version ?? null;
    this.api = new Api(this.url, this.token);
  }

  // A new sandbox (POST /api/v1/sandboxes): its own port, rules, messages. options.rules: its
  // rules instead of the config's.
  async sandbox(name, options = {}) {
    const body = {};
    if (name !== undefined && name !== null) body.name = String(name);
    if (options.rules) body.rules = options.rules;
    const info = await this.api.request('POST', 'api/v1/sandboxes', { body, expect: [201] });
    const box = new Sandbox(this.api.at(info.url), info, async (self) => {
      this._sandboxes.delete(self);
      await this.api.request('DELETE', `api/v1/sandboxes/${encodeURIComponent(self.id)}`, { expect: [204, 404] });
    });
    this._sandboxes.add(box);
    return box;
  }

  // The sandbox every serve has (its --smtp-port, the top-level routes). Never deleted by stop().
  mainSandbox() {
    if (!this.smtp) throw new MaildogError('mainSandbox(): the SMTP port of an attached serve is not known; use sandbox()');
    return new Sandbox(this.api.at(`${this.url}api/v1/`), { id: 'main', smtp: this.smtp, ca_file: this.caFile });
  }

  // Every sandbox serve holds now (any process's), as serve lists them.
  async sandboxes() {
    return (await this.api.request('GET', 'api/v1/sandboxes')).sandboxes;
  }

  // GET /readyz: true while serve is up and not stopping.
  async ready() {
    try {
      const response = await this.api.request('GET', 'readyz', { expect: [200, 503], full: true, timeoutMs: 5000 });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  // Deletes the sandboxes made through this object; then, when this object started serve,
  // SIGTERM (SIGKILL after 10 s) and waits for it to exit. Throws when serve did not exit 0.
  async stop() {
    const boxes = [...this._sandboxes];
    this._sandboxes.clear();
    const results = await Promise.allSettled(boxes.map((box) => box.stop()));
    const child = this._child;
    if (child) {
      this._child = null;
      let killed = false;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        let timer;
        const grace = new Promise((resolve) => { timer = setTimeout(resolve, STOP_GRACE_MS, null); });
        const ended = await Promise.race([this._exit, grace]);
        clearTimeout(timer);  // a pending timer would keep the test process alive
        if (!ended) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
      const { code, signal } = await this._exit;
      process.removeListener('exit', this._killOnExit);
      if (this._tmpDir) fs.rmSync(this._tmpDir, { recursive: true, force: true });
      if (killed || code !== 0) {
        const how = killed ? `did not exit within ${STOP_GRACE_MS} ms of SIGTERM` : `exited with ${signal || `status ${code}`}`;
        throw new MaildogError(`maildog-ci serve ${how}${this._output && this._output.text() ? `\n${this._output.text()}` : ''}`);
      }
    }
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

// Reads the ready file serve writes (atomically) once both listeners accept.
function readReady(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}

// Starts `maildog-ci serve` on free ports and resolves once it is ready.
// options: binary, config (a --config file; default $MAILDOG_CONFIG), args (more serve options), env, token (also
// --api-token), startTimeout (ms), stdio ('pipe': kept for errors, default; 'inherit').
async function startServer(options = {}) {
  const binary = findBinary(options.binary);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildog-node-'));
  const readyFile = path.join(tmpDir, 'ready.json');
  const args = ['serve', '--smtp-port', '0', '--http-port', '0', '--ready-file', readyFile];
  const config = options.config || process.env.MAILDOG_CONFIG;  // as the pytest plugin reads it
  if (config) args.push('--config', config);
  if (options.token) args.push('--api-token', options.token);
  args.push(...(options.args || []));
  const inherit = options.stdio === 'inherit';
  const child = spawn(binary, args, {
    env: { ...process.env, ...(options.env || {}) },
    stdio: ['ignore', inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe'],
  });
  const output = new OutputTail();
  if (!inherit) {
    child.stdout.on('data', (chunk) => output.add(chunk));
    child.stderr.on('data', (chunk) => output.add(chunk));
  }
  let spawnError = null;
  child.once('error', (error) => { spawnError = error; });
  const server = new MaildogServer(null, { child, tmpDir, output, token: options.token });
  // A test file that forgets stop() must not leave serve running, nor hang on it.
  process.once('exit', server._killOnExit);
  child.unref();
  for (const stream of [child.stdout, child.stderr]) if (stream && stream.unref) stream.unref();

  const timeout = options.startTimeout ?? DEFAULT_START_TIMEOUT_MS;
  const deadline = Date.now() + timeout;
  for (;;) {
    const ready = spawnError ? null : readReady(readyFile);
    if (ready) {
      server._adopt(ready);
      return server;
    }
    const failed = spawnError ? `could not be started: ${spawnError.message}`
      : child.exitCode !== null || child.signalCode !== null ? `exited with ${child.signalCode || `status ${child.exitCode}`} before it was ready`
        : Date.now() > deadline ? `was not ready within ${timeout} ms (no ${readyFile})` : null;
    if (failed) {
      await server.stop().catch(() => {});
      const shown = output.text();
      throw new MaildogError(`maildog-ci serve (${binary} ${args.join(' ')}) ${failed}${shown ? `\n${shown}` : ''}`);
    }
    await sleep(READY_POLL_MS);
  }
}

// Attaches to a serve already running: its URL from `url`, else $MAILDOG_SERVE_URL. stop()
// deletes the sandboxes made through it and leaves serve running.
async function attachServer({ url, token } = {}) {
  const base = url || process.env[URL_ENV];
  if (!base) throw new MaildogError(`attachServer: no URL (pass {url} or set ${URL_ENV}, e.g. from a global setup)`);
  const chosenToken = token ?? process.env.MAILDOG_API_TOKEN;
  const api = new Api(base, chosenToken);
  const response = await api.request('GET', 'readyz', { expect: [200, 503], full: true, timeoutMs: 10000 });
  if (response.status !== 200) throw new MaildogError(`attachServer: serve at ${api.url} is stopping (GET /readyz: 503)`);
  return new MaildogServer({ http: { url: api.url } }, { token: chosenToken });
}

module.exports = { MaildogServer, startServer, attachServer, findBinary, URL_ENV };
