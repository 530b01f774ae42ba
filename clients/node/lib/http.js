'use strict';
// The HTTP side of the client: one JSON request to serve's API over node:http (not fetch: Debian
// 12's Node 18 takes fetch from a separate undici package, and node:http behaves the same on every
// Node from 18 on). Every request has a deadline; errors carry the route, status and serve's text.

const http = require('node:http');
const { MaildogError } = require('./errors');

const DEFAULT_REQUEST_TIMEOUT_MS = 30000;

// request(baseUrl, method, path, {body, token, timeoutMs, raw}) -> {status, headers, body}
// body: a value sent as JSON; raw: true returns the body as a Buffer instead of parsed JSON.
function request(baseUrl, method, path, options = {}) {
  const url = new URL(path.replace(/^\//, ''), baseUrl);
  const headers = { Accept: options.raw ? '*/*' : 'application/json' };
  let payload;
  if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body));
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const bytes = Buffer.concat(chunks);
        let body = bytes;
        const type = String(res.headers['content-type'] || '');
        if (!options.raw || type.startsWith('application/json') && res.statusCode >= 400) {
          try {
            body = bytes.length ? JSON.parse(bytes.toString('utf8')) : null;
          } catch {
            body = bytes.toString('utf8');
          }
        }
        resolve({ status: res.statusCode, headers: res.headers, body });
      });
    });
    const timer = setTimeout(() => {
      req.destroy(new MaildogError(`${method} ${url.pathname}${url.search}: no answer from serve within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      if (error instanceof MaildogError) reject(error);
      else reject(new MaildogError(`${method} ${url.href}: ${error.code || error.message} (is serve running?)`, { cause: error }));
    });
    if (payload) req.write(payload);
    req.end();
  });
}

// The body of a successful answer, else a MaildogError naming the route, status and serve's error.
async function call(baseUrl, method, path, options = {}) {
  const response = await request(baseUrl, method, path, options);
  const expected = options.expect || [200, 201, 204];
  if (!expected.includes(response.status)) {
    const text = response.body && typeof response.body === 'object' && response.body.error
      ? response.body.error : String(response.body ?? '').slice(0, 500);
    const where = new URL(path.replace(/^\//, ''), baseUrl);
    const error = new MaildogError(`${method} ${where.pathname}${where.search}: HTTP ${response.status}: ${text}`);
    error.status = response.status;
    throw error;
  }
  return options.full ? response : response.body;
}

// A query string from an object, leaving out undefined and null values.
function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null) search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

module.exports = { request, call, query };
