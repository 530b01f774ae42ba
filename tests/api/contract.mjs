// The HTTP API contract: schemas/api.openapi.json passes an OpenAPI validator, and the real
// responses of the built `maildog-ci serve` match it. Serve runs on loopback with a --config that
// offers STARTTLS, has mailboxes and a rule that refuses; mail is sent over verified TLS so
// messages, sessions and refused attempts exist, in serve's main sandbox and in one made with
// POST /api/v1/sandboxes; then every path and method of the document is called, with its error
// answers (400, 403, 404, 408, 410, 413, 414, 415, 429, 431, 503 while stopping; 401 from a second
// serve with a token), and each answer's status, Content-Type and body are checked against the
// document. Fails when a call's status is not the one expected, when an answer is not
// documented or does not match its schema, and when the document lists an operation this test
// did not call. Runs on Node 18 (Debian 12) and later.
// Usage: node contract.mjs --binary PATH --document PATH
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { Contract } from "./contract_calls.mjs";
import { request } from "./http_request.mjs";
import { ApiDocument } from "./openapi_document.mjs";
import { ServeProcess } from "./serve_process.mjs";
import { openTransaction, sendMail } from "./smtp_client.mjs";

const k_token = "contract-test-token";
const k_json = { "content-type": "application/json" };
const k_blocking_rule = { at: "rcpt", match: { rcpt: "blocked@inbox.test" }, reply: "550 5.7.1 blocked by the contract test" };
// Routes serve has whose document entries another branch is still writing ("GET /readyz"), or
// statuses ("GET /api/v1/wait 410"): checked for the expected status only, and listed as
// PENDING at the end. Empty when the document is complete.
const k_pending_in_document = [];

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

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// "/api/v1/messages?x" under the sandbox prefix "/api/v1/sandboxes/s1": "/api/v1/sandboxes/s1/messages?x".
function under(base, target) {
  return base ? `${base}${target.slice("/api/v1".length)}` : target;
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

// The mail that makes every data route have something to show: an accepted multipart message
// with refused recipients beside it (unknown user, and the rule), a message refused whole by the
// rule, and a plain message the DELETE of one message removes. `where` names the sandbox.
async function sendTheMail(contract, smtp, where) {
  const mixed = await sendMail({
    ...smtp,
    from: "app@example.test",
    to: ["user@inbox.test", "ghost@inbox.test", "blocked@inbox.test"],
    data: k_multipart,
  });
  contract.expect(
    `SMTP (${where}): the multipart message is accepted for user@, refused for ghost@ (mailboxes) and blocked@ (the rule)`,
    mixed.final?.code === 250 &&
      mixed.accepted.map((r) => r.address).join() === "user@inbox.test" &&
      mixed.refused.map((r) => `${r.address}:${r.code}`).join() === "ghost@inbox.test:550,blocked@inbox.test:550",
    JSON.stringify(mixed.replies),
  );
  const refused = await sendMail({ ...smtp, from: "app@example.test", to: ["blocked@inbox.test"], data: "" });
  contract.expect(
    `SMTP (${where}): a message only for blocked@ is refused at RCPT by the rule`,
    refused.final === null && refused.refused[0]?.code === 550,
    JSON.stringify(refused.replies),
  );
  const doomed = await sendMail({ ...smtp, from: "app@example.test", to: ["user@inbox.test"], data: plainMessage("user@inbox.test", "to be deleted") });
  contract.expect(`SMTP (${where}): the plain message is accepted`, doomed.final?.code === 250, JSON.stringify(doomed.replies));
}

// The routes outside /api/v1: the inspector, its files, the health and readiness checks.
async function exerciseServer(contract, port) {
  const get = (key, target, expect) => contract.call(port, key, { path: target, expect });
  await get("GET /", "/", 200);
  await get("GET /assets/{file}", "/assets/inspector.css", 200);
  await get("GET /assets/{file}", "/assets/inspector.js", 200);
  await get("GET /assets/{file}", "/assets/nothing.txt", 404);
  await get("GET /view", "/view", 200);
  await get("GET /view", "/view?remote=1", 200);
  const health = await get("GET /healthz", "/healthz", 200);
  contract.expect("/healthz without a server token shows the message count (2)", health?.json?.messages === 2, JSON.stringify(health?.json));
  const ready = await get("GET /readyz", "/readyz", 200);
  contract.expect("/readyz says ready", ready?.json?.status === "ready", JSON.stringify(ready?.json));
}

// Every data route of one sandbox: serve's main one (base "") or one made over the API (base
// "/api/v1/sandboxes/s1"), whose store holds the mail of sendTheMail.
async function exerciseData(contract, port, base) {
  const where = base || "the main sandbox";
  const call = (method, template, target, options) =>
    contract.call(port, contract.keyFor(method, template, base), { path: under(base, target), base, ...options });
  const get = (template, target, expect, extra = {}) => call("GET", template, target, { expect, ...extra });

  // Long-polls first: they also wait until the refused attempts are stored (queued after their reply).
  const waited = await get("/api/v1/wait", "/api/v1/wait?to=user@inbox.test&subject=contract&timeout=10", 200);
  const refusal = await get("/api/v1/wait", "/api/v1/wait?status=refused&to=blocked@inbox.test&timeout=10", 200);
  const partial = await get("/api/v1/wait", "/api/v1/wait?status=partial&timeout=10", 200);
  await get("/api/v1/wait", "/api/v1/wait?to=nobody@inbox.test&timeout=200ms", 408);
  await get("/api/v1/wait", "/api/v1/wait?timeout=soon", 400);
  await get("/api/v1/wait", "/api/v1/wait?code=999", 400);
  contract.expect(`${where}: the wait for an attempt answers with the rule's refusal`, refusal?.json?.reply?.code === 550 && refusal?.json?.status === "refused", JSON.stringify(refusal?.json));
  const id = waited?.json?.id ?? 0;

  // Messages.
  const list = await get("/api/v1/messages", "/api/v1/messages", 200);
  contract.expect(`${where}: GET messages lists its two accepted messages, no other sandbox's`, list?.json?.count === 2, JSON.stringify(list?.json));
  await get("/api/v1/messages", "/api/v1/messages?to=user@inbox.test&limit=1", 200);
  await get("/api/v1/messages", "/api/v1/messages?since=yesterday", 400);
  await get("/api/v1/messages", "/api/v1/messages?limit=0", 400);
  await get("/api/v1/messages/{id}", `/api/v1/messages/${id}`, 200);
  await get("/api/v1/messages/{id}", "/api/v1/messages/999999", 404);
  await get("/api/v1/messages/{id}", "/api/v1/messages/abc", 404);
  for (const sub of ["raw", "headers", "mime", "auth", "transcript"]) {
    await get(`/api/v1/messages/{id}/${sub}`, "/api/v1/messages/999999/" + sub, 404);
  }
  await get("/api/v1/messages/{id}/raw", `/api/v1/messages/${id}/raw`, 200);
  await get("/api/v1/messages/{id}/headers", `/api/v1/messages/${id}/headers`, 200);
  await get("/api/v1/messages/{id}/auth", `/api/v1/messages/${id}/auth`, 200);
  await get("/api/v1/messages/{id}/transcript", `/api/v1/messages/${id}/transcript`, 200);
  const mime = await get("/api/v1/messages/{id}/mime", `/api/v1/messages/${id}/mime`, 200);
  const leaves = mime?.json ? leafPaths(mime.json.root) : [];
  contract.expect(`${where}: the multipart message has three leaf parts (plain, html, attachment)`, leaves.length === 3, JSON.stringify(leaves));
  for (const leaf of leaves) {
    await get("/api/v1/messages/{id}/parts/{path}", `/api/v1/messages/${id}/parts/${leaf}`, 200);
  }
  await get("/api/v1/messages/{id}/parts/{path}", `/api/v1/messages/${id}/parts/9.9`, 404);
  await get("/api/v1/messages/{id}/body/{subtype}", `/api/v1/messages/${id}/body/plain`, 200);
  await get("/api/v1/messages/{id}/body/{subtype}", `/api/v1/messages/${id}/body/html`, 200);
  await get("/api/v1/messages/{id}/body/{subtype}", `/api/v1/messages/${id}/body/html?remote=1`, 200);
  await get("/api/v1/messages/{id}/body/{subtype}", `/api/v1/messages/${id}/body/rtf`, 404);
  await get("/api/v1/messages/{id}/body/{subtype}", "/api/v1/messages/999999/body/plain", 404);

  // Attempts and sessions.
  const attempts = await get("/api/v1/attempts", "/api/v1/attempts", 200);
  contract.expect(`${where}: GET attempts has the refused, the partial and the accepted attempts`, attempts?.json?.count === 3, JSON.stringify(attempts?.json)?.slice(0, 500));
  await get("/api/v1/attempts", "/api/v1/attempts?status=refused&code=550&enhanced=5.7.1&reason=rule", 200);
  await get("/api/v1/attempts", "/api/v1/attempts?status=maybe", 400);
  await get("/api/v1/attempts", "/api/v1/attempts?auth=dmarc=fail", 400);
  for (const attempt of [refusal?.json, partial?.json]) {
    await get("/api/v1/attempts/{id}", `/api/v1/attempts/${attempt?.id ?? 0}`, 200);
  }
  await get("/api/v1/attempts/{id}", "/api/v1/attempts/999999", 404);
  const sessions = await get("/api/v1/sessions", "/api/v1/sessions", 200);
  await get("/api/v1/sessions", "/api/v1/sessions?limit=none", 400);
  for (const session of sessions?.json?.sessions ?? []) {
    await get("/api/v1/sessions/{id}", `/api/v1/sessions/${session.id}`, 200);
  }
  await get("/api/v1/sessions/{id}", "/api/v1/sessions/999999", 404);

  // Rules: read, replaced, refused, and put back.
  const rules = await get("/api/v1/rules", "/api/v1/rules", 200);
  const replacement = JSON.stringify([{ at: "rcpt", match: { rcpt: "other@inbox.test" }, reply: "550 5.1.1 No such user" }]);
  const put = (extra) => call("PUT", "/api/v1/rules", "/api/v1/rules", { headers: k_json, body: replacement, ...extra });
  const replaced = await put({ expect: 200 });
  contract.expect(`${where}: PUT rules answers with the rules now in force`, replaced?.json?.[0]?.match?.rcpt === "other@inbox.test", JSON.stringify(replaced?.json));
  await put({ body: '{"at": "rcpt"}', expect: 400, note: "not an array" });
  await put({ body: '[{"at": "nowhere", "reply": "550"}]', expect: 400, note: "a bad rule" });
  await put({ headers: { "content-type": "text/plain" }, expect: 415 });
  await put({ headers: { ...k_json, origin: "http://evil.test" }, expect: 403, note: "Origin of another site" });
  // Declared, not sent: serve closes after its 413 without reading the rest (no lingering close),
  // so a client still writing a real 1 MiB body may see EPIPE or a reset instead of the answer.
  await put({ body: undefined, declaredLength: 2 * 1024 * 1024, expect: 413, note: "Content-Length over 1 MiB" });
  await put({ body: JSON.stringify(rules?.json ?? []), expect: 200, note: "the rules back" });

  // Rules one by one: POST adds one (with its id, and times_left for times), DELETE removes it.
  const once = { at: "rcpt", match: { rcpt: "twice@inbox.test" }, reply: "451 4.7.1 Try again later", times: 2 };
  const post = (extra) => call("POST", "/api/v1/rules", "/api/v1/rules", { headers: k_json, body: JSON.stringify(once), ...extra });
  const added = await post({ expect: 201 });
  contract.expect(
    `${where}: POST rules answers with the rule, a new id and times_left 2`,
    Number.isInteger(added?.json?.id) && added?.json?.times_left === 2 && added?.json?.match?.rcpt === "twice@inbox.test",
    JSON.stringify(added?.json),
  );
  await post({ body: JSON.stringify([once]), expect: 400, note: "an array, not one rule" });
  await post({ body: JSON.stringify({ ...once, colour: "red" }), expect: 400, note: "an unknown field" });
  await post({ body: JSON.stringify({ ...once, times: 0 }), expect: 400, note: "times 0" });
  await post({ body: "{", expect: 400, note: "not JSON" });
  await post({ headers: { "content-type": "text/plain" }, expect: 415 });
  await post({ body: undefined, declaredLength: 2 * 1024 * 1024, expect: 413, note: "Content-Length over 1 MiB" });
  const withIds = await get("/api/v1/rules", "/api/v1/rules", 200, { note: "with the added rule" });
  const listed = (withIds?.json ?? []).find((rule) => rule.id === added?.json?.id);
  contract.expect(`${where}: GET rules lists the added rule last, with its id and times_left`, listed?.times_left === 2 && withIds.json.at(-1) === listed, JSON.stringify(withIds?.json));
  await call("DELETE", "/api/v1/rules/{id}", `/api/v1/rules/${added?.json?.id ?? 0}`, { expect: 204 });
  await call("DELETE", "/api/v1/rules/{id}", `/api/v1/rules/${added?.json?.id ?? 0}`, { expect: 404, note: "again" });
  await call("DELETE", "/api/v1/rules/{id}", "/api/v1/rules/none", { expect: 404, note: "not an id" });
  const back = await get("/api/v1/rules", "/api/v1/rules", 200, { note: "after the DELETE" });
  contract.expect(`${where}: the DELETE took the rule out`, !(back?.json ?? []).some((rule) => rule.id === added?.json?.id), JSON.stringify(back?.json));

  // One message deleted (the plain one), then it is gone.
  const plain = await get("/api/v1/messages", "/api/v1/messages?subject=to%20be%20deleted", 200);
  const plainId = plain?.json?.messages?.[0]?.id ?? 0;
  await call("DELETE", "/api/v1/messages/{id}", `/api/v1/messages/${plainId}`, { expect: 200 });
  await call("DELETE", "/api/v1/messages/{id}", `/api/v1/messages/${plainId}`, { expect: 404, note: "again" });
}

// POST, GET and DELETE /api/v1/sandboxes with their errors (serve runs with --max-sandboxes 2);
// returns the base of the sandbox kept for exerciseData and its SMTP address.
async function exerciseSandboxes(contract, port, caFile) {
  const call = (key, options) => contract.call(port, key, options);
  const post = (body, expect, extra = {}) =>
    call("POST /api/v1/sandboxes", { path: "/api/v1/sandboxes", headers: k_json, body, expect, ...extra });
  const made = await post(JSON.stringify({ name: "contract", rules: [k_blocking_rule] }), 201);
  const kept = made?.json ?? {};
  contract.expect(
    "POST /api/v1/sandboxes: its own SMTP port on loopback, serve's CA, its URL under the prefix",
    kept.smtp?.port > 0 && kept.ca_file === caFile && kept.url === `http://127.0.0.1:${port}/api/v1/sandboxes/${kept.id}/`,
    JSON.stringify(kept),
  );
  await post("{not json", 400, { note: "not JSON" });
  await post(JSON.stringify({ colour: "red" }), 400, { note: "an unknown field" });
  await post(JSON.stringify({ rules: [{ at: "nowhere", reply: "550" }] }), 400, { note: "a bad rule" });
  await post(JSON.stringify({ name: "x" }), 415, { headers: { "content-type": "text/plain" } });
  await post(undefined, 413, { declaredLength: 2 * 1024 * 1024, note: "Content-Length over 1 MiB" });
  const spare = (await post(undefined, 201, { headers: {}, note: "no body" }))?.json?.id ?? "s0";
  await post(undefined, 429, { headers: {}, note: "beyond --max-sandboxes 2" });
  const listed = await call("GET /api/v1/sandboxes", { path: "/api/v1/sandboxes", expect: 200 });
  contract.expect("GET /api/v1/sandboxes lists both", listed?.json?.sandboxes?.length === 2, JSON.stringify(listed?.json));
  await call("GET /api/v1/sandboxes/{sandbox}", { path: `/api/v1/sandboxes/${kept.id}`, expect: 200 });
  await call("GET /api/v1/sandboxes/{sandbox}", { path: "/api/v1/sandboxes/s999", expect: 404 });
  await call("DELETE /api/v1/sandboxes/{sandbox}", { path: `/api/v1/sandboxes/${spare}`, expect: 204 });
  await call("DELETE /api/v1/sandboxes/{sandbox}", { path: `/api/v1/sandboxes/${spare}`, expect: 404, note: "again" });
  // Every data route under the prefix of the deleted sandbox: 404 before its handler.
  const gone = `/api/v1/sandboxes/${spare}`;
  for (const { key, path: template } of contract.document.operations) {
    const sample = contract.samples.get(key) ?? (template.includes("{") ? null : { path: template });
    if (!sample || !template.startsWith("/api/v1/") || template.startsWith("/api/v1/sandboxes")) {
      continue;
    }
    const [method] = key.split(" ");
    await contract.call(port, contract.keyFor(method, template, gone), {
      ...sample,
      path: under(gone, sample.path),
      base: gone,
      beforeRouting: true,
      expect: 404,
      note: "a deleted sandbox",
    });
  }

  // A wait in a sandbox deleted meanwhile ends with 410. The DELETE must come after the wait
  // started (else the wait finds no sandbox: 404), so it is tried again with a longer head start.
  let ended = false;
  for (let attempt = 1; attempt <= 3 && !ended; ++attempt) {
    const doomed = (await post(undefined, 201, { headers: {}, note: "for a wait" }))?.json?.id ?? "s0";
    const base = `/api/v1/sandboxes/${doomed}`;
    const waiting = contract.call(port, contract.keyFor("GET", "/api/v1/wait", base), {
      path: under(base, "/api/v1/wait?to=nobody@inbox.test&timeout=20"),
      base,
      expect: [404, 410],
      note: "its sandbox deleted meanwhile",
    });
    await delay(200 * attempt);
    await call("DELETE /api/v1/sandboxes/{sandbox}", { path: base, expect: 204 });
    ended = (await waiting)?.status === 410;
  }
  contract.expect("a wait in a sandbox deleted meanwhile ends with 410", ended);
  return { base: `/api/v1/sandboxes/${kept.id}`, smtp: { host: kept.smtp?.host, port: kept.smtp?.port, caFile: kept.ca_file } };
}

// Every operation gets the answers that come before routing: no Host (400), a Host that is not
// this server (403), a target over 8 KiB (414), a header over the limit (431). They apply to
// every path, so each operation must document them.
async function genericRefusals(contract, port) {
  for (const { key } of contract.document.operations) {
    const [, template] = key.split(" ");
    // An operation without path parameters needs no sample: these answers come before its handler.
    const sample = contract.samples.get(key) ?? (template.includes("{") ? null : { path: template });
    if (!sample) {
      continue;  // reported as not exercised at the end
    }
    const common = { path: sample.path, body: sample.body, headers: sample.headers, beforeRouting: true };
    await contract.call(port, key, { ...common, host: null, expect: 400, note: "no Host header" });
    await contract.call(port, key, { ...common, host: "evil.test", expect: 403, note: "Host evil.test" });
    await contract.call(port, key, {
      ...common,
      path: `${sample.path}${sample.path.includes("?") ? "&" : "?"}padding=${"x".repeat(9 * 1024)}`,
      mayReset: true,
      expect: 414,
      note: "a 9 KiB target",
    });
    await contract.call(port, key, {
      ...common,
      headers: { ...sample.headers, "x-padding": "x".repeat(40 * 1024) },
      mayReset: true,
      expect: 431,
      note: "a 40 KiB header",
    });
  }
}

// serve stopping: /readyz says 503 while a transaction in flight keeps it up, then it exits 0
// and removes its ready file.
async function stopServe(contract, serve) {
  const open = await openTransaction({ ...serve.smtp, from: "late@example.test", to: "user@inbox.test" });
  serve.terminate();
  let stopping = false;
  for (let i = 0; i < 100 && !stopping; ++i) {
    const answer = await request(serve.http.port, { path: "/readyz" }).catch(() => null);
    stopping = answer?.status === 503;
    if (!stopping) {
      await delay(50);
    }
  }
  await contract.call(serve.http.port, "GET /readyz", { path: "/readyz", expect: 503, note: "stopping" });
  await open.finish();
  const stopped = await serve.stop();
  contract.expect("serve stops on SIGTERM with exit code 0", stopped.code === 0, `${JSON.stringify(stopped)}\n${serve.output}`);
  contract.expect("serve removed its ready file", !fs.existsSync(serve.readyFile));
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
      `    - ${JSON.stringify(k_blocking_rule)}`,
      "",
    ].join("\n"),
  );
  const serve = await ServeProcess.start(binary, dir, ["--config", config, "--max-sandboxes", "2"]);
  try {
    const port = serve.http.port;
    contract.expect("serve offers STARTTLS with a CA file", serve.caFile !== null && fs.existsSync(serve.caFile), serve.output);
    await sendTheMail(contract, { ...serve.smtp, caFile: serve.caFile }, "main");
    await exerciseServer(contract, port);
    await exerciseData(contract, port, "");
    const sandbox = await exerciseSandboxes(contract, port, serve.caFile);
    await sendTheMail(contract, sandbox.smtp, sandbox.base);
    await exerciseData(contract, port, sandbox.base);
    await genericRefusals(contract, port);
    // Last: they empty the stores the calls above read. One message is left in each.
    for (const base of ["", sandbox.base]) {
      const cleared = await contract.call(port, contract.keyFor("DELETE", "/api/v1/messages", base), { path: under(base, "/api/v1/messages"), base, expect: 200 });
      contract.expect(`DELETE messages (${base || "main"}) removed the one message left there`, cleared?.json?.deleted === 1, JSON.stringify(cleared?.json));
    }
    await stopServe(contract, serve);
  } finally {
    await serve.stop();
  }
}

