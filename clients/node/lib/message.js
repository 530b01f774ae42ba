'use strict';
// One accepted message, as a test reads it: envelope, headers, text and HTML bodies, raw bytes,
// attachments (with their decoded content), authentication results and sender-lint findings.
// Built from serve's message routes in one go, so every field is plain data afterwards.

const { camelize } = require('./json');

function leafParts(part, out = []) {
  if (!part) return out;
  if (!part.children || part.children.length === 0) out.push(part);
  for (const child of part.children || []) leafParts(child, out);
  return out;
}

async function optionalText(api, path) {
  const response = await api.request('GET', path, { raw: true, full: true, expect: [200, 404] });
  return response.status === 200 ? response.body.toString('utf8') : null;
}

class Message {
  constructor(fields) {
    Object.assign(this, fields);
  }

  // The first header of that name (any case), or undefined.
  header(name) {
    const wanted = name.toLowerCase();
    const found = this.headers.find((header) => header.name.toLowerCase() === wanted);
    return found ? found.value : undefined;
  }

  // Every header of that name (any case), in message order.
  headerValues(name) {
    const wanted = name.toLowerCase();
    return this.headers.filter((header) => header.name.toLowerCase() === wanted).map((header) => header.value);
  }

  toString() {
    return `message ${this.id} from <${this.from}> to ${this.to.map((to) => `<${to}>`).join(', ')} "${this.subject}"`;
  }
}

// api: {request(method, path, options)} bound to a sandbox's URL.
async function loadMessage(api, id) {
  const base = `messages/${encodeURIComponent(id)}`;
  const [detail, raw, headers, mime, auth, text, html] = await Promise.all([
    api.request('GET', base),
    api.request('GET', `${base}/raw`, { raw: true }),
    api.request('GET', `${base}/headers`),
    api.request('GET', `${base}/mime`),
    api.request('GET', `${base}/auth`),
    optionalText(api, `${base}/body/plain`),
    optionalText(api, `${base}/body/html`),
  ]);
  const attachmentParts = leafParts(mime.root).filter((part) => part.disposition === 'attachment' || part.filename);
  const attachments = await Promise.all(attachmentParts.map(async (part) => ({
    filename: part.filename,
    contentType: part.content_type,
    path: part.path,
    size: part.size,
    content: await api.request('GET', `${base}/parts/${encodeURIComponent(part.path)}`, { raw: true }),
  })));
  const envelope = camelize(detail.envelope);
  envelope.recipients = camelize(detail.recipients);
  return new Message({
    id: detail.id,
    received: new Date(detail.received),
    sessionId: detail.session_id,
    from: detail.from,
    to: detail.to,
    subject: detail.subject,
    date: detail.date,
    size: detail.size,
    envelope,
    headers: headers.headers,
    text,
    html,
    raw,
    attachments,
    mime: camelize(mime),
    auth: {
      results: auth.results,
      authenticationResults: auth.authentication_results,
      authservId: auth.authserv_id,
      methods: camelize(auth.methods),
    },
    lint: camelize(detail.lint),
    json: detail,
  });
}

module.exports = { Message, loadMessage };
