// The HTTP API contract: schemas/api.openapi.json passes an OpenAPI validator, and the real
// responses of the built `maildog-ci serve` match it. Serve runs on loopback with a --config that
// offers STARTTLS, has mailboxes and a rule that refuses; mail is sent over verified TLS so
// messages, sessions and refused attempts exist; then every path and method of the document is
// called, with its error answers (400, 403, 404, 408, 413, 415, 431; 401 from a second serve with
// a token), and each answer's status, Content-Type and body are checked against the document.
// Fails when a call's status is not the one expected, when an answer is not documented or does
// not match its schema, and when the document lists an operation this test did not call.
// Runs on Node 18 (Debian 12) and later. Usage: node contract.mjs --binary PATH --document PATH
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { ApiDocument } from "./openapi_document.mjs";
import { request } from "./http_request.mjs";
import { ServeProcess } from "./serve_process.mjs";
import { sendMail } from "./smtp_client.mjs";

const k_token = "contract-test-token";

function options(argv) {
  const found = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!["--binary", "--document"].includes(argv[i]) || argv[i + 1] === undefined) {
      throw new Error("usage: node contract.mjs --binary PATH --document PATH");
    }
    found[argv[i].slice(2)] = argv[i + 1];
  }
  if (!found.binary || !found.document) {
    throw new Error("usage: node contract.mjs --binary PATH --document PATH");
  }
  return found;
}

// "/api/v1/messages/{id}/parts/{path}" -> a pattern the called path must match.
function templatePattern(template) {
  const pieces = template.split(/\{[^}]+\}/).map((piece) => piece.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&"));
  return new RegExp(`^${pieces.join("[^/]+")}$`);
}

// Calls operations, checks each answer against the document and keeps what was exercised.
class Contract {
  constructor(document) {
    this.document = document;
    this.exercised = new Map();  // "GET /path" -> Set of statuses seen
    this.reached = new Set();  // operations called past the checks that come before routing
    this.samples = new Map();  // "GET /path" -> a concrete target that answered 2xx, for the generic checks
    this.passed = 0;
    this.failures = [];
  }

  // call(port, "GET /api/v1/messages/{id}", {path, expect, ...request options}) -> the response,
  // with `json` parsed when it is JSON.
  async call(port, key, { expect, ...options }) {
    const [method, template] = key.split(" ");
    const target = options.path;
    const label = `${key} (${method} ${target.length > 90 ? `${target.slice(0, 90)}...` : target}${options.note ? `, ${options.note}` : ""})`;
    let response;
    for (let attempt = 1; !response; ++attempt) {
      try {
        response = await request(port, { method, ...options });
      } catch (error) {
        // serve answers a header over its limit and closes without reading the rest: when the
        // rest arrives later the close is a reset, which can beat the answer (a known serve issue).
        if (options.mayReset && attempt < 3 && ["EPIPE", "ECONNRESET"].includes(error.code)) {
          console.log(`note ${label}: ${error.code} before the answer, trying again`);
          continue;
        }
        this.fail(label, [`no answer: ${error.message}`]);
        return null;
      }
    }
    const problems = [];
    if (!templatePattern(template).test(target.split("?")[0])) {
      problems.push(`the test's own mistake: ${target} is not a path of ${template}`);
    }
    if (response.status !== expect) {
      problems.push(`expected status ${expect}, got ${response.status}: ${response.body.toString("utf8").slice(0, 300)}`);
    }
    problems.push(...this.document.check(key, response));
    if (!this.exercised.has(key)) {
      this.exercised.set(key, new Set());
    }
    this.exercised.get(key).add(String(response.status));
    if (!options.beforeRouting) {
      this.reached.add(key);
    }
    if (response.status < 300 && !this.samples.has(key)) {
      this.samples.set(key, { path: target, body: options.body, headers: options.headers });
    }
    const type = (response.headers["content-type"] ?? "").split(";")[0].trim();
    if (type === "application/json") {
      try {
        response.json = JSON.parse(response.body.toString("utf8"));
      } catch {
        response.json = undefined;
      }
    }
    if (problems.length > 0) {
      this.fail(label, problems);
    } else {
      this.passed += 1;
      console.log(`ok   ${label} -> ${response.status}`);
    }
    return response;
  }

  fail(label, problems) {
    this.failures.push(label);
    console.log(`FAIL ${label}\n     ${problems.join("\n     ")}`);
  }

