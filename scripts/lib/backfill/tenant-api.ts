// The backfill's Management API calls, through the auth0 SDK with its own retries off: every
// request waits for the shared pacer and its answer feeds it, a 429 holds every worker until the
// reset its headers give (the Action's rule, with a batch job's patience), and 5xx/timeouts are
// retried a few times with backoff. Several workers call it at once.
import type { ManagementClient } from "auth0";
import type { Account, Grants, Holdings } from "../../../action-src/decide";
import { HOLDINGS_PAGE, permissionBody, rateLimitWait } from "../../../action-src/management";
import { Pacer, type RateHeaders } from "./pacer";

const RATE_LIMIT_RETRIES = 8;
const MAX_RATE_LIMIT_WAIT_MS = 60_000;
const TRANSIENT_RETRIES = 3;

/** The operator asked to stop: raised instead of sending the next request. */
export class Stopped extends Error {
  constructor() {
    super("stopped by the operator");
    this.name = "Stopped";
  }
}

/** A sleep that ends early when `signal` aborts (Ctrl-C during a rate-limit wait). */
export function sleepUnlessStopped(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export class TenantApiError extends Error {
  constructor(readonly what: string, readonly status: number | undefined, detail: string) {
    super(`${what}: ${status ?? "no answer"} ${detail}`.trim());
    this.name = "TenantApiError";
  }
}

interface RawResponsePromise<T> {
  withRawResponse(): Promise<{ data: T; rawResponse: { headers: RateHeaders } }>;
}

function describe(err: unknown): { status?: number; headers?: RateHeaders; message: string } {
  const e = err as { statusCode?: number; rawResponse?: { headers?: RateHeaders }; message?: string; body?: { message?: string } };
  return { status: e?.statusCode, headers: e?.rawResponse?.headers, message: e?.body?.message ?? e?.message ?? String(err) };
}

export class TenantApi {
  requests = 0;
  rateLimited = 0;

  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: ManagementClient,
    readonly pacer: Pacer,
    /** Aborted when the operator stops: waits end early and no further request is sent. */
    private readonly stop?: AbortSignal,
  ) {
    this.sleep = (ms) => sleepUnlessStopped(ms, stop);
  }

  private async call<T>(what: string, send: () => RawResponsePromise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.stop?.aborted) throw new Stopped();
      const ticket = await this.pacer.acquire();
      if (this.stop?.aborted) {
        this.pacer.release(ticket, undefined);
        throw new Stopped();
      }
      this.requests++;
      try {
        const { data, rawResponse } = await send().withRawResponse();
        this.pacer.release(ticket, rawResponse.headers, 200);
        return data;
      } catch (err) {
        const failure = describe(err);
        this.pacer.release(ticket, failure.headers, failure.status);
        if (failure.status === 429) {
          this.rateLimited++;
          const wait = rateLimitWait(failure.headers, Date.now()) ?? 1000 * 2 ** Math.min(attempt, 5);
          if (attempt < RATE_LIMIT_RETRIES && wait <= MAX_RATE_LIMIT_WAIT_MS) {
            this.pacer.blockUntil(Date.now() + wait);
            continue;
          }
        } else if ((failure.status === undefined || failure.status >= 500) && attempt < TRANSIENT_RETRIES) {
          await this.sleep(500 * 2 ** attempt);
          if (this.stop?.aborted) throw new Stopped();
          continue;
        }
        throw new TenantApiError(what, failure.status, failure.message);
      }
    }
  }

  usersByEmail(email: string): Promise<Account[]> {
    return this.call("GET users-by-email", () => this.client.users.listUsersByEmail({ email }) as unknown as RawResponsePromise<Account[]>);
  }

  getUser(userId: string): Promise<Account> {
    return this.call(`GET user`, () => this.client.users.get(userId) as unknown as RawResponsePromise<Account>);
  }

  updateMetadata(userId: string, patch: { app_metadata?: Record<string, unknown>; user_metadata?: Record<string, unknown> }): Promise<unknown> {
    return this.call("PATCH user", () => this.client.users.update(userId, patch) as unknown as RawResponsePromise<unknown>);
  }

  link(primaryId: string, secondary: { provider: string; userId: string }): Promise<unknown> {
    return this.call("POST identities", () => this.client.users.identities.link(primaryId, { provider: secondary.provider as never, user_id: secondary.userId }) as unknown as RawResponsePromise<unknown>);
  }

  createExport(fields: string[]): Promise<{ id: string }> {
    return this.call("POST jobs/users-exports", () => this.client.jobs.usersExports.create({ format: "json", fields: fields.map((name) => ({ name })) }) as unknown as RawResponsePromise<{ id: string }>);
  }

  job(id: string): Promise<{ status: string; location?: string; percentage_done?: number; status_details?: string }> {
    return this.call("GET job", () => this.client.jobs.get(id) as unknown as RawResponsePromise<{ status: string; location?: string; percentage_done?: number }>);
  }

  /** One page of a list endpoint as the SDK returns it (a Page), through the same pacing and retries. */
  private listed<T>(what: string, page: () => Promise<{ data: T[]; rawResponse: unknown; response?: unknown }>): Promise<T[]> {
    // Without include_totals the API answers a bare list, which the SDK's page does not read as
    // its items (it looks for { roles: [...] } and the like): take the list itself then.
    const items = (p: { data: T[]; response?: unknown }) => (Array.isArray(p.response) ? (p.response as T[]) : p.data);
    return this.call(what, () => ({ withRawResponse: () => page().then((p) => ({ data: items(p), rawResponse: p.rawResponse })) }) as unknown as RawResponsePromise<T[]>);
  }

  /**
   * What a user holds off its profile, read just before it is linked (the decision's Holdings):
   * the same four reads as the Action, with the same scopes (read:roles, read:organizations,
   * read:organization_member_roles, read:authentication_methods besides read:users). A list that
   * fills its page is refused as incomplete, as in the Action.
   */
  async holdings(userId: string): Promise<Holdings> {
    return { ...(await this.authorization(userId)), factors: await this.factors(userId) };
  }

  private full<T>(userId: string, list: T[]): T[] {
    if (list.length >= HOLDINGS_PAGE) throw new TenantApiError("holdings", undefined, `${userId} holds ${HOLDINGS_PAGE} or more of one kind: left for an operator`);
    return list;
  }

  /** Roles, direct permissions, Organization memberships and their roles. */
  async authorization(userId: string): Promise<Omit<Holdings, "factors">> {
    const q = { per_page: HOLDINGS_PAGE } as never;
    const roles = this.full(userId, await this.listed("GET user roles", () => this.client.users.roles.list(userId, q)));
    const permissions = this.full(userId, await this.listed("GET user permissions", () => this.client.users.permissions.list(userId, q)));
    const orgs = this.full(userId, await this.listed("GET user organizations", () => this.client.users.organizations.list(userId, q)));
    const organizations = [];
    for (const org of orgs as Array<{ id: string }>) {
      const orgRoles = this.full(userId, await this.listed("GET organization member roles", () => this.client.organizations.members.roles.list(org.id, userId, q)));
      organizations.push({ id: org.id, roles: (orgRoles as Array<{ id: string }>).map((r) => r.id) });
    }
    type Permission = { permission_name: string; resource_server_identifier: string; sources?: Array<{ source_type?: string }> };
    return {
      roles: (roles as Array<{ id: string }>).map((r) => r.id),
      permissions: (permissions as Permission[]).filter((p) => !Array.isArray(p.sources) || p.sources.some((s) => s.source_type === "DIRECT")).map((p) => `${p.resource_server_identifier} ${p.permission_name}`),
      organizations,
    };
  }

  /** Enrolled (confirmed) authentication method types. */
  async factors(userId: string): Promise<string[]> {
    const methods = this.full(userId, await this.listed("GET authentication methods", () => this.client.users.authenticationMethods.list(userId, { per_page: HOLDINGS_PAGE } as never)));
    return [...new Set((methods as Array<{ type: string; confirmed?: boolean }>).filter((m) => m.confirmed !== false).map((m) => m.type))];
  }

  /** authorization "carry": gives the primary what the secondaries held (scopes as the Action's carry grant). */
  async grant(userId: string, g: Grants): Promise<void> {
    if (g.roles.length > 0) await this.call("POST user roles", () => this.client.users.roles.assign(userId, { roles: g.roles }) as unknown as RawResponsePromise<unknown>);
    if (g.permissions.length > 0) await this.call("POST user permissions", () => this.client.users.permissions.create(userId, { permissions: g.permissions.map(permissionBody) } as never) as unknown as RawResponsePromise<unknown>);
    for (const org of g.organizations) {
      if (org.joined) await this.call("POST organization members", () => this.client.organizations.members.create(org.id, { members: [userId] }) as unknown as RawResponsePromise<unknown>);
      if (org.roles.length > 0) await this.call("POST organization member roles", () => this.client.organizations.members.roles.assign(org.id, userId, { roles: org.roles }) as unknown as RawResponsePromise<unknown>);
    }
  }
}
