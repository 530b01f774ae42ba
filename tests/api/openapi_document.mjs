// schemas/api.openapi.json as the contract test reads it: checked by an OpenAPI validator
// (@seriousme/openapi-schema-validator: the document against the OpenAPI 3.1 schema, with every
// $ref resolved), every schema in it compiled by Ajv in the JSON Schema 2020-12 dialect (which
// the OpenAPI schema does not look into: `"type": "strin"` passes it), and each real response
// judged against the operation it answers: a documented status, a documented media type, a body
// its schema accepts.
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

export const k_methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
// The document's schemas under one id: `#/components/schemas/X` becomes `${k_base}#/$defs/X`.
const k_base = "https://maildog-ci.invalid/api.openapi.json";
// OpenAPI's additions to JSON Schema (3.1, 4.8.24): words Ajv must accept without meaning.
const k_openapi_keywords = ["discriminator", "xml", "externalDocs", "example"];

function rewriteRefs(value) {
  if (Array.isArray(value)) {
    return value.map(rewriteRefs);
  }
  if (value && typeof value === "object") {
    const copy = {};
    for (const [key, inner] of Object.entries(value)) {
      copy[key] =
        key === "$ref" && typeof inner === "string" && inner.startsWith("#/components/schemas/")
          ? `${k_base}#/$defs/${inner.slice("#/components/schemas/".length)}`
          : rewriteRefs(inner);
    }
    return copy;
  }
  return value;
}

// "#/components/responses/X" in the document, followed until it is not a $ref.
function resolveLocal(doc, value) {
  let seen = 0;
  while (value && typeof value.$ref === "string") {
    if (!value.$ref.startsWith("#/") || ++seen > 20) {
      throw new Error(`cannot follow ${value.$ref}`);
    }
    value = value.$ref
      .slice(2)
      .split("/")
      .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce((node, key) => (node == null ? undefined : node[key]), doc);
    if (value === undefined) {
      throw new Error("a $ref names nothing in the document");
    }
  }
  return value;
}

