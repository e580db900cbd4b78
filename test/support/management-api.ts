// ONE emulation of the Auth0 Management API (and its token endpoint), over real HTTPS,
// with Auth0's semantics for the endpoints this project calls, and faults on demand.
// Shared by the Action's tests, the simulator and the benchmarks.
import { randomBytes } from "crypto";
import * as https from "https";
import * as zlib from "zlib";
import type { AddressInfo } from "net";
import type { Socket } from "net";
import { AuthorizationServer } from "./authorization-server";
import { assertionProblem, JWT_BEARER, type RegisteredKey } from "./client-assertion";
import { testCertificate } from "./tls";
import { LosslessState } from "./lossless-api";

export interface EmulatedIdentity {
  connection: string;
  provider: string;
  user_id: string;
  isSocial: boolean;
  profileData?: Record<string, unknown>;
}

export interface EmulatedUser {
  user_id: string;
  email?: string;
  email_verified?: unknown;
  created_at: string;
  identities: EmulatedIdentity[];
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  name?: string;
  blocked?: boolean;
  /** Enrolled MFA providers, as Auth0's profile lists them (e.g. ["guardian"]). */
  multifactor?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  at: number;
  /** The application whose token the request carried (Management API requests). */
  client?: string;
  /** With a rate-limit bucket: the x-ratelimit-reset this request was answered with (epoch ms). */
  resetAt?: number;
}

export interface NewUser {
  /** provider|id, e.g. "github|1001" or "auth0|abc". */
  user_id: string;
  connection: string;
  email?: string;
  email_verified?: unknown;
  created_at?: string;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  blocked?: boolean;
  multifactor?: string[];
}

/** A fault injected for matching requests: answer `status` (or nothing) instead of the real answer. */
export interface InjectedFault {
  method: string;
  /** Matched against the request path. */
  path: RegExp;
  /** How many matching requests get the fault. */
  count: number;
  /** "hang": never answer. A number: answer with that status (after carrying out the request when `after`). */
  answer: number | "hang" | "reset";
  /** Carry the request out first, then lose its answer (a commit the client never hears of). */
  after?: boolean;
  /** Body of the faulty answer (default: an Auth0-style error). */
  body?: unknown;
}

export interface EmulatedClient {
  clientId: string;
  clientSecret: string;
  /** Its grant on the Management API (what its tokens carry). */
  scopes: string[];
  name?: string;
  /** Grants to other APIs: listed by /client-grants, never in Management API tokens. */
  otherGrants?: Array<{ audience: string; scopes: string[] }>;
  /** private_key_jwt: the registered public key (then the client has no usable secret). */
  privateKeyJwt?: RegisteredKey;
}

export interface EmulatedActionVersion {
  id: string;
  code: string;
  runtime: string;
  dependencies: Array<{ name: string; version: string }>;
  secrets: Array<{ name: string }>;
  deployed: boolean;
}

export interface EmulatedAction {
  id: string;
  name: string;
  supported_triggers: Array<{ id: string; version: string }>;
  /** The draft (what the dashboard editor shows). */
  code: string;
  runtime: string;
  dependencies: Array<{ name: string; version: string }>;
  secrets: Array<{ name: string }>;
  deployed_version?: EmulatedActionVersion;
  all_changes_deployed: boolean;
}

const SOCIAL = new Set(["github", "google-oauth2", "facebook", "apple", "windowslive", "twitter", "linkedin"]);