// A serve with a token: every /api operation refuses a request without it (401), /healthz and
// /readyz answer without it (the count hidden), and with the token the count shows.
async function tokenServe(contract, binary, dir) {
  const serve = await ServeProcess.start(binary, dir, [], { MAILDOG_API_TOKEN: k_token });
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
    await contract.call(port, "GET /readyz", { path: "/readyz", expect: 200, note: "no token" });
  } finally {
    await serve.stop();
  }
}

// The checker itself refuses what it must: a test that cannot fail proves nothing.
function checkTheChecker(contract) {
  const answer = (status, headers, body) => ({ status, headers, body: Buffer.from(body) });
  const cases = [
    ["an undocumented status", answer(299, k_json, '{"status": "ok"}')],
    ["an undocumented Content-Type", answer(200, { "content-type": "text/plain" }, "ok")],
    ["a body its schema refuses", answer(200, k_json, '{"status": "fine"}')],
    ["a body that is not JSON", answer(200, k_json, "{")],
    ["an operation not in the document", answer(200, k_json, '{"status": "ok"}'), "PATCH /healthz"],
  ];
  for (const [what, response, key = "GET /healthz"] of cases) {
    contract.expect(`the checker refuses ${what}`, contract.document.check(key, response).length > 0);
  }
  contract.expect("the checker accepts a documented answer", contract.document.check("GET /healthz", answer(200, k_json, '{"status": "ok"}')).length === 0);
}

async function main() {
  const { binary, document: documentPath } = options(process.argv.slice(2));
  const document = await ApiDocument.load(documentPath);
  const contract = new Contract(document);
  for (const key of k_pending_in_document) {
    contract.pending.add(key);
  }
  contract.expect(`${documentPath}: valid OpenAPI 3.1, every schema compiles as JSON Schema 2020-12`, true);
  checkTheChecker(contract);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "maildog-api-contract-"));
  // Also when the test is cut short (a signal, a closed stdout): serve_process kills serve first.
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    await mainServe(contract, binary, dir);
    await tokenServe(contract, binary, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return contract.finish();
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`api contract: ${error.stack ?? error}`);
    process.exit(1);
  },
);
