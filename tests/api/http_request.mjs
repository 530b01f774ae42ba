// One HTTP request on a connection of its own (no keep-alive pool), with a bounded wait and the
// raw body kept as bytes. `host: null` sends no Host header at all (node:http adds one otherwise);
// `declaredLength: N` sends only the head, with Content-Length N, and no body (a server that
// refuses the length from the head answers without reading a body the client never sends).
import http from "node:http";

const k_request_timeout_ms = 30000;

export function request(port, { method = "GET", path, host, headers = {}, body, declaredLength }) {
  return new Promise((resolve, reject) => {
    const all = { ...headers };
    if (host !== undefined && host !== null) {
      all.host = host;
    }
    if (declaredLength !== undefined) {
      all["content-length"] = declaredLength;
    } else if (body !== undefined) {
      all["content-length"] = Buffer.byteLength(body);
    }
    const outgoing = http.request({
      host: "127.0.0.1",
      port,
      method,
      path,
      headers: all,
      agent: false,
      setHost: host === undefined,
    });
    const timer = setTimeout(() => {
      outgoing.destroy(new Error(`${method} ${path}: no answer within ${k_request_timeout_ms} ms`));
    }, k_request_timeout_ms);
    outgoing.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.on("response", (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) });
        if (declaredLength !== undefined) {
          outgoing.destroy();  // the body it declared is never sent
        }
      });
      response.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    if (declaredLength !== undefined) {
      outgoing.flushHeaders();
    } else {
      outgoing.end(body);
    }
  });
}
