// `maildog-ci serve` as a child process for the contract test: free ports on loopback, the
// addresses and CA file read from its --ready-file (written once both listeners accept), stopped
// with SIGTERM (SIGKILL after a bound).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const k_start_timeout_ms = 20000;
const k_stop_timeout_ms = 15000;

// Serve processes still running when the test ends, however it ends (an exception, a signal, a
// closed stdout): killed then, so none outlives the test holding its ports.
const k_running = new Set();
process.on("exit", () => {
  for (const child of k_running) {
    child.kill("SIGKILL");
  }
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => process.exit(1));
}
process.stdout.on("error", () => process.exit(1));  // EPIPE: whoever read the output is gone

export class ServeProcess {
  // args: extra `serve` options; env: extra environment (MAILDOG_API_TOKEN); dir: where the ready file goes.
  static async start(binary, dir, args, env = {}) {
    const readyFile = path.join(dir, `ready-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    const child = spawn(binary, ["serve", "--smtp-port", "0", "--http-port", "0", "--ready-file", readyFile, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const serve = new ServeProcess(child, readyFile);
    await serve.started();
    return serve;
  }

  constructor(child, readyFile) {
    this.child = child;
    k_running.add(child);
    this.readyFile = readyFile;
    this.output = "";
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        k_running.delete(child);
        resolve({ code, signal });
      }),
    );
    child.stdout.setEncoding("utf8").on("data", (text) => (this.output += text));
    child.stderr.setEncoding("utf8").on("data", (text) => (this.output += text));
  }

  async started() {
    const deadline = Date.now() + k_start_timeout_ms;
    let exited = false;
    this.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      if (fs.existsSync(this.readyFile)) {
        const ready = JSON.parse(fs.readFileSync(this.readyFile, "utf8"));
        const url = new URL(ready.http.url);
        this.smtp = { host: ready.smtp.host, port: ready.smtp.port };
        this.http = { host: url.hostname, port: Number(url.port) };
        this.caFile = ready.ca_file;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.child.kill("SIGKILL");
    throw new Error(`serve did not write its ready file within ${k_start_timeout_ms} ms:\n${this.output}`);
  }

  // SIGTERM now; stop() awaits the exit.
  terminate() {
    this.terminated = true;
    this.child.kill("SIGTERM");
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return this.exited;
    }
    if (!this.terminated) {
      this.terminated = true;
      this.child.kill("SIGTERM");
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), k_stop_timeout_ms);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}