  // A check of the test's own (not one response against the document).
  expect(label, condition, detail = "") {
    if (condition) {
      this.passed += 1;
      console.log(`ok   ${label}`);
    } else {
      this.fail(label, [detail || "not so"]);
    }
  }
}

const k_multipart = [
  "From: App <app@example.test>",
  "To: user@inbox.test",
  "Subject: contract message",
  "Date: Tue, 08 Dec 2026 00:00:00 +0000",
  "Message-ID: <contract-1@example.test>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="mixed"',
  "",
  "--mixed",
  'Content-Type: multipart/alternative; boundary="alt"',
  "",
  "--alt",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "Hello from the contract test.",
  "--alt",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>Hello from the contract test.</p>",
  "--alt--",
  "--mixed",
  "Content-Type: application/octet-stream",
  'Content-Disposition: attachment; filename="report.bin"',
  "Content-Transfer-Encoding: base64",
  "",
  "AAECAwQFBgc=",
  "--mixed--",
  "",
].join("\r\n");

function plainMessage(to, subject) {
  return [
    "From: App <app@example.test>",
    `To: ${to}`,
    `Subject: ${subject}`,
    "Date: Tue, 08 Dec 2026 00:00:00 +0000",
    "",
    "plain text only",
    "",
  ].join("\r\n");
}

// The leaf paths of a /mime answer's part tree.
function leafPaths(part, found = []) {
  if (part.children.length === 0) {
    found.push(part.path);
  }
  for (const child of part.children) {
    leafPaths(child, found);
  }
  return found;
}

// The mail that makes every route have something to show: an accepted multipart message with a
// refused recipient beside it (unknown user, and the rule), a message refused whole by the rule,
// and a plain message the DELETE of one message removes.
async function sendTheMail(serve, contract) {
  const smtp = { host: serve.smtp.host, port: serve.smtp.port, caFile: serve.caFile };
  const mixed = await sendMail({
    ...smtp,
    from: "app@example.test",
    to: ["user@inbox.test", "ghost@inbox.test", "blocked@inbox.test"],
    data: k_multipart,
  });
  contract.expect(
    "SMTP: the multipart message is accepted for user@, refused for ghost@ (mailboxes) and blocked@ (the rule)",
    mixed.final?.code === 250 &&
      mixed.accepted.map((r) => r.address).join() === "user@inbox.test" &&
      mixed.refused.map((r) => `${r.address}:${r.code}`).join() === "ghost@inbox.test:550,blocked@inbox.test:550",
    JSON.stringify(mixed.replies),
  );
  const refused = await sendMail({ ...smtp, from: "app@example.test", to: ["blocked@inbox.test"], data: "" });
  contract.expect(
    "SMTP: a message only for blocked@ is refused at RCPT by the rule",
    refused.final === null && refused.refused[0]?.code === 550,
    JSON.stringify(refused.replies),
  );
  const doomed = await sendMail({ ...smtp, from: "app@example.test", to: ["user@inbox.test"], data: plainMessage("user@inbox.test", "to be deleted") });
  contract.expect("SMTP: the plain message is accepted", doomed.final?.code === 250, JSON.stringify(doomed.replies));
}

// Every operation gets the answers that come before routing: no Host (400), a Host that is not
// this server (403), a header over the limit (431). They apply to every path, so each operation
// must document them.
async function genericRefusals(contract, port) {
  for (const { key } of contract.document.operations) {
    const [, template] = key.split(" ");
    // An operation without path parameters needs no sample: these answers come before its handler.
    const sample = contract.samples.get(key) ?? (template.includes("{") ? null : { path: template });
    if (!sample) {
      continue;  // reported as not exercised at the end
    }
    const { path: target, body, headers } = sample;
    const common = { path: target, body, headers, beforeRouting: true };
    await contract.call(port, key, { ...common, host: null, expect: 400, note: "no Host header" });
    await contract.call(port, key, { ...common, host: "evil.test", expect: 403, note: "Host evil.test" });
    await contract.call(port, key, {
      ...common,
      headers: { ...headers, "x-padding": "x".repeat(40 * 1024) },
      mayReset: true,
      expect: 431,
      note: "a 40 KiB header",
    });
  }
}