// "text/plain; charset=utf-8" -> "text/plain".
function mediaType(contentType) {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

// The documented media range that covers `type`: exact, then "text/*", then "*/*" (OpenAPI 3.1, 4.8.14).
function documentedMedia(content, type) {
  const keys = Object.keys(content ?? {});
  const [major] = type.split("/");
  return (
    keys.find((key) => key.toLowerCase() === type) ??
    keys.find((key) => key.toLowerCase() === `${major}/*`) ??
    keys.find((key) => key === "*/*")
  );
}

export class ApiDocument {
  // Validates the document; throws with every finding when the validator or Ajv refuses it.
  static async load(path) {
    const validator = new Validator();
    const result = await validator.validate(path);
    if (!result.valid) {
      throw new Error(`${path} is not a valid OpenAPI document:\n${JSON.stringify(result.errors, null, 2)}`);
    }
    if (!String(validator.version).startsWith("3.1")) {
      throw new Error(`${path}: OpenAPI ${validator.version}, expected 3.1`);
    }
    return new ApiDocument(validator.specification);
  }

  constructor(doc) {
    this.doc = doc;
    this.ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addVocabulary(k_openapi_keywords);
    // The "binary" format of a raw part: bytes, nothing for a JSON validator to check.
    this.ajv.addFormat("binary", true);
    this.ajv.addSchema({ $id: k_base, $defs: rewriteRefs(doc.components?.schemas ?? {}) });
    this.compiled = new Map();
    this.operations = [];
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of k_methods) {
        if (item[method]) {
          this.operations.push({ key: `${method.toUpperCase()} ${path}`, path, method, operation: item[method] });
        }
      }
    }
    // Every schema compiles now: a schema Ajv refuses fails the document, exercised or not.
    for (const { key, operation } of this.operations) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        for (const [type, media] of Object.entries(resolveLocal(doc, response).content ?? {})) {
          if (media.schema) {
            this.validatorFor(`${key} ${status} ${type}`, media.schema);
          }
        }
      }
    }
  }

  validatorFor(name, schema) {
    if (!this.compiled.has(name)) {
      try {
        this.compiled.set(name, this.ajv.compile(rewriteRefs(schema)));
      } catch (error) {
        throw new Error(`the schema of ${name} does not compile as JSON Schema 2020-12: ${error.message}`);
      }
    }
    return this.compiled.get(name);
  }

  operation(key) {
    return this.operations.find((each) => each.key === key);
  }

  // The problems of a request the test sends expecting success: every query parameter is one
  // the operation documents, with a value its schema accepts, every required one is there, and a
  // JSON body matches the documented request body. A parameter serve takes but the document does
  // not name is a gap in the contract too.
  checkRequest(key, target, body) {
    const entry = this.operation(key);
    if (!entry) {
      return [];  // check() reports it
    }
    const problems = [];
    const item = this.doc.paths[entry.path];
    const parameters = [...(item.parameters ?? []), ...(entry.operation.parameters ?? [])]
      .map((parameter) => resolveLocal(this.doc, parameter))
      .filter((parameter) => parameter.in === "query");
    const query = new URL(target, "http://127.0.0.1").searchParams;
    for (const [name, value] of query) {
      const parameter = parameters.find((each) => each.name === name);
      if (!parameter) {
        problems.push(`the query parameter ${name} is not documented for ${key}`);
        continue;
      }
      const type = parameter.schema?.type;
      const typed = (type === "integer" || type === "number") && /^-?[0-9.]+$/.test(value) ? Number(value) : value;
      const validate = this.validatorFor(`${key} query ${name}`, parameter.schema ?? {});
      if (!validate(typed)) {
        problems.push(`the query parameter ${name}=${value} does not match its schema: ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    for (const parameter of parameters) {
      if (parameter.required && !query.has(parameter.name)) {
        problems.push(`the required query parameter ${parameter.name} is missing`);
      }
    }
    const requestBody = entry.operation.requestBody ? resolveLocal(this.doc, entry.operation.requestBody) : null;
    if (body !== undefined && body.length > 0) {
      const schema = requestBody?.content?.["application/json"]?.schema;
      if (!schema) {
        problems.push(`${key} documents no JSON request body, but serve took one`);
      } else {
        const validate = this.validatorFor(`${key} request body`, schema);
        if (!validate(JSON.parse(body))) {
          problems.push(`the request body does not match the documented one: ${this.ajv.errorsText(validate.errors)}`);
        }
      }
    } else if (requestBody?.required) {
      problems.push(`${key} documents a required request body, but serve answered without one`);
    }
    return problems;
  }

  // The problems of one real response to the operation `key` ("GET /api/v1/messages/{id}"); none: [].
  check(key, response) {
    const entry = this.operation(key);
    if (!entry) {
      return [`${key} is not in the document`];
    }
    const responses = entry.operation.responses ?? {};
    const status = String(response.status);
    const documented = responses[status] ?? responses[`${status[0]}XX`] ?? responses.default;
    if (!documented) {
      return [`status ${status} is not documented (documented: ${Object.keys(responses).join(", ")})`];
    }
    const resolved = resolveLocal(this.doc, documented);
    const problems = [];
    for (const [name, header] of Object.entries(resolved.headers ?? {})) {
      if (resolveLocal(this.doc, header).required && response.headers[name.toLowerCase()] === undefined) {
        problems.push(`the documented header ${name} is missing`);
      }
    }
    const content = resolved.content;
    const body = response.body;
    if (!content || Object.keys(content).length === 0) {
      if (body.length > 0) {
        problems.push(`status ${status} is documented without a body, but ${body.length} bytes came`);
      }
      return problems;
    }
    const type = mediaType(response.headers["content-type"]);
    const range = documentedMedia(content, type);
    if (!range) {
      problems.push(`Content-Type ${type || "(none)"} is not documented for ${status} (documented: ${Object.keys(content).join(", ")})`);
      return problems;
    }
    const schema = content[range].schema;
    if (!schema) {
      return problems;
    }
    let instance;
    if (type === "application/json" || type.endsWith("+json")) {
      try {
        instance = JSON.parse(body.toString("utf8"));
      } catch (error) {
        problems.push(`the body is not JSON: ${error.message}`);
        return problems;
      }
    } else {
      instance = body.toString(range === "*/*" ? "latin1" : "utf8");
    }
    const validate = this.validatorFor(`${key} ${status} ${range}`, schema);
    if (!validate(instance)) {
      problems.push(
        `the body does not match the ${status} ${range} schema: ${this.ajv.errorsText(validate.errors, { separator: "; " })}`,
      );
    }
    return problems;
  }
}
