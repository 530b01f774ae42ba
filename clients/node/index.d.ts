// Types of @maildog-ci/testing: maildog-ci's sandbox SMTP server in Node test suites.
// Times are milliseconds; addresses match as serve's filters do (case-insensitive substrings).

import { AssertionError } from 'node:assert';

/** A stage a rule is asked at. */
export type RuleStage = 'connect' | 'helo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'end_of_data';

/** A reply: "550 5.1.1 text", wire lines with one code, or {code, enhanced, text}. */
export type RuleReply = string | string[] | { code: number; enhanced?: string; text?: string | string[] };

/** A rule as in a scenario's `server.rules:` (camelCase or snake_case match keys). */
export interface Rule {
  at: RuleStage;
  match?: {
    rcpt?: string;
    mailFrom?: string;
    mail_from?: string;
    helo?: string;
    clientIp?: string;
    client_ip?: string;
    authUser?: string;
    auth_user?: string;
    header?: Record<string, string>;
    attempt?: number | { min?: number; max?: number };
    probability?: number;
    rate?: { max: number; window: string };
  };
  reply?: RuleReply;
  fault?: unknown;
  /** How many commands it answers before it no longer matches. */
  times?: number;
}

/** A rule as serve shows it: with its id and, when it has `times`, what is left of them. */
export interface InstalledRule extends Rule {
  id: number;
  timesLeft?: number;
}

export interface Reply {
  code: number;
  enhanced?: string;
  text: string;
}

export interface MessageFilter {
  to?: string;
  from?: string;
  subject?: string;
}

export interface MessageSummary {
  id: number;
  received: string;
  sessionId: number;
  from: string;
  to: string[];
  subject: string;
  date: string;
  size: number;
  auth: Record<string, string>;
}

export interface Attachment {
  filename: string;
  contentType: string;
  /** The part's IMAP-style path, e.g. "2". */
  path: string;
  size: number;
  /** The decoded content. */
  content: Buffer;
}

export interface Envelope {
  mailFrom: string;
  mailParameters: Record<string, string>;
  mailReply: Reply;
  recipients: Array<{ address: string; parameters: Record<string, string>; accepted: boolean; reply: Reply; attempt: number }>;
}

export interface LintFinding {
  name: string;
  message: string;
  line: number;
  excerpt: string;
}

export interface AuthResults {
  /** method -> result, e.g. {spf: "pass", dkim: "fail"} */
  results: Record<string, string>;
  /** The Authentication-Results value serve wrote. */
  authenticationResults: string;
  authservId: string;
  methods: Array<{ method: string; result: string; reason?: string; properties: Record<string, string>; comment?: string }>;
}

/** One accepted message, whole. */
export declare class Message {
  id: number;
  received: Date;
  sessionId: number;
  from: string;
  to: string[];
  subject: string;
  date: string;
  size: number;
  envelope: Envelope;
  headers: Array<{ name: string; value: string }>;
  /** The text/plain body a mail reader shows, or null. */
  text: string | null;
  /** The text/html body, or null. */
  html: string | null;
  /** The message as received. */
  raw: Buffer;
  attachments: Attachment[];
  mime: { root: unknown; problems: string[] };
  auth: AuthResults;
  lint: LintFinding[];
  /** serve's JSON for the message, as is. */
  json: Record<string, unknown>;
  /** The first header of that name (any case). */
  header(name: string): string | undefined;
  /** Every header of that name, in order. */
  headerValues(name: string): string[];
}

export interface AttemptSummary {
  id: number;
  at: string;
  status: 'accepted' | 'partial' | 'refused';
  sessionId: number;
  messageId: number | null;
  clientAddress: string;
  helo: string;
  from: string | null;
  recipients: Array<{ address: string; accepted: boolean; reply: Reply }>;
  reply: Reply | null;
  reasons: string[];
  refusals: Array<{ reason: string; command: string; argument: string; recipients: number; reply: Reply }>;
  stage: string | null;
  fault: string | null;
  ended: string | null;
  subject: string;
  size: number;
}

export interface TranscriptLine {
  direction: 'client' | 'server' | 'event';
  text: string;
  offsetMs: number;
}

export interface SessionSummary {
  id: number;
  open: boolean;
  clientAddress: string;
  clientPort: number;
  helo: string;
  esmtp: boolean;
  tls: boolean;
  started: string;
  durationMs: number;
  closeReason: string;
  refusalCount: number;
  [more: string]: unknown;
}

export interface AttemptFilter extends MessageFilter {
  status?: 'accepted' | 'partial' | 'refused';
  code?: number;
  enhanced?: string;
  reason?: string;
  since?: string;
  after?: number;
  before?: number;
  limit?: number;
}

/** A sandbox: its own SMTP port, rules, messages, sessions and attempts. */
export declare class Sandbox {
  /** serve's id ("s1"), or "main" for serve's own sandbox. */
  readonly id: string;
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  /** The base URL of the sandbox's routes (ends with "/"). */
  readonly url: string;
  /** The CA that signs the sandbox's certificate when the config offers TLS, else null. */
  readonly caFile: string | null;
  /** MAILDOG_SMTP_HOST, MAILDOG_SMTP_PORT and (with TLS) MAILDOG_SMTP_CA_FILE, for an app. */
  readonly env: Record<string, string>;

