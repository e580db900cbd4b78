// The Management API, as thin as it can be: five calls over fetch (no SDK to load on a cold
// container), one token per container shared through a sealed api.cache entry, a time budget,
// and the tenant's rate limit read from every answer (rate-limit.ts): a 429 is never waited out
// inside a login, and nothing is sent until its reset.
import { createCipheriv, createDecipheriv, randomBytes } from "crypto";
import type { ActionCache } from "./auth0-types";
import type { Account, Grants, Holdings, LinkStep, MetadataPatch } from "./decide";
import { RateLimitGate } from "./rate-limit";

export interface ManagementSettings {
  domain: string;
  audience: string;
  clientId: string;
  clientSecret: string;
  /** Seals the token shared through api.cache (see deriveKey). */
  sealKey: Buffer;
}

/** Stable failure codes; they end up in reason codes and logs (never the server's message). */
export type FailureCode =
  | "configuration"
  | "rate_limited"
  | "timeout"
  /** The connection failed after the request may have been sent: no answer, outcome unknown. */
  | "no_answer"
  | "unavailable"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "bad_request"
  | "bad_response"
  | "budget_exhausted";

export class ManagementApiError extends Error {
  constructor(
    readonly code: FailureCode,
    readonly status?: number,
  ) {
    super(code);
    this.name = "ManagementApiError";
  }

  /** Auth0 answered and refused (a 4xx about this request): retrying now would be refused again. */
  get refused(): boolean {
    return this.code === "bad_request" || this.code === "conflict" || this.code === "not_found";
  }

  /** The request may have been carried out without us seeing the answer. */
  get outcomeUnknown(): boolean {
    return this.code === "timeout" || this.code === "no_answer" || this.code === "unavailable" || this.code === "bad_response";
  }
}

/** One page of a holdings list; a user with this many roles or memberships is not linked automatically. */
export const HOLDINGS_PAGE = 100;

/** "<resource_server_identifier> <permission_name>" as the permissions endpoints want it (identifiers have no spaces). */
export function permissionBody(permission: string): { resource_server_identifier: string; permission_name: string } {
  const space = permission.indexOf(" ");
  return { resource_server_identifier: permission.slice(0, space), permission_name: permission.slice(space + 1) };
}

/** One page of user search: more accounts than fit are refused anyway (MAX_OTHER_ACCOUNTS). */
export const SEARCH_PAGE = 50;
/** Whole budget for Management API work in one login; Auth0 kills the Action at 20 s. */
export const BUDGET_MS = 10_000;
/** Per-request ceiling (Auth0's guidance is under 10 s). */
const REQUEST_TIMEOUT_MS = 4_000;
/** Do not start a request with less time than this left. */
const MIN_REQUEST_MS = 500;
/** Kept back when linking, so a lost answer can still be re-read. */
export const REREAD_RESERVE_MS = 1_500;
/** A cached token is used only while it has this much life left. */
const TOKEN_MARGIN_MS = 60_000;
const CACHE_KEY = "account-linking:mgmt-token";
const CACHE_VALUE_LIMIT = 4_000;
const CACHE_TTL_LIMIT_MS = 24 * 60 * 60 * 1000;

interface CachedToken {
  token: string;
  expiresAt: number;
  owner: string;
}

// Module scope survives between logins on a warm Node 22 container.
let containerToken: CachedToken | undefined;
// In a bucket smaller than one pass, Management API requests of this container take turns.
let smallBucketTurn: Promise<void> = Promise.resolve();
// One token request at a time per container: concurrent logins wait for the same answer.
let tokenInFlight: Promise<CachedToken> | undefined;

/** Milliseconds until the server lets us in again: Retry-After first, then X-RateLimit-Reset (epoch seconds). */
export function rateLimitWait(headers: { get(name: string): string | null } | undefined, now: number): number | undefined {
  const retryAfter = Number(headers?.get("retry-after") ?? NaN);
  if (Number.isFinite(retryAfter)) return Math.max(0, retryAfter * 1000);
  const reset = Number(headers?.get("x-ratelimit-reset") ?? NaN);
  return Number.isFinite(reset) ? Math.max(0, reset * 1000 - now) : undefined;
}

