// A small SMTP client for the contract test: one transaction per connection, STARTTLS verified
// against serve's CA file, every reply kept. It sends what the test needs the store to hold (an
// accepted message, refused recipients), not a general-purpose mailer.
import net from "node:net";
import tls from "node:tls";
import fs from "node:fs";

// Replies from one socket: "250-a" lines gather until "250 b"; each reply resolves one read().
class ReplyReader {
  constructor(socket, timeoutMs) {
    this.buffer = "";
    this.lines = [];
    this.waiting = null;
    this.error = null;
    this.timeoutMs = timeoutMs;
    this.attach(socket);
  }

  attach(socket) {
    this.socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk) => {
      this.buffer += chunk;
      this.drain();
    });
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("the server closed the connection")));
  }

  detach() {
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("error");
    this.socket.removeAllListeners("close");
  }

  fail(error) {
    this.error = this.error ?? error;
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = null;
      reject(this.error);
    }
  }

  drain() {
    let end;
    while ((end = this.buffer.indexOf("\r\n")) >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.lines.push(line);
      if (/^[0-9]{3} /.test(line) || /^[0-9]{3}$/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), lines: this.lines };
        this.lines = [];
        this.ready = this.ready ?? [];
        this.ready.push(reply);
      }
    }
    if (this.waiting && this.ready?.length) {
      const { resolve, timer } = this.waiting;
      clearTimeout(timer);
      this.waiting = null;
      resolve(this.ready.shift());
    }
  }

  read() {
    if (this.ready?.length) {
      return Promise.resolve(this.ready.shift());
    }
    if (this.error) {
      return Promise.reject(this.error);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`no SMTP reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = { resolve, reject, timer };
    });
  }
}

// Sends one message. `to` may hold refused recipients: DATA follows when any was accepted.
// Resolves { replies: [{command, code, text}], accepted: [...], refused: [...], final }.
export async function sendMail({ host, port, caFile, from, to, data, timeoutMs = 15000 }) {
  const plain = net.connect({ host, port });
  await new Promise((resolve, reject) => {
    plain.once("connect", resolve);
    plain.once("error", reject);
  });
  const reader = new ReplyReader(plain, timeoutMs);
  let socket = plain;
  const replies = [];
  const command = async (line, expected) => {
    if (line !== null) {
      socket.write(`${line}\r\n`, "latin1");
    }
    const reply = await reader.read();
    replies.push({ command: line ?? "CONNECT", code: reply.code, text: reply.lines.join("\n") });
    if (expected && !expected.includes(reply.code)) {
      throw new Error(`SMTP ${line ?? "greeting"}: expected ${expected.join(" or ")}, got ${reply.lines.join(" | ")}`);
    }
    return reply;
  };
  try {
    await command(null, [220]);
    const ehlo = await command("EHLO client.test", [250]);
    if (caFile) {
      if (!ehlo.lines.some((line) => /^250[- ]STARTTLS$/i.test(line))) {
        throw new Error("the server does not offer STARTTLS though the config asks for it");
      }
      await command("STARTTLS", [220]);
      reader.detach();
      socket = tls.connect({ socket: plain, host, ca: fs.readFileSync(caFile) });
      await new Promise((resolve, reject) => {
        socket.once("secureConnect", resolve);
        socket.once("error", reject);
      });
      reader.attach(socket);
      await command("EHLO client.test", [250]);
    }
    await command(`MAIL FROM:<${from}>`, [250]);
    const accepted = [];
    const refused = [];
    for (const address of to) {
      const reply = await command(`RCPT TO:<${address}>`);
      (reply.code === 250 ? accepted : refused).push({ address, code: reply.code });
    }
    let final = null;
    if (accepted.length > 0) {
      await command("DATA", [354]);
      // Dot-stuffing (RFC 5321 4.5.2), then the end of data.
      const body = data.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..");
      final = await command(`${body}${body.endsWith("\r\n") ? "" : "\r\n"}.`);
    }
    await command("QUIT", [221]);
    return { replies, accepted, refused, final };
  } finally {
    socket.destroy();
  }
}

// A session left in the middle of a message's data (without TLS): serve's SIGTERM lets a
// transaction in flight finish (a session idle between commands gets 421 at once), so serve stays
// up, stopping, until finish() ends the data and quits.
export async function openTransaction({ host, port, from, to, timeoutMs = 15000 }) {
  const socket = net.connect({ host, port });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const reader = new ReplyReader(socket, timeoutMs);
  const step = async (line, expected) => {
    if (line !== null) {
      socket.write(`${line}\r\n`, "latin1");
    }
    const reply = await reader.read();
    if (reply.code !== expected) {
      throw new Error(`SMTP ${line ?? "greeting"}: expected ${expected}, got ${reply.lines.join(" | ")}`);
    }
  };
  try {
    await step(null, 220);
    await step("EHLO client.test", 250);
    await step(`MAIL FROM:<${from}>`, 250);
    await step(`RCPT TO:<${to}>`, 250);
    await step("DATA", 354);
    socket.write("Subject: in flight\r\n\r\nstill being written", "latin1");
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return {
    async finish() {
      try {
        socket.write("\r\n.\r\nQUIT\r\n", "latin1");
        await reader.read();
        await reader.read();
      } catch {
        // serve may have closed it already: either way the transaction is over
      } finally {
        socket.destroy();
      }
    },
  };
}