async function mainServe(contract, binary, dir) {
  const config = path.join(dir, "serve.yaml");
  fs.writeFileSync(
    config,
    [
      "name: the API contract test",
      "server:",
      "  tls: starttls",
      "  domains: [inbox.test]",
      "  mailboxes: [user@inbox.test, blocked@inbox.test]",
      "  rules:",
      '    - {at: rcpt, match: {rcpt: blocked@inbox.test}, reply: "550 5.7.1 blocked by the contract test"}',
      "",
    ].join("\n"),
  );
  const serve = await ServeProcess.start(binary, ["--config", config]);
  try {
    contract.expect("serve offers STARTTLS with a CA file", serve.caFile !== null && fs.existsSync(serve.caFile), serve.output);
    await sendTheMail(serve, contract);
    await exerciseRoutes(contract, serve.http.port);
    await genericRefusals(contract, serve.http.port);
    // Last: it empties the store the calls above read.
    const cleared = await contract.call(serve.http.port, "DELETE /api/v1/messages", { path: "/api/v1/messages", expect: 200 });
    contract.expect("DELETE /api/v1/messages removed the one message left", cleared?.json?.deleted === 1, JSON.stringify(cleared?.json));
  } finally {
    const stopped = await serve.stop();
    contract.expect("serve stops on SIGTERM with exit code 0", stopped.code === 0, `${JSON.stringify(stopped)}\n${serve.output}`);
  }
}

