// The Management API, as thin as it can be: a token reused across logins and
// containers, four calls, a time budget, and 429s honoured only when the wait fits.
import type { ActionCache } from "./auth0-types";
import type { Account, LinkStep, MetadataPatch } from "./decide";

export interface ManagementSettings {
  domain: string;
  audience: string;
  clientId: string;
  clientSecret: string;
}

/** Stable failure codes; they end up in reason codes and logs (never the server's message). */
export type FailureCode =
  | "configuration"
  | "rate_limited"
  | "timeout"
  | "unavailable"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "bad_request"
  | "budget_exhausted";

export class ManagementApiError extends Error {
  constructor(
    readonly code: FailureCode,
    readonly status?: number,
  ) {
    super(code);
    this.name = "ManagementApiError";
  }
}

/** Whole budget for Management API work in one login; Auth0 kills the Action at 20 s. */
export const BUDGET_MS = 10_000;
/** Per-request ceiling (Auth0's guidance is under 10 s). */
const REQUEST_TIMEOUT_MS = 4_000;
/** Do not start a request with less time than this left. */
const MIN_REQUEST_MS = 500;
/** 429s retried per call, only when the server's reset time fits in the budget. */
const RATE_LIMIT_RETRIES = 2;
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
let sdk: typeof import("auth0") | undefined;

/** Required secrets; a missing one is a configuration error, reported by name. */
export function settingsFromSecrets(secrets: Record<string, string | undefined>): ManagementSettings {
  const read = (name: string): string => {
    const value = secrets[name];
    if (!value) throw new ManagementApiError("configuration");
    return value;
  };
  return {
    domain: read("AUTH0_DOMAIN"),
    audience: read("MANAGEMENT_AUDIENCE"),
    clientId: read("CLIENT_ID"),
    clientSecret: read("CLIENT_SECRET"),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

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

function failureFor(status: number | undefined): FailureCode {
  return (status !== undefined && FAILURES[status]) || "unavailable";
}

interface HttpFailure {
  status?: number;
  headers?: { get(name: string): string | null };
  timedOut: boolean;
}

function describeSdkError(err: unknown): HttpFailure {
  const e = err as { statusCode?: number; rawResponse?: { headers?: Headers }; name?: string };
  return { status: e?.statusCode, headers: e?.rawResponse?.headers, timedOut: e?.name === "ManagementTimeoutError" };
}

export class ManagementApi {
  // Requests sent in this login (token included), for the decision log.
  requests = 0;
  private client: import("auth0").ManagementClient | undefined;

  constructor(
    private readonly settings: ManagementSettings,
    private readonly cache: ActionCache,
    private readonly deadline: number,
    private readonly now: () => number = Date.now,
  ) {}

  private get owner(): string {
    return `${this.settings.domain}/${this.settings.clientId}`;
  }

  // Runs one request with the remaining budget, retrying a 429 only when its reset fits.
  private async withBudget<T>(send: (timeoutMs: number) => Promise<T>, describe: (err: unknown) => HttpFailure): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const remaining = this.deadline - this.now();
      if (remaining < MIN_REQUEST_MS) throw new ManagementApiError("budget_exhausted");
      this.requests++;
      try {
        return await send(Math.min(REQUEST_TIMEOUT_MS, remaining));
      } catch (err) {
        if (err instanceof ManagementApiError) throw err;
        const failure = describe(err);
        if (failure.timedOut) throw new ManagementApiError("timeout", failure.status);
        if (failure.status === 429 && attempt < RATE_LIMIT_RETRIES) {
          const wait = rateLimitWait(failure.headers, this.now());
          if (wait !== undefined && this.now() + wait + MIN_REQUEST_MS < this.deadline) {
            await sleep(wait);
            continue;
          }
        }
        throw new ManagementApiError(failureFor(failure.status), failure.status);
      }
    }
  }

  // A Management API token: container memory, then api.cache, then client credentials.
  async token(): Promise<string> {
    const now = this.now();
    const usable = (t: CachedToken | undefined): t is CachedToken =>
      !!t && t.owner === this.owner && t.expiresAt - now > TOKEN_MARGIN_MS;
    if (usable(containerToken)) return containerToken.token;

    const record = this.cache.get(CACHE_KEY);
    if (record?.value) {
      try {
        const shared = JSON.parse(record.value) as CachedToken;
        if (usable(shared)) {
          containerToken = shared;
          return shared.token;
        }
      } catch {
        // Not ours or corrupted: fetch a new token and overwrite it.
      }
    }

    const fresh = await this.withBudget(
      (timeoutMs) => this.requestToken(timeoutMs),
      (err) => err as HttpFailure,
    );
    containerToken = fresh;
    const value = JSON.stringify(fresh);
    const ttl = Math.min(fresh.expiresAt - TOKEN_MARGIN_MS - now, CACHE_TTL_LIMIT_MS);
    if (value.length <= CACHE_VALUE_LIMIT && ttl > 0) this.cache.set(CACHE_KEY, value, { ttl });
    return fresh.token;
  }

  private async requestToken(timeoutMs: number): Promise<CachedToken> {
    const { domain, audience, clientId, clientSecret } = this.settings;
    let response: Response;
    try {
      response = await fetch(`https://${domain}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, audience }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const name = (err as { name?: string })?.name;
      throw { timedOut: name === "TimeoutError" || name === "AbortError", status: undefined } satisfies HttpFailure;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw { status: response.status, headers: response.headers, timedOut: false } satisfies HttpFailure;
    }
    const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== "string" || typeof body.expires_in !== "number") {
      throw new ManagementApiError("unavailable", response.status);
    }
    return { token: body.access_token, expiresAt: this.now() + body.expires_in * 1000, owner: this.owner };
  }

  // The SDK costs ~0.5 s to load: only logins that reach the Management API pay it, once per container.
  private async sdkClient(): Promise<import("auth0").ManagementClient> {
    const token = await this.token();
    if (!sdk) sdk = require("auth0") as typeof import("auth0");
    if (!this.client) {
      this.client = new sdk.ManagementClient({ domain: this.settings.domain, token, maxRetries: 0, telemetry: false });
    }
    return this.client;
  }

  private async call<T>(send: (client: import("auth0").ManagementClient, timeoutInSeconds: number) => Promise<T>): Promise<T> {
    const client = await this.sdkClient();
    return this.withBudget((timeoutMs) => send(client, timeoutMs / 1000), describeSdkError);
  }

  // Users with exactly this email (Auth0 matches case-sensitively).
  async usersByEmail(email: string): Promise<Account[]> {
    const users = await this.call((client, timeoutInSeconds) =>
      client.users.listUsersByEmail({ email }, { timeoutInSeconds, maxRetries: 0 }),
    );
    return users as unknown as Account[];
  }

  async getUser(userId: string): Promise<Account> {
    const user = await this.call((client, timeoutInSeconds) => client.users.get(userId, {}, { timeoutInSeconds, maxRetries: 0 }));
    return user as unknown as Account;
  }

  async updateMetadata(userId: string, patch: MetadataPatch): Promise<void> {
    await this.call((client, timeoutInSeconds) => client.users.update(userId, patch, { timeoutInSeconds, maxRetries: 0 }));
  }

  async link(primaryUserId: string, step: LinkStep): Promise<void> {
    await this.call((client, timeoutInSeconds) =>
      client.users.identities.link(
        primaryUserId,
        { provider: step.provider as never, user_id: step.userId },
        { timeoutInSeconds, maxRetries: 0 },
      ),
    );
  }
}