  rules(): Promise<InstalledRule[]>;
  rules(list: Rule[]): Promise<InstalledRule[]>;
  addRule(rule: Rule): Promise<InstalledRule>;
  removeRule(rule: number | InstalledRule): Promise<void>;
  /** Refuses the next `times` (default 1; null: always) matching commands. */
  reject(options: {
    rcpt?: string;
    from?: string;
    at?: RuleStage;
    reply?: RuleReply;
    times?: number | null;
    match?: Rule['match'];
  }): Promise<InstalledRule>;

  messages(filter?: MessageFilter & { since?: string | Date; limit?: number }): Promise<MessageSummary[]>;
  message(id: number): Promise<Message>;
  sessions(options?: { limit?: number }): Promise<SessionSummary[]>;
  session(id: number): Promise<SessionSummary & { transcript: TranscriptLine[] }>;
  attempts(filter?: AttemptFilter): Promise<AttemptSummary[]>;
  attempt(id: number): Promise<AttemptSummary & { transcript: TranscriptLine[]; cause: Record<string, unknown> | null }>;
  /** Deletes every message; resolves to how many there were. */
  clear(): Promise<number>;

  /** A message matching the filter, already there or arriving within `timeout` ms (default 10000). */
  waitFor(filter?: MessageFilter & { timeout?: number }): Promise<Message>;
  /** Fails when a matching message is there or arrives within `within` ms (default 1000). */
  assertNoMail(filter?: MessageFilter & { within?: number }): Promise<void>;
  /** Passes once mail is refused as described within `timeout` ms (default 5000); the attempt. */
  assertRejected(options?: { code?: number; enhanced?: string; to?: string; from?: string; reason?: string; timeout?: number }): Promise<AttemptSummary>;

  /** Deletes the sandbox (for startMaildog's sandbox: and the serve it started). */
  stop(): Promise<void>;
}

/** What startMaildog returns: a sandbox, plus the serve it lives in. */
export interface MaildogBox extends Sandbox {
  readonly server: MaildogServer;
}

export interface StartOptions {
  /** The maildog-ci executable (default: $MAILDOG_CI, then PATH). */
  binary?: string;
  /** A --config file: server: settings (TLS, AUTH, mailboxes, rules) for every sandbox (default: $MAILDOG_CONFIG). */
  config?: string;
  /** More `serve` options, e.g. ["--keep", "100"]. */
  args?: string[];
  env?: Record<string, string>;
  /** An API token (--api-token; attachServer also reads MAILDOG_API_TOKEN). */
  token?: string;
  /** How long serve may take to be ready, in ms (default 20000). */
  startTimeout?: number;
  /** "inherit" shows serve's output; by default it is kept for error messages. */
  stdio?: 'pipe' | 'inherit';
}

export interface StartMaildogOptions extends StartOptions {
  /** A running serve to make the sandbox in (default: $MAILDOG_SERVE_URL; else one is started). */
  url?: string;
  /** The sandbox's label. */
  name?: string;
  /** The sandbox's rules instead of the config's. */
  rules?: Rule[];
}

/** A serve process: started by startServer, or a running one attached to. */
export declare class MaildogServer {
  /** The HTTP API's base URL (ends with "/"); give it to workers as MAILDOG_SERVE_URL. */
  readonly url: string;
  /** serve's own SMTP listener (null when attached). */
  readonly smtp: { host: string; port: number } | null;
  readonly caFile: string | null;
  readonly pid: number | null;
  readonly version: string | null;
  /** A new sandbox in this serve. */
  sandbox(name?: string, options?: { rules?: Rule[] }): Promise<Sandbox>;
  /** serve's own sandbox (the top-level routes); not for attached servers. */
  mainSandbox(): Sandbox;
  /** Every sandbox serve holds, as serve lists them. */
  sandboxes(): Promise<Array<Record<string, unknown>>>;
  /** GET /readyz answers 200. */
  ready(): Promise<boolean>;
  /** Deletes the sandboxes made through this object, and ends serve if this object started it. */
  stop(): Promise<void>;
}

/** One sandbox in its own serve (or in the serve at MAILDOG_SERVE_URL); box.stop() ends both. */
export declare function startMaildog(options?: StartMaildogOptions): Promise<MaildogBox>;
/** Starts `maildog-ci serve` on free ports and resolves once it is ready. */
export declare function startServer(options?: StartOptions): Promise<MaildogServer>;
/** A serve already running, at `url` or $MAILDOG_SERVE_URL. */
export declare function attachServer(options?: { url?: string; token?: string }): Promise<MaildogServer>;
/** Where maildog-ci is: `binary`, else $MAILDOG_CI, else PATH. */
export declare function findBinary(binary?: string): string;

export declare class MaildogError extends Error {
  /** The HTTP status when serve answered with an error. */
  status?: number;
}

/** A failed assertion, worded like maildog-ci's: expected, actual and the transcript. */
export declare class MaildogAssertionError extends AssertionError {
  transcript: string[];
}

/** "MAILDOG_SERVE_URL": the variable attachServer and startMaildog read. */
export declare const URL_ENV: 'MAILDOG_SERVE_URL';