function splitId(userId: string): { provider: string; id: string } {
  const bar = userId.indexOf("|");
  return { provider: userId.slice(0, bar), id: userId.slice(bar + 1) };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

export class ManagementApiEmulator {
  readonly users = new Map<string, EmulatedUser>();
  readonly requests: RecordedRequest[] = [];
  readonly clients = new Map<string, EmulatedClient>();
  readonly tokensIssued: string[] = [];
  readonly actions = new Map<string, EmulatedAction>();
  /** The post-login flow, in execution order. */
  postLoginBindings: Array<{ actionId: string; displayName: string }> = [];
  private readonly tokens = new Map<string, { clientId: string; scopes: string[]; expiresAt: number }>();
  private server: https.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private clock = 0;

  /** Added to every response. */
  latencyMs = 0;
  /** "down": every request answers 503; "hang": requests never get an answer. */
  outage: "down" | "hang" | undefined;
  /** Lifetime of issued tokens. */
  tokenLifetimeSeconds = 86_400;
  /** Rate limit: the next `count` requests (token included when `includeToken`) answer 429. */
  private rateLimited = { count: 0, resetInSeconds: 1, useRetryAfter: false, includeToken: false };
  /**
   * A token bucket over the Management API (like Auth0's, per tenant, shared by every caller):
   * every answer, 429 or not, carries x-ratelimit-limit (the bucket), -remaining and -reset (UNIX
   * seconds when a token is back), and an empty bucket answers 429.
   */
  rateLimitBucket: { capacity: number; refillPerSecond: number } | undefined;
  /**
   * The bucket's clock (epoch ms). Benches that compress idle time move it ahead of the wall
   * clock, together with the Actions' (test/support/post-login-runtime.ts, clockOffsetMs).
   */
  now: () => number = Date.now;
  private bucket = { tokens: 0, at: 0 };
  /** Export jobs answer "processing" this many times before "completed". */
  exportPollsBeforeDone = 1;
  private readonly exportJobs = new Map<string, { id: string; fields: string[]; polls: number; created_at: string; snapshot?: Array<Record<string, unknown>> }>();
  /** Export download faults (backfill tests): see faultyDownload. */
  exportDownloadFault: "expired" | "cut" | undefined;
  /** Runs before a link is carried out (for example a concurrent login linking first). */
  beforeLink: ((primaryId: string, secondaryId: string) => void) | undefined;
  /** Faults for matching requests, consumed in order (see `inject`). */
  private faults: InjectedFault[] = [];
  /** Database passwords, by identity (`auth0|id`): they stay with the identity when it is linked. */
  private readonly passwords = new Map<string, string>();
  /** Roles, permissions, Organizations, factors, unlinking and the metadata rules (lossless-api.ts). */
  readonly lossless = new LosslessState();
  /** Applications allowed the password-realm grant, with the connections (realms) they may use. */
  readonly passwordClients = new Map<string, { clientId: string; realms: string[] }>();
  /**
   * The tenant's database connections. When any are listed, POST /users refuses another
   * connection name as Auth0 does (400 inexistent_connection); empty: any name is accepted.
   */
  readonly databaseConnections = new Set<string>();
  /**
   * The tenant's connections as GET /api/v2/connections lists them (read:connections; checkpoint
   * pagination with from/take; `fields` honoured). `options` stands for what a real tenant returns
   * there, secrets included, so a test can see that a caller never asks for it.
   */
  connections: Array<{ name: string; strategy: string; options?: Record<string, unknown> }> = [];
  /**
   * Runs the post-login flow for a password-realm login (the post-login runtime sets it): the
   * authenticated identity and the application; answers who the tokens are for, or why not.
   */
  postLogin: ((identity: string, clientId: string) => Promise<{ status: string; sub?: string; failure?: string }>) | undefined;

  domain = "";

  /** /authorize, the authorization-code grant and the JWKS, for the confirmation flow. */
  readonly oauth = new AuthorizationServer(
    () => this.domain,
    (connection, hint) =>
      [...this.users.values()].find((u) => u.identities[0].connection === connection && hint !== undefined && u.email?.toLowerCase() === hint.toLowerCase())?.user_id,
    (userId) => {
      const user = this.users.get(userId);
      return user ? { connection: user.identities[0].connection } : undefined;
    },
  );

  addClient(client: EmulatedClient): void {
    this.clients.set(client.clientId, client);
  }

  rateLimitNext(count: number, options: { resetInSeconds?: number; useRetryAfter?: boolean; includeToken?: boolean } = {}): void {
    this.rateLimited = { count, resetInSeconds: options.resetInSeconds ?? 1, useRetryAfter: options.useRetryAfter ?? false, includeToken: options.includeToken ?? false };
  }

  /** The next `count` requests matching `method` and `path` get `answer` instead (see InjectedFault). */
  inject(fault: InjectedFault): void {
    this.faults.push({ ...fault });
  }

  /** Every token issued so far stops working (401), as after a signing-key rotation or a revoked grant. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  private takeFault(method: string, path: string): InjectedFault | undefined {
    const fault = this.faults.find((f) => f.count > 0 && f.method === method && f.path.test(path));
    if (fault) fault.count--;
    return fault;
  }

  /** Creates a user as Auth0 would on first sign-in with that identity. */
  createUser(user: NewUser): EmulatedUser {
    const { provider, id } = splitId(user.user_id);
    if (!provider || !id) throw new Error(`user_id must be provider|id, got ${user.user_id}`);
    if (this.users.has(user.user_id)) throw new Error(`user ${user.user_id} exists`);
    // Auth0 stores database and passwordless emails lower-cased; social ones as the IdP sent them.
    const email = user.email !== undefined && (provider === "auth0" || provider === "email") ? user.email.toLowerCase() : user.email;
    this.clock += 1;
    const created: EmulatedUser = {
      user_id: user.user_id,
      email,
      email_verified: user.email_verified ?? false,
      created_at: user.created_at ?? new Date(Date.UTC(2024, 0, 1) + this.clock * 60_000).toISOString(),
      identities: [{ connection: user.connection, provider, user_id: id, isSocial: SOCIAL.has(provider) }],
      app_metadata: clone(user.app_metadata ?? {}),
      user_metadata: clone(user.user_metadata ?? {}),
      ...(user.blocked !== undefined ? { blocked: user.blocked } : {}),
      ...(user.multifactor ? { multifactor: [...user.multifactor] } : {}),
    };
    this.users.set(user.user_id, created);
    if (this.emailIndex && email !== undefined) {
      const key = email.toLowerCase();
      if (!this.emailIndex.has(key)) this.emailIndex.set(key, new Set());
      this.emailIndex.get(key)!.add(user.user_id);
    }
    return clone(created);
  }

  /**
   * Benches with a large tenant: users-by-email and the search look users up by an index of the
   * lower-cased emails given to createUser instead of scanning every user (a 100,000-user scan
   * costs tens of milliseconds, which would be counted as the Action's time). Off by default:
   * the index does not see emails changed by editing `users` directly.
   */
  indexEmails(): void {
    this.emailIndex = new Map();
    for (const user of this.users.values()) {
      if (user.email === undefined) continue;
      const key = user.email.toLowerCase();
      if (!this.emailIndex.has(key)) this.emailIndex.set(key, new Set());
      this.emailIndex.get(key)!.add(user.user_id);
    }
  }

  private emailIndex: Map<string, Set<string>> | undefined;

  /** Users whose email may equal `email` ignoring case: every user, or the index's few. */
  private withEmailLike(email: string): Iterable<EmulatedUser> {
    if (!this.emailIndex) return this.users.values();
    const ids = this.emailIndex.get(email.toLowerCase()) ?? new Set<string>();
    return [...ids].map((id) => this.users.get(id)).filter((u): u is EmulatedUser => u !== undefined);
  }

  /** The user holding this identity (`provider|id`): itself, or the primary it was linked into. */
  holderOf(identity: string): EmulatedUser | undefined {
    const { provider, id } = splitId(identity);
    const holder = [...this.users.values()].find((u) => u.identities.some((i) => i.provider === provider && i.user_id === id));
    return holder && clone(holder);
  }

  user(userId: string): EmulatedUser | undefined {
    const user = this.users.get(userId);
    return user && clone(user);
  }

  /** Requests to the Management API proper (not the token endpoint). */
  apiRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith("/api/v2/"));
  }

  tokenRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === "/oauth/token");
  }

  /** Back to an empty tenant with no faults (the server keeps running). */
  reset(): void {
    this.users.clear();
    this.clients.clear();
    this.actions.clear();
    this.postLoginBindings = [];
    this.exportJobs.clear();
    this.tokens.clear();
    this.latencyMs = 0;
    this.outage = undefined;
    this.rateLimitNext(0);
    this.rateLimitBucket = undefined;
    this.bucket = { tokens: 0, at: 0 };
    this.exportPollsBeforeDone = 1;
    this.beforeLink = undefined;
    this.faults = [];
    this.passwords.clear();
    this.passwordClients.clear();
    this.databaseConnections.clear();
    this.connections = [];
    this.postLogin = undefined;
    this.oauth.reset();
    this.exportDownloadFault = undefined;
    this.lossless.reset();
    this.resetRecords();
  }

  resetRecords(): void {
    this.requests.length = 0;
    this.tokensIssued.length = 0;
  }

  async start(): Promise<string> {
    const { key, cert } = testCertificate();
    this.server = https.createServer({ key, cert }, (req, res) => void this.handle(req, res));
    this.server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.domain = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.domain;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get audience(): string {
    return `https://${this.domain}/api/v2/`;
  }

  private async handle(req: import("http").IncomingMessage, res: import("http").ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", `https://${this.domain}`);
    const record: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, status: 0, at: this.now() };
    const bearer = this.tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (bearer) record.client = bearer.clientId;
    this.requests.push(record);
    if (this.outage === "hang") return; // never answered; the client must time out
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    const headers: Record<string, string> = { "content-type": "application/json" };
    let status = 200;
    let body: unknown;
    try {
      if (this.outage === "down") throw new HttpError(503, "Service Unavailable", "The service is unavailable");
      const isToken = url.pathname === "/oauth/token";
      if (url.pathname.startsWith("/exports/")) return this.download(url, res, record);
      // The authorization server's pages (confirmation): not Management API calls, no rate limit.
      // The browser: the emulation's clients all connect from 127.0.0.1, so they name their address.
      const browser = { ip: String(req.headers["x-forwarded-for"] ?? req.socket.remoteAddress ?? ""), userAgent: String(req.headers["user-agent"] ?? "") };
      const page = url.pathname === "/authorize" && req.method === "GET" ? await this.oauth.authorize(url, browser) : url.pathname === "/.well-known/jwks.json" ? await this.oauth.jwks() : undefined;
      if (page) {
        record.status = page.status;
        res.writeHead(page.status, { "content-type": "application/json", ...(page.headers ?? {}) });
        res.end(page.body === undefined ? "" : JSON.stringify(page.body));
        return;
      }
      if (this.rateLimitBucket && url.pathname.startsWith("/api/v2/")) {
        try {
          this.takeToken(headers);
        } finally {
          record.resetAt = Number(headers["x-ratelimit-reset"]) * 1000;
        }
      }
      if (this.rateLimited.count > 0 && (!isToken || this.rateLimited.includeToken)) {
        this.rateLimited.count--;
        const reset = Math.ceil(Date.now() / 1000) + this.rateLimited.resetInSeconds;
        Object.assign(headers, { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) });
        if (this.rateLimited.useRetryAfter) headers["retry-after"] = String(this.rateLimited.resetInSeconds);
        throw new HttpError(429, "Too Many Requests", "Global limit has been reached", "too_many_requests");
      }
      const raw = Buffer.concat(chunks).toString("utf8");
      const fault = this.takeFault(record.method, url.pathname);
      if (fault?.answer === "hang" && !fault.after) return;
      if (fault?.answer === "reset" && !fault.after) return void req.socket.destroy();
      if (fault && !fault.after) throw new HttpError(fault.answer as number, "Injected", "injected fault");
      ({ status, body } = isToken ? await this.token(tokenParams(req.headers["content-type"] ?? "", raw)) : this.api(req, url, raw));
      if (fault?.answer === "hang") return; // carried out, answer lost
      if (fault?.answer === "reset") return void req.socket.destroy(); // carried out, connection dropped
      if (fault) {
        status = fault.answer as number;
        body = fault.body ?? { statusCode: status, error: "Injected", message: "injected fault" };
      }
    } catch (caught) {
      // A bug in the emulation answers 500 (and says so) instead of leaving the client hanging.
      const err = caught instanceof HttpError ? caught : new HttpError(500, "Internal Server Error", `emulation error: ${(caught as Error)?.message ?? caught}`);
      status = err.status;
      body = isOAuth(url) ? { error: err.errorCode ?? err.error, error_description: err.message } : { statusCode: err.status, error: err.error, message: err.message, ...(err.errorCode ? { errorCode: err.errorCode } : {}) };
    }
    record.status = status;
    res.writeHead(status, headers);
    res.end(body === undefined ? "" : JSON.stringify(body));
  }

  private takeToken(headers: Record<string, string>): void {
    const { capacity, refillPerSecond } = this.rateLimitBucket!;
    const now = this.now();
    if (this.bucket.at === 0) this.bucket = { tokens: capacity, at: now };
    this.bucket.tokens = Math.min(capacity, this.bucket.tokens + ((now - this.bucket.at) / 1000) * refillPerSecond);
    this.bucket.at = now;
    const allowed = this.bucket.tokens >= 1;
    if (allowed) this.bucket.tokens -= 1;
    const nextTokenMs = this.bucket.tokens >= 1 ? 0 : ((1 - this.bucket.tokens) / refillPerSecond) * 1000;
    Object.assign(headers, {
      "x-ratelimit-limit": String(capacity),
      "x-ratelimit-remaining": String(Math.floor(this.bucket.tokens)),
      "x-ratelimit-reset": String(Math.ceil((now + nextTokenMs) / 1000)),
    });
    if (!allowed) throw new HttpError(429, "Too Many Requests", "Global limit has been reached", "too_many_requests");
  }

  /** The export file behind a completed job's `location`: gzipped NDJSON, one user per line. */
  private download(url: URL, res: import("http").ServerResponse, record: RecordedRequest): void {
    if (this.exportDownloadFault) return this.faultyDownload(this.exportDownloadFault, res, record);
    const id = /^\/exports\/([^/]+)\.json\.gz$/.exec(url.pathname)?.[1];
    const job = id ? this.exportJobs.get(id) : undefined;
    if (!job?.snapshot) {
      record.status = 404;
      res.writeHead(404, { "content-type": "application/xml" });
      res.end("<Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    record.status = 200;
    res.writeHead(200, { "content-type": "application/gzip" });
    const gzip = zlib.createGzip();
    gzip.pipe(res);
    for (const user of job.snapshot) gzip.write(`${JSON.stringify(user)}\n`);
    gzip.end();
  }

  /**
   * The password-realm grant (resource-owner password against one connection): checks the
   * password, runs the post-login flow for the identity (the Actions may switch the user), and
   * issues an ID token for whoever the flow ends as.
   */
  private async passwordRealm(params: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const deny = (status: number, error: string, description: string) => ({ status, body: { error, error_description: description } });
    const client = this.passwordClients.get(params.client_id ?? "");
    if (!client) return deny(403, "unauthorized_client", "Grant type 'password-realm' not allowed for the client.");
    if (!client.realms.includes(params.realm ?? "")) return deny(403, "access_denied", "The connection is not enabled for this client.");
    const identity = [...this.users.values()]
      .flatMap((u) => u.identities.map((i) => ({ u, i })))
      .find(({ u, i }) => i.connection === params.realm && (i.profileData?.email ?? u.email) === (params.username ?? "").toLowerCase());
    const key = identity ? `${identity.i.provider}|${identity.i.user_id}` : "";
    if (!identity || this.passwords.get(key) !== params.password) return deny(403, "invalid_grant", "Wrong email or password.");
    if (!this.postLogin) throw new Error("no post-login runtime is attached to the emulation");
    const outcome = await this.postLogin(key, client.clientId);
    if (outcome.status !== "success" || !outcome.sub) return deny(403, "access_denied", outcome.failure ?? "login failed");
    return { status: 200, body: { id_token: this.oauth.issue(outcome.sub, client.clientId), token_type: "Bearer", expires_in: 86_400 } };
  }

  /** POST /oauth/token: one endpoint, one dispatch by grant type. */
  private async token(params: Record<string, string>): Promise<{ status: number; body?: unknown }> {
    switch (params.grant_type) {
      case "client_credentials":
        return this.clientCredentials(params);
      case "authorization_code":
        return this.oauth.exchange(params);
      case PASSWORD_REALM:
        return this.passwordRealm(params);
      default:
        throw new HttpError(400, "unsupported_grant_type", "Unsupported grant type", "unsupported_grant_type");
    }
  }

  private clientCredentials(params: Record<string, string>): { status: number; body: unknown } {
    const client = this.clients.get(params.client_id ?? "");
    if (client?.privateKeyJwt) {
      // private_key_jwt: a signed assertion instead of a secret (client-assertion.ts).
      const problem = params.client_assertion_type !== JWT_BEARER ? "client_assertion required" : assertionProblem(params.client_assertion ?? "", client.clientId, client.privateKeyJwt, this.domain);
      if (problem) throw new HttpError(401, "access_denied", problem, "access_denied");
    } else if (!client || client.clientSecret !== params.client_secret) throw new HttpError(401, "access_denied", "Unauthorized", "access_denied");
    if (params.audience !== this.audience) throw new HttpError(403, "access_denied", "Service not enabled within domain", "access_denied");
    const accessToken = `emu_${randomBytes(24).toString("hex")}`;
    this.tokens.set(accessToken, { clientId: client.clientId, scopes: client.scopes, expiresAt: Date.now() + this.tokenLifetimeSeconds * 1000 });
    this.tokensIssued.push(accessToken);
    return { status: 200, body: { access_token: accessToken, token_type: "Bearer", expires_in: this.tokenLifetimeSeconds, scope: client.scopes.join(" ") } };
  }

  private authorize(req: import("http").IncomingMessage, scope: string): void {
    const header = req.headers.authorization ?? "";
    const grant = this.tokens.get(header.replace(/^Bearer /, ""));
    if (!grant || grant.expiresAt < Date.now()) throw new HttpError(401, "Unauthorized", "Invalid token");
    if (!grant.scopes.includes(scope)) throw new HttpError(403, "Forbidden", `Insufficient scope, expected any of: ${scope}`, "insufficient_scope");
  }

  private existing(id: string): EmulatedUser {
    const user = this.users.get(id);
    if (!user) throw new HttpError(404, "Not Found", "The user does not exist.", "inexistent_user");
    return user;
  }

  private page<T>(url: URL, items: T[], defaultPerPage = 50): { slice: T[]; page: number; perPage: number } {
    const page = Number(url.searchParams.get("page") ?? 0);
    const perPage = Number(url.searchParams.get("per_page") ?? defaultPerPage);
    if (!Number.isInteger(page) || page < 0 || !Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      throw new HttpError(400, "Bad Request", "Query validation error: page or per_page out of range");
    }
    return { slice: items.slice(page * perPage, (page + 1) * perPage), page, perPage };
  }

  /** Tenant configuration endpoints: Actions, trigger bindings, clients, client grants. */
  private configuration(req: import("http").IncomingMessage, url: URL): { status: number; body: unknown } | undefined {
    const method = req.method ?? "GET";
    const path = url.pathname;
    if (method !== "GET") return undefined;
    if (path === "/api/v2/actions/actions") {
      this.authorize(req, "read:actions");
      const name = url.searchParams.get("actionName");
      const trigger = url.searchParams.get("triggerId");
      const all = [...this.actions.values()].filter((a) => (!name || a.name === name) && (!trigger || a.supported_triggers.some((t) => t.id === trigger)));
      const { slice, page, perPage } = this.page(url, all);
      return { status: 200, body: { actions: slice.map(clone), total: all.length, page, per_page: perPage } };
    }
    const actionMatch = /^\/api\/v2\/actions\/actions\/([^/]+)$/.exec(path);
    if (actionMatch) {
      this.authorize(req, "read:actions");
      const action = this.actions.get(decodeURIComponent(actionMatch[1]));
      if (!action) throw new HttpError(404, "Not Found", "That action does not exist.");
      return { status: 200, body: clone(action) };
    }
    if (path === "/api/v2/actions/triggers/post-login/bindings") {
      this.authorize(req, "read:actions");
      const all = this.postLoginBindings.map((b, i) => {
        const action = this.actions.get(b.actionId);
        return { id: `binding-${i}`, trigger_id: "post-login", display_name: b.displayName, action: action ? clone(action) : { id: b.actionId } };
      });
      const { slice, page, perPage } = this.page(url, all, 20);
      return { status: 200, body: { bindings: slice, total: all.length, page, per_page: perPage } };
    }
    if (path === "/api/v2/clients") {
      this.authorize(req, "read:clients");
      const all = [...this.clients.values()].map((c) => ({ client_id: c.clientId, name: c.name ?? c.clientId, app_type: "non_interactive" }));
      const { slice, page, perPage } = this.page(url, all);
      return { status: 200, body: { clients: slice, start: page * perPage, limit: perPage, total: all.length } };
    }
    if (path === "/api/v2/connections") {
      this.authorize(req, "read:connections");
      const name = url.searchParams.get("name");
      const all = this.connections.map((c, i) => ({ id: `con_${String(i).padStart(16, "0")}`, ...clone(c) })).filter((c) => !name || c.name === name);
      const take = Number(url.searchParams.get("take") ?? 50);
      const from = Number(url.searchParams.get("from") ?? 0);
      const fields = url.searchParams.get("fields")?.split(",").filter(Boolean);
      const include = url.searchParams.get("include_fields") !== "false";
      const shown = all.slice(from, from + take).map((c) =>
        fields ? Object.fromEntries(Object.entries(c).filter(([k]) => fields.includes(k) === include)) : c,
      );
      return { status: 200, body: { connections: shown, ...(from + take < all.length ? { next: String(from + take) } : {}) } };
    }
    if (path === "/api/v2/client-grants") {
      this.authorize(req, "read:client_grants");
      const clientId = url.searchParams.get("client_id");
      const grants = [...this.clients.values()]
        .filter((c) => !clientId || c.clientId === clientId)
        .flatMap((c) => [
          ...(c.scopes.length > 0 ? [{ id: `cgr_${c.clientId}_mgmt`, client_id: c.clientId, audience: this.audience, scope: [...c.scopes] }] : []),
          ...(c.otherGrants ?? []).map((g, i) => ({ id: `cgr_${c.clientId}_${i}`, client_id: c.clientId, audience: g.audience, scope: [...g.scopes] })),
        ]);
      return { status: 200, body: { client_grants: grants } };
    }
    return undefined;
  }

  private api(req: import("http").IncomingMessage, url: URL, raw: string): { status: number; body: unknown } {
    const method = req.method ?? "GET";
    const path = url.pathname;
    const configuration = this.configuration(req, url);
    if (configuration) return configuration;
    const lossless = this.lossless.route(method, path, raw, this.users, (...scopes) => scopes.forEach((scope) => this.authorize(req, scope)), url.searchParams);
    if (lossless) return lossless;
    if (method === "POST" && path === "/api/v2/jobs/users-exports") {
      this.authorize(req, "read:users");
      const request = JSON.parse(raw || "{}") as { format?: string; fields?: Array<{ name?: string }> };
      if (request.format !== "json") throw new HttpError(400, "Bad Request", "The emulation exports format json only");
      const fields = (request.fields ?? []).map((f) => String(f.name));
      const job = { id: `job_${randomBytes(8).toString("hex")}`, fields, polls: 0, created_at: new Date().toISOString() };
      this.exportJobs.set(job.id, job);
      return { status: 201, body: { id: job.id, type: "users_export", status: "pending", format: "json", fields: request.fields, created_at: job.created_at } };
    }
    const jobMatch = /^\/api\/v2\/jobs\/([^/]+)$/.exec(path);
    if (jobMatch && method === "GET") {
      this.authorize(req, "read:users");
      const job = this.exportJobs.get(decodeURIComponent(jobMatch[1]));
      if (!job) throw new HttpError(404, "Not Found", "The job does not exist.");
      job.polls++;
      const base = { id: job.id, type: "users_export", format: "json", created_at: job.created_at };
      if (job.polls <= this.exportPollsBeforeDone) return { status: 200, body: { ...base, status: "processing", percentage_done: 50 } };
      // The file reflects the tenant when the job finished.
      job.snapshot ??= [...this.users.values()].map((u) => {
        const record = u as unknown as Record<string, unknown>;
        return Object.fromEntries(job.fields.filter((f) => record[f] !== undefined).map((f) => [f, clone(record[f])]));
      });
      return { status: 200, body: { ...base, status: "completed", location: `https://${this.domain}/exports/${job.id}.json.gz` } };
    }
    if (method === "GET" && path === "/api/v2/users-by-email") {
      this.authorize(req, "read:users");
      const email = url.searchParams.get("email");
      if (!email) throw new HttpError(400, "Bad Request", "Query validation error: 'Missing required property: email'");
      return { status: 200, body: [...this.withEmailLike(email)].filter((u) => u.email === email).map(clone) };
    }
    if (method === "GET" && path === "/api/v2/users") {
      // User search (engine v3): case-insensitive on email. Only the exact-email query the Action sends.
      this.authorize(req, "read:users");
      if (url.searchParams.get("search_engine") !== "v3") throw new HttpError(400, "Bad Request", "search_engine must be v3");
      const match = /^email:"((?:[^"\\]|\\.)*)"$/.exec(url.searchParams.get("q") ?? "");
      if (!match) throw new HttpError(400, "Bad Request", "The emulation supports q=email:\"...\" only");
      const wanted = match[1].replace(/\\(.)/g, "$1").toLowerCase();
      const found = [...this.withEmailLike(wanted)].filter((u) => u.email?.toLowerCase() === wanted);
      return { status: 200, body: this.page(url, found).slice.map(clone) };
    }
    if (method === "POST" && path === "/api/v2/users") {
      // A database user, as the smoke test creates them (connection, email, password).
      this.authorize(req, "create:users");
      const body = JSON.parse(raw || "{}") as { connection?: string; email?: string; password?: string; email_verified?: boolean; user_metadata?: Record<string, unknown>; app_metadata?: Record<string, unknown> };
      if (!body.connection || !body.email || !body.password) throw new HttpError(400, "Bad Request", "Payload validation error: connection, email and password are required");
      if (this.databaseConnections.size > 0 && !this.databaseConnections.has(body.connection)) throw new HttpError(400, "Bad Request", "The connection does not exist.", "inexistent_connection");
      const id = `auth0|${randomBytes(12).toString("hex")}`;
      const metadata = { user_metadata: body.user_metadata, app_metadata: body.app_metadata };
      const created = this.createUser({ user_id: id, connection: body.connection, email: body.email, email_verified: body.email_verified ?? false, ...metadata });
      this.passwords.set(id, body.password);
      return { status: 201, body: created };
    }
    const userMatch = /^\/api\/v2\/users\/([^/]+)$/.exec(path);
    if (userMatch && method === "DELETE") {
      // Deleting a primary deletes the identities linked into it.
      this.authorize(req, "delete:users");
      const user = this.existing(decodeURIComponent(userMatch[1]));
      this.users.delete(user.user_id);
      this.lossless.forget(user.user_id);
      for (const i of user.identities) this.passwords.delete(`${i.provider}|${i.user_id}`);
      return { status: 204, body: undefined };
    }
    if (userMatch && method === "GET") {
      this.authorize(req, "read:users");
      return { status: 200, body: clone(this.existing(decodeURIComponent(userMatch[1]))) };
    }
    if (userMatch && method === "PATCH") {
      this.authorize(req, "update:users");
      const user = this.existing(decodeURIComponent(userMatch[1]));
      const patch = JSON.parse(raw || "{}") as Record<string, unknown>;
      for (const field of ["app_metadata", "user_metadata"] as const) this.lossless.checkFieldNames(field, patch[field]);
      const before = clone(user);
      for (const field of ["app_metadata", "user_metadata"] as const) {
        const changes = patch[field] as Record<string, unknown> | undefined;
        if (!changes) continue;
        // Auth0 merges metadata at the top level; null removes a key.
        for (const [key, value] of Object.entries(changes)) {
          if (value === null) delete user[field][key];
          // Stored as data, whatever the key ("__proto__" included), as a database would.
          else Object.defineProperty(user[field], key, { value: clone(value), enumerable: true, writable: true, configurable: true });
        }
      }
      try {
        this.lossless.checkProfileSize(user);
      } catch (refused) {
        this.users.set(user.user_id, before); // refused: nothing written
        throw refused;
      }
      return { status: 200, body: clone(user) };
    }
    const linkMatch = /^\/api\/v2\/users\/([^/]+)\/identities$/.exec(path);
    if (linkMatch && method === "POST") {
      this.authorize(req, "update:users");
      const primaryId = decodeURIComponent(linkMatch[1]);
      const request = JSON.parse(raw || "{}") as { provider?: string; user_id?: string };
      if (!request.provider || !request.user_id) throw new HttpError(400, "Bad Request", "Payload validation error: 'Missing required property: provider'");
      const secondaryId = `${request.provider}|${request.user_id}`;
      this.beforeLink?.(primaryId, secondaryId);
      const primary = this.existing(primaryId);
      if (secondaryId === primaryId) throw new HttpError(400, "Bad Request", "Main identity and the new one are the same.");
      if (primary.identities.some((i) => i.provider === request.provider && i.user_id === request.user_id)) {
        throw new HttpError(409, "Conflict", "Specified identity already exists", "identity_conflict");
      }
      const secondary = this.users.get(secondaryId);
      if (!secondary) throw new HttpError(400, "Bad Request", "The provided secondary account was not found.");
      if (secondary.identities.length > 1) throw new HttpError(400, "Bad Request", "Unable to link with the secondary account.");
      const linked = { ...secondary.identities[0], profileData: { email: secondary.email, email_verified: secondary.email_verified } };
      // The profile-size rule applies to the primary as the link leaves it (lossless-api.ts).
      this.lossless.checkProfileSize({ ...primary, identities: [...primary.identities, linked] });
      // Auth0 discards the secondary's metadata and removes it as a user.
      this.users.delete(secondaryId);
      this.lossless.forget(secondaryId);
      primary.identities.push(linked);
      return { status: 201, body: clone(primary.identities) };
    }
    throw new HttpError(404, "Not Found", `No route for ${method} ${path}`);
  }

  // ---- Export download faults (the backfill's tests) ----
  /** "expired": 403 like an expired pre-signed link; "cut": half of the gzip file, then the connection drops. */
  private faultyDownload(fault: "expired" | "cut", res: import("http").ServerResponse, record: RecordedRequest): void {
    if (fault === "expired") {
      record.status = 403;
      res.writeHead(403, { "content-type": "application/xml" });
      res.end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
      return;
    }
    record.status = 200;
    res.writeHead(200, { "content-type": "application/gzip" });
    const users = [...this.users.values()].map((u) => JSON.stringify(u)).join("\n");
    const gz = zlib.gzipSync(Buffer.from(`${users}\n`));
    res.write(gz.subarray(0, Math.floor(gz.length / 2)), () => res.destroy());
  }
}

const PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm";

function tokenParams(contentType: string, raw: string): Record<string, string> {
  try {
    return contentType.includes("json") ? (JSON.parse(raw || "{}") as Record<string, string>) : Object.fromEntries(new URLSearchParams(raw));
  } catch {
    return {};
  }
}

function isOAuth(url: URL): boolean {
  return url.pathname.startsWith("/oauth/");
}
