// `maildog-ci serve` as a child process for the contract test: free ports on loopback, the
// addresses and CA file read from its start-up lines, stopped with SIGTERM (SIGKILL after a bound).
import { spawn } from "node:child_process";

const k_start_timeout_ms = 20000;
const k_stop_timeout_ms = 15000;

export class ServeProcess {
  // args: extra `serve` options; env: extra environment (MAILDOG_API_TOKEN).
  static async start(binary, args, env = {}) {
    const child = spawn(binary, ["serve", "--smtp-port", "0", "--http-port", "0", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const serve = new ServeProcess(child);
    await serve.started();
    return serve;
  }

  constructor(child) {
    this.child = child;
    this.output = "";
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.stdout.setEncoding("utf8").on("data", (text) => (this.output += text));
    child.stderr.setEncoding("utf8").on("data", (text) => (this.output += text));
  }

  async started() {
    const deadline = Date.now() + k_start_timeout_ms;
    let exited = false;
    this.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      const smtp = /^SMTP on (127\.0\.0\.1):([0-9]+)$/m.exec(this.output);
      const http = /^HTTP on (127\.0\.0\.1):([0-9]+) /m.exec(this.output);
      if (smtp && http && /^stop with /m.test(this.output)) {
        this.smtp = { host: smtp[1], port: Number(smtp[2]) };
        this.http = { host: http[1], port: Number(http[2]) };
        this.caFile = /^TLS certificate signed by the CA in (\S+)/m.exec(this.output)?.[1] ?? null;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.child.kill("SIGKILL");
    throw new Error(`serve did not start within ${k_start_timeout_ms} ms:\n${this.output}`);
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return this.exited;
    }
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), k_stop_timeout_ms);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}
