// The bookkeeping of the contract test: calls an operation of the document, checks the answer
// (the expected status, and status, media type and body against the document), and keeps which
// operations were called and which statuses they produced.
import { request } from "./http_request.mjs";

// "/api/v1/messages/{id}/parts/{path}" -> a pattern the called path must match.
function templatePattern(template) {
  const pieces = template.split(/\{[^}]+\}/).map((piece) => piece.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&"));
  return new RegExp(`^${pieces.join("[^/]+")}$`);
}

// "/api/v1/sandboxes/{sandbox}/messages/{mid}" -> "/api/v1/sandboxes/{}/messages/{}".
function shape(template) {
  return template.replace(/\{[^}]+\}/g, "{}");
}

export class Contract {
  constructor(document) {
    this.document = document;
    this.exercised = new Map();  // "GET /path" -> Set of statuses seen
    this.reached = new Set();  // operations called past the checks that come before routing
    this.samples = new Map();  // "GET /path" -> a request that answered 2xx, for the generic checks
    this.passed = 0;
    this.failures = [];
    // Routes ("GET /readyz") and statuses ("GET /api/v1/wait 410") serve has whose document
    // entries another branch is still writing: while the document lacks them, such answers are
    // checked for the expected status only, and each is listed as pending at the end.
    this.pending = new Set();
  }

  // "DELETE /api/v1/rules/{id}" as the document spells it ("/api/v1/rules/{rule}"): path
  // parameters are matched by place, not name. Not in the document: the key as given.
  keyOf(method, template) {
    const found = this.document.operations.find((each) => each.method === method.toLowerCase() && shape(each.path) === shape(template));
    return found ? found.key : `${method} ${template}`;
  }

  // The operation a request to `template` (an unprefixed /api/v1 path) under the sandbox prefix
  // `base` ("/api/v1/sandboxes/s1") answers: the document's prefixed path when it lists one; else
  // the unprefixed operation when the document declares the prefix once for every data route
  // (info's x-sandbox-prefix); else the prefixed path, which the document then lacks.
  keyFor(method, template, base) {
    const plain = this.keyOf(method, template);
    if (!base) {
      return plain;
    }
    const prefixed = `/api/v1/sandboxes/{sandbox}${template.slice("/api/v1".length)}`;
    const found = this.document.operations.find((each) => each.method === method.toLowerCase() && shape(each.path) === shape(prefixed));
    if (found) {
      return found.key;
    }
    const declared = this.document.doc.info?.["x-sandbox-prefix"];
    return declared && shape(declared) === "/api/v1/sandboxes/{}/" ? plain : `${method} ${prefixed}`;
  }

  // call(port, "GET /api/v1/messages/{id}", {path, expect, base, ...request options}) -> the
  // response, with `json` parsed when it is JSON; null when no answer came. `expect`: a status or
  // a list of them; `base`: the sandbox prefix `path` carries when `key` is an unprefixed route.
  async call(port, key, { expect, base, note, mayReset, beforeRouting, ...options }) {
    const [method, template] = key.split(" ");
    const target = options.path;
    const label = `${key} (${method} ${target.length > 90 ? `${target.slice(0, 90)}...` : target}${note ? `, ${note}` : ""})`;
    let response;
    for (let attempt = 1; !response; ++attempt) {
      try {
        response = await request(port, { method, ...options });
      } catch (error) {
        // serve answers a header over its limit and closes without reading the rest: when the
        // rest arrives later the close is a reset, which can beat the answer (a known serve issue).
        if (mayReset && attempt < 3 && ["EPIPE", "ECONNRESET"].includes(error.code)) {
          console.log(`note ${label}: ${error.code} before the answer, trying again`);
          continue;
        }
        this.fail(label, [`no answer: ${error.message}`]);
        return null;
      }
    }
    const problems = [];
    const path = target.split("?")[0];
    const unprefixed = base && !template.startsWith("/api/v1/sandboxes/") ? `/api/v1${path.slice(base.length)}` : path;
    if (!templatePattern(template).test(unprefixed)) {
      problems.push(`the test's own mistake: ${target} is not a path of ${template}`);
    }
    const expected = Array.isArray(expect) ? expect : [expect];
    if (!expected.includes(response.status)) {
      problems.push(`expected status ${expected.join(" or ")}, got ${response.status}: ${response.body.toString("utf8").slice(0, 300)}`);
    }
    const operation = this.document.operation(key);
    const documented = operation?.operation.responses?.[String(response.status)] !== undefined;
    const waived = operation ? !documented && this.pending.has(`${key} ${response.status}`) : this.pending.has(key);
    if (!waived) {
      problems.push(...this.document.check(key, response));
    }
    // What serve accepted must be what the document says a client may send (a request refused on
    // purpose, expected to fail, is not checked).
    if (response.status < 300 && operation && !beforeRouting) {
      problems.push(...this.document.checkRequest(key, target, options.body));
    }
    if (!this.exercised.has(key)) {
      this.exercised.set(key, new Set());
    }
    this.exercised.get(key).add(String(response.status));
    if (!beforeRouting) {
      this.reached.add(key);
    }
    if (response.status < 300 && !this.samples.has(key)) {
      this.samples.set(key, { path: target, body: options.body, headers: options.headers });
    }
    const type = (response.headers["content-type"] ?? "").split(";")[0].trim();
    if (type === "application/json" && response.body.length > 0) {
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

  // The end: every operation of the document was called past the checks before routing; the
  // statuses it documents but no call produced are listed. Returns the exit code.
  finish() {
    for (const { key, operation } of this.document.operations) {
      const seen = this.exercised.get(key) ?? new Set();
      if (!this.reached.has(key)) {
        this.fail(`${key} is in the document`, ["the test never called it: add a call to tests/api/contract.mjs"]);
        continue;
      }
      const untried = Object.keys(operation.responses ?? {}).filter((status) => !seen.has(status));
      if (untried.length > 0) {
        console.log(`note ${key}: documented but not produced here: ${untried.join(", ")}`);
      }
    }
    for (const entry of this.pending) {
      const [method, template, status] = entry.split(" ");
      const operation = this.document.operation(`${method} ${template}`);
      if (!operation) {
        console.log(`PENDING ${entry}: serve answers it, the document does not list it yet`);
      } else if (status && !operation.operation.responses?.[status]) {
        console.log(`PENDING ${entry}: serve answers it (under a sandbox prefix), the document does not list it yet`);
      }
    }
    console.log(`${this.passed} passed, ${this.failures.length} failed`);
    return this.failures.length === 0 ? 0 : 1;
  }
}