async function exerciseRoutes(contract, port) {
  const call = (key, options) => contract.call(port, key, options);
  const get = (key, target, expect, extra = {}) => call(key, { path: target, expect, ...extra });

  // The inspector and the health check.
  await get("GET /", "/", 200);
  await get("GET /assets/{file}", "/assets/inspector.css", 200);
  await get("GET /assets/{file}", "/assets/inspector.js", 200);
  await get("GET /assets/{file}", "/assets/nothing.txt", 404);
  const health = await get("GET /healthz", "/healthz", 200);
  contract.expect("/healthz without a server token shows the message count (2)", health?.json?.messages === 2, JSON.stringify(health?.json));

  // Long-polls first: they also wait until the refused attempts are stored (queued after their reply).
  const waited = await get("GET /api/v1/wait", "/api/v1/wait?to=user@inbox.test&subject=contract&timeout=10", 200);
  const refusal = await get("GET /api/v1/wait", "/api/v1/wait?status=refused&to=blocked@inbox.test&timeout=10", 200);
  const partial = await get("GET /api/v1/wait", "/api/v1/wait?status=partial&timeout=10", 200);
  await get("GET /api/v1/wait", "/api/v1/wait?to=nobody@inbox.test&timeout=200ms", 408);
  await get("GET /api/v1/wait", "/api/v1/wait?timeout=soon", 400);
  await get("GET /api/v1/wait", "/api/v1/wait?code=999", 400);
  contract.expect("the wait for an attempt answers with the rule's refusal", refusal?.json?.reply?.code === 550 && refusal?.json?.status === "refused", JSON.stringify(refusal?.json));
  const id = waited?.json?.id ?? 0;

  // Messages.
  const list = await get("GET /api/v1/messages", "/api/v1/messages", 200);
  contract.expect("GET /api/v1/messages lists the two accepted messages", list?.json?.count === 2, JSON.stringify(list?.json));
  await get("GET /api/v1/messages", "/api/v1/messages?to=user@inbox.test&limit=1", 200);
  await get("GET /api/v1/messages", "/api/v1/messages?since=yesterday", 400);
  await get("GET /api/v1/messages", "/api/v1/messages?limit=0", 400);
  await get("GET /api/v1/messages/{id}", `/api/v1/messages/${id}`, 200);
  await get("GET /api/v1/messages/{id}", "/api/v1/messages/999999", 404);
  await get("GET /api/v1/messages/{id}", "/api/v1/messages/abc", 404);
  await get("GET /api/v1/messages/{id}/raw", `/api/v1/messages/${id}/raw`, 200);
  await get("GET /api/v1/messages/{id}/raw", "/api/v1/messages/999999/raw", 404);
  await get("GET /api/v1/messages/{id}/headers", `/api/v1/messages/${id}/headers`, 200);
  await get("GET /api/v1/messages/{id}/headers", "/api/v1/messages/999999/headers", 404);
  const mime = await get("GET /api/v1/messages/{id}/mime", `/api/v1/messages/${id}/mime`, 200);
  await get("GET /api/v1/messages/{id}/mime", "/api/v1/messages/999999/mime", 404);
  const leaves = mime?.json ? leafPaths(mime.json.root) : [];
  contract.expect("the multipart message has three leaf parts (plain, html, attachment)", leaves.length === 3, JSON.stringify(leaves));
  for (const leaf of leaves) {
    await get("GET /api/v1/messages/{id}/parts/{path}", `/api/v1/messages/${id}/parts/${leaf}`, 200);
  }
  await get("GET /api/v1/messages/{id}/parts/{path}", `/api/v1/messages/${id}/parts/9.9`, 404);
  await get("GET /api/v1/messages/{id}/body/{subtype}", `/api/v1/messages/${id}/body/plain`, 200);
  await get("GET /api/v1/messages/{id}/body/{subtype}", `/api/v1/messages/${id}/body/html`, 200);
  await get("GET /api/v1/messages/{id}/body/{subtype}", `/api/v1/messages/${id}/body/rtf`, 404);
  await get("GET /api/v1/messages/{id}/body/{subtype}", "/api/v1/messages/999999/body/plain", 404);
  await get("GET /api/v1/messages/{id}/auth", `/api/v1/messages/${id}/auth`, 200);
  await get("GET /api/v1/messages/{id}/auth", "/api/v1/messages/999999/auth", 404);
  await get("GET /api/v1/messages/{id}/transcript", `/api/v1/messages/${id}/transcript`, 200);
  await get("GET /api/v1/messages/{id}/transcript", "/api/v1/messages/999999/transcript", 404);

  // Attempts and sessions.
  const attempts = await get("GET /api/v1/attempts", "/api/v1/attempts", 200);
  contract.expect("GET /api/v1/attempts has the refused, the partial and the accepted attempts", attempts?.json?.count >= 3, JSON.stringify(attempts?.json)?.slice(0, 500));
  await get("GET /api/v1/attempts", "/api/v1/attempts?status=refused&code=550&enhanced=5.7.1&reason=rule", 200);
  await get("GET /api/v1/attempts", "/api/v1/attempts?status=maybe", 400);
  await get("GET /api/v1/attempts", "/api/v1/attempts?auth=dmarc=fail", 400);
  for (const attempt of [refusal?.json, partial?.json]) {
    await get("GET /api/v1/attempts/{id}", `/api/v1/attempts/${attempt?.id ?? 0}`, 200);
  }
  await get("GET /api/v1/attempts/{id}", "/api/v1/attempts/999999", 404);
  const sessions = await get("GET /api/v1/sessions", "/api/v1/sessions", 200);
  await get("GET /api/v1/sessions", "/api/v1/sessions?limit=none", 400);
  for (const session of sessions?.json?.sessions ?? []) {
    await get("GET /api/v1/sessions/{id}", `/api/v1/sessions/${session.id}`, 200);
  }
  await get("GET /api/v1/sessions/{id}", "/api/v1/sessions/999999", 404);

  // Rules: read, replaced, refused, and put back.
  const json = { "content-type": "application/json" };
  const rules = await get("GET /api/v1/rules", "/api/v1/rules", 200);
  const replacement = JSON.stringify([{ at: "rcpt", match: { rcpt: "other@inbox.test" }, reply: "550 5.1.1 No such user" }]);
  const put = await call("PUT /api/v1/rules", { path: "/api/v1/rules", headers: json, body: replacement, expect: 200 });
  contract.expect("PUT /api/v1/rules answers with the rules now in force", put?.json?.[0]?.match?.rcpt === "other@inbox.test", JSON.stringify(put?.json));
  await call("PUT /api/v1/rules", { path: "/api/v1/rules", headers: json, body: '{"at": "rcpt"}', expect: 400, note: "not an array" });
  await call("PUT /api/v1/rules", { path: "/api/v1/rules", headers: json, body: '[{"at": "nowhere", "reply": "550"}]', expect: 400, note: "a bad rule" });
  await call("PUT /api/v1/rules", { path: "/api/v1/rules", headers: { "content-type": "text/plain" }, body: replacement, expect: 415 });
  await call("PUT /api/v1/rules", {
    path: "/api/v1/rules",
    headers: { ...json, origin: "http://evil.test" },
    body: replacement,
    expect: 403,
    note: "Origin of another site",
  });
  // Declared, not sent: serve closes after its 413 without reading the rest (no lingering close),
  // so a client still writing a real 1 MiB body may see EPIPE or a reset instead of the answer.
  await call("PUT /api/v1/rules", { path: "/api/v1/rules", headers: json, declaredLength: 2 * 1024 * 1024, expect: 413, note: "Content-Length over 1 MiB" });
  await call("PUT /api/v1/rules", { path: "/api/v1/rules", headers: json, body: JSON.stringify(rules?.json ?? []), expect: 200, note: "the config's rules back" });

  // One message deleted (the plain one), then it is gone.
  const plain = await get("GET /api/v1/messages", "/api/v1/messages?subject=to%20be%20deleted", 200);
  const plainId = plain?.json?.messages?.[0]?.id ?? 0;
  await call("DELETE /api/v1/messages/{id}", { path: `/api/v1/messages/${plainId}`, expect: 200 });
  await call("DELETE /api/v1/messages/{id}", { path: `/api/v1/messages/${plainId}`, expect: 404, note: "again" });
}