const FAILURES: Record<number, FailureCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  408: "timeout",
  409: "conflict",
  429: "rate_limited",
};

function failureFor(status: number): FailureCode {
  return FAILURES[status] ?? "unavailable";
}

/** AES-256-GCM with the owner as associated data: other Actions on the trigger read only noise. */
function seal(token: CachedToken, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(token.owner));
  const body = Buffer.concat([cipher.update(JSON.stringify(token), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

function unseal(value: string, key: Buffer, owner: string): CachedToken | undefined {
  try {
    const raw = Buffer.from(value, "base64");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(owner));
    decipher.setAuthTag(raw.subarray(12, 28));
    const parsed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")) as CachedToken;
    return typeof parsed.token === "string" && typeof parsed.expiresAt === "number" && parsed.owner === owner ? parsed : undefined;
  } catch {
    return undefined; // not ours, corrupted, or sealed with a rotated secret
  }
}

interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Leave this much of the budget unused by this request (to re-read after it). */
  reserveMs?: number;
}

export class ManagementApi {
  /** Requests sent in this login (token included), for the decision log. */
  requests = 0;
  /** The tenant's rate limit, shared by this container's logins and, sealed, by every container. */
  readonly rateLimit: RateLimitGate;

  constructor(
    private readonly settings: ManagementSettings,
    private readonly cache: ActionCache,
    private readonly deadline: number,
    private readonly now: () => number = Date.now,
  ) {
    this.rateLimit = new RateLimitGate(cache, settings.sealKey, `${settings.domain}/${settings.clientId}`, now);
  }

  private get owner(): string {
    return `${this.settings.domain}/${this.settings.clientId}`;
  }

  // Sends one request within the remaining budget. Management API answers feed the rate-limit
  // gate; after a 429 (here or in another container) nothing is sent until the reset, and no
  // login waits for it: the request fails as rate_limited at once.
  private async send(method: string, url: string, init: { headers: Record<string, string>; body?: string }, reserveMs = 0): Promise<Response> {
    const metered = url.startsWith(`https://${this.settings.domain}/api/v2/`);
    // A bucket smaller than one pass (a Free tenant's): requests go one at a time, so each waits
    // for a token the previous answer showed, instead of parallel reads all meeting a 429.
    if (!metered || !this.rateLimit.smallBucket()) return this.sendNow(metered, method, url, init, reserveMs);
    const previous = smallBucketTurn;
    let release = () => {};
    smallBucketTurn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await this.sendNow(metered, method, url, init, reserveMs);
    } finally {
      release();
    }
  }

  private async sendNow(metered: boolean, method: string, url: string, init: { headers: Record<string, string>; body?: string }, reserveMs: number): Promise<Response> {
    if (metered) {
      // Only for a bucket smaller than one pass (rate-limit.ts): wait for its next token if the budget allows.
      const wait = this.rateLimit.smallBucketWait();
      if (wait > 0 && this.now() + wait + MIN_REQUEST_MS < this.deadline - reserveMs) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const remaining = this.deadline - reserveMs - this.now();
    if (remaining < MIN_REQUEST_MS) throw new ManagementApiError("budget_exhausted");
    if (metered && !this.rateLimit.maySend()) throw new ManagementApiError("rate_limited");
    this.requests++;
    let response: Response;
    try {
      response = await fetch(url, { method, ...init, signal: AbortSignal.timeout(Math.min(REQUEST_TIMEOUT_MS, remaining)) });
    } catch (err) {
      const name = (err as { name?: string })?.name;
      throw new ManagementApiError(name === "TimeoutError" || name === "AbortError" ? "timeout" : "no_answer");
    }
    if (metered) this.rateLimit.observe(response.status, response.headers);
    if (response.ok) return response;
    await response.body?.cancel().catch(() => undefined);
    throw new ManagementApiError(failureFor(response.status), response.status);
  }

  /** A Management API token: container memory, then the sealed api.cache entry, then client credentials. */
  async token(): Promise<string> {
    const now = this.now();
    const usable = (t: CachedToken | undefined): t is CachedToken => !!t && t.owner === this.owner && t.expiresAt - now > TOKEN_MARGIN_MS;
    if (usable(containerToken)) return containerToken.token;
    const record = this.cache.get(CACHE_KEY);
    const shared = typeof record?.value === "string" ? unseal(record.value, this.settings.sealKey, this.owner) : undefined;
    if (usable(shared)) {
      containerToken = shared;
      return shared.token;
    }
    tokenInFlight ??= this.requestToken().finally(() => (tokenInFlight = undefined));
    const fresh = await tokenInFlight;
    containerToken = fresh;
    const value = seal(fresh, this.settings.sealKey);
    const ttl = Math.min(fresh.expiresAt - TOKEN_MARGIN_MS - this.now(), CACHE_TTL_LIMIT_MS);
    if (value.length <= CACHE_VALUE_LIMIT && ttl > 0) this.cache.set(CACHE_KEY, value, { ttl });
    return fresh.token;
  }

  /** Forgets a token the API rejected, here and in api.cache, so the next call fetches a new one. */
  private dropToken(token: string): void {
    if (containerToken?.token === token) containerToken = undefined;
    const record = this.cache.get(CACHE_KEY);
    const shared = typeof record?.value === "string" ? unseal(record.value, this.settings.sealKey, this.owner) : undefined;
    if (!shared || shared.token === token) this.cache.delete(CACHE_KEY);
  }

  private async requestToken(): Promise<CachedToken> {
    const { domain, audience, clientId, clientSecret } = this.settings;
    const response = await this.send("POST", `https://${domain}/oauth/token`, {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, audience }).toString(),
    });
    const body = (await response.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof body?.access_token !== "string" || typeof body.expires_in !== "number") throw new ManagementApiError("bad_response", response.status);
    return { token: body.access_token, expiresAt: this.now() + body.expires_in * 1000, owner: this.owner };
  }

  /** One API call; a token the API rejects (401/403) is dropped and fetched again, once. */
  private async api(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : "";
    const url = `https://${this.settings.domain}/api/v2/${path}${query}`;
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (options.body !== undefined) headers["content-type"] = "application/json";
      try {
        const response = await this.send(method, url, { headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) }, options.reserveMs);
        const text = await response.text();
        if (text === "") return undefined;
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new ManagementApiError("bad_response", response.status);
        }
      } catch (err) {
        if (err instanceof ManagementApiError && (err.code === "unauthorized" || err.code === "forbidden") && attempt === 0) {
          this.dropToken(token);
          continue;
        }
        throw err;
      }
    }
  }

  private static users(body: unknown): Account[] {
    // A 200 that is not a list of users is an error, never "nobody found".
    if (!Array.isArray(body) || !body.every((u) => u !== null && typeof u === "object" && typeof (u as Account).user_id === "string")) {
      throw new ManagementApiError("bad_response", 200);
    }
    return body as Account[];
  }

  /** Users with exactly this email (users-by-email matches case-sensitively, and at once). */
  async usersByEmail(email: string): Promise<Account[]> {
    return ManagementApi.users(await this.api("GET", "users-by-email", { query: { email } }));
  }

  /** Users whose email matches case-insensitively (user search; eventually consistent). */
  async searchByEmail(email: string): Promise<Account[]> {
    const quoted = email.replace(/[\\"]/g, (c) => `\\${c}`);
    return ManagementApi.users(await this.api("GET", "users", { query: { q: `email:"${quoted}"`, search_engine: "v3", per_page: String(SEARCH_PAGE) } }));
  }

  async getUser(userId: string): Promise<Account> {
    const user = await this.api("GET", `users/${encodeURIComponent(userId)}`);
    return ManagementApi.users([user])[0];
  }

  async updateMetadata(userId: string, patch: MetadataPatch): Promise<void> {
    await this.api("PATCH", `users/${encodeURIComponent(userId)}`, { body: patch });
  }

  /** Links, keeping enough budget back to re-read the primary if the answer is lost. */
  async link(primaryUserId: string, step: LinkStep): Promise<void> {
    await this.api("POST", `users/${encodeURIComponent(primaryUserId)}/identities`, {
      body: { provider: step.provider, user_id: step.userId },
      reserveMs: REREAD_RESERVE_MS,
    });
  }

  // ---- Holdings (issue 18): read on the linking path only, in one parallel round ----

  /** A list endpoint's one page; a full page means more exist than we read: an error, never "that is all". */
  private async list(path: string): Promise<Record<string, unknown>[]> {
    const body = await this.api("GET", path, { query: { per_page: String(HOLDINGS_PAGE) } });
    if (!Array.isArray(body) || !body.every((item) => item !== null && typeof item === "object")) throw new ManagementApiError("bad_response", 200);
    if (body.length >= HOLDINGS_PAGE) throw new ManagementApiError("bad_response", 200);
    return body as Record<string, unknown>[];
  }

  /**
   * What a user holds off its profile. Endpoints and scopes (Auth0 Management API v2 docs):
   * GET users/{id}/roles (read:users, read:roles), GET users/{id}/permissions (read:users),
   * GET users/{id}/organizations (read:organizations), GET organizations/{org}/members/{user}/roles
   * (read:organization_member_roles), GET users/{id}/authentication-methods (read:authentication_methods).
   * All four start together; member roles follow their organization list only for members of one.
   */
  async holdings(userId: string): Promise<Holdings> {
    const [authorization, factors] = await Promise.all([this.authorization(userId), this.factors(userId)]);
    return { ...authorization, factors };
  }

  /** Roles, direct permissions, Organization memberships and their roles (three reads; member roles after the list). */
  async authorization(userId: string): Promise<Omit<Holdings, "factors">> {
    const id = encodeURIComponent(userId);
    const [roles, permissions, organizations] = await Promise.all([
      this.list(`users/${id}/roles`),
      this.list(`users/${id}/permissions`),
      this.list(`users/${id}/organizations`).then((orgs) =>
        Promise.all(
          orgs.map(async (org) => {
            const orgId = String(org.id);
            const orgRoles = await this.list(`organizations/${encodeURIComponent(orgId)}/members/${id}/roles`);
            return { id: orgId, roles: orgRoles.map((role) => String(role.id)) };
          }),
        ),
      ),
    ]);
    // Permissions granted through a role come with the role; only direct ones are the user's own.
    const direct = permissions.filter((p) => !Array.isArray(p.sources) || p.sources.some((source) => (source as { source_type?: unknown })?.source_type === "DIRECT"));
    return {
      roles: roles.map((role) => String(role.id)),
      permissions: direct.map((p) => `${String(p.resource_server_identifier)} ${String(p.permission_name)}`),
      organizations,
    };
  }

  /** Enrolled (confirmed) authentication method types: only those protect a login. */
  async factors(userId: string): Promise<string[]> {
    const methods = await this.list(`users/${encodeURIComponent(userId)}/authentication-methods`);
    return [...new Set(methods.filter((m) => m.confirmed !== false).map((m) => String(m.type)))];
  }

  /** Holdings of several users at once (one round). */
  async holdingsOf(userIds: string[]): Promise<Record<string, Holdings>> {
    const read = await Promise.all(userIds.map(async (userId) => [userId, await this.holdings(userId)] as const));
    return Object.fromEntries(read);
  }

  /**
   * Gives a user roles, permissions and Organization memberships with their roles (authorization
   * "carry"). Scopes: update:users (roles, permissions: POST users/{id}/roles, users/{id}/permissions),
   * create:organization_members, create:organization_member_roles. Memberships before their roles.
   */
  async grant(userId: string, grants: Grants): Promise<void> {
    const id = encodeURIComponent(userId);
    const writes: Promise<unknown>[] = [];
    if (grants.roles.length > 0) writes.push(this.api("POST", `users/${id}/roles`, { body: { roles: grants.roles } }));
    if (grants.permissions.length > 0) writes.push(this.api("POST", `users/${id}/permissions`, { body: { permissions: grants.permissions.map(permissionBody) } }));
    for (const org of grants.organizations) {
      const orgPath = `organizations/${encodeURIComponent(org.id)}/members`;
      writes.push(
        (async () => {
          if (org.joined) await this.api("POST", orgPath, { body: { members: [userId] } });
          if (org.roles.length > 0) await this.api("POST", `${orgPath}/${id}/roles`, { body: { roles: org.roles } });
        })(),
      );
    }
    await Promise.all(writes);
  }
}