// A serve with a token: every /api operation refuses a request without it (401), /healthz answers
// without the count, and with the token the count shows.
async function tokenServe(contract, binary) {
  const serve = await ServeProcess.start(binary, [], { MAILDOG_API_TOKEN: k_token });
  try {
    const port = serve.http.port;
    for (const { key } of contract.document.operations) {
      const sample = contract.samples.get(key);
      if (!sample || !key.split(" ")[1].startsWith("/api/")) {
        continue;
      }
      const response = await contract.call(port, key, { ...sample, beforeRouting: true, expect: 401, note: "no token" });
      if (response && !/^Bearer\b/.test(response.headers["www-authenticate"] ?? "")) {
        contract.fail(`${key}: the 401 carries WWW-Authenticate: Bearer`, [`got ${response.headers["www-authenticate"]}`]);
      }
    }
    const anonymous = await contract.call(port, "GET /healthz", { path: "/healthz", expect: 200, note: "no token" });
    contract.expect("/healthz without the token hides the message count", anonymous?.json && !("messages" in anonymous.json), JSON.stringify(anonymous?.json));
    const known = await contract.call(port, "GET /healthz", { path: "/healthz", headers: { authorization: `Bearer ${k_token}` }, expect: 200, note: "the token" });
    contract.expect("/healthz with the token shows the message count", known?.json?.messages === 0, JSON.stringify(known?.json));
  } finally {
    await serve.stop();
  }
}

// The checker itself refuses what it must: a test that cannot fail proves nothing.
function checkTheChecker(contract) {
  const json = { "content-type": "application/json" };
  const answer = (status, headers, body) => ({ status, headers, body: Buffer.from(body) });
  const cases = [
    ["an undocumented status", answer(299, json, '{"status": "ok"}')],
    ["an undocumented Content-Type", answer(200, { "content-type": "text/plain" }, "ok")],
    ["a body its schema refuses", answer(200, json, '{"status": "fine"}')],
    ["a body that is not JSON", answer(200, json, "{")],
    ["an operation not in the document", answer(200, json, '{"status": "ok"}'), "PATCH /healthz"],
  ];
  for (const [what, response, key = "GET /healthz"] of cases) {
    contract.expect(`the checker refuses ${what}`, contract.document.check(key, response).length > 0);
  }
  contract.expect("the checker accepts a documented answer", contract.document.check("GET /healthz", answer(200, json, '{"status": "ok"}')).length === 0);
}

async function main() {
  const { binary, document: documentPath } = options(process.argv.slice(2));
  const document = await ApiDocument.load(documentPath);
  const contract = new Contract(document);
  contract.expect(`${documentPath}: valid OpenAPI 3.1, every schema compiles as JSON Schema 2020-12`, true);
  checkTheChecker(contract);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "maildog-api-contract-"));
  try {
    await mainServe(contract, binary, dir);
    await tokenServe(contract, binary);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // Every operation of the document was called; the statuses it documents but no call produced are listed.
  for (const { key, operation } of document.operations) {
    const seen = contract.exercised.get(key) ?? new Set();
    if (!contract.reached.has(key)) {
      contract.fail(`${key} is in the document`, ["the test never called it: add a call to tests/api/contract.mjs"]);
      continue;
    }
    const untried = Object.keys(operation.responses ?? {}).filter((status) => !seen.has(status));
    if (untried.length > 0) {
      console.log(`note ${key}: documented but not produced here: ${untried.join(", ")}`);
    }
  }
  console.log(`${contract.passed} passed, ${contract.failures.length} failed`);
  return contract.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`api contract: ${error.stack ?? error}`);
    process.exit(1);
  },
);
