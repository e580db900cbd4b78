// The backfill's Management API calls, through the auth0 SDK with its own retries off: every
// request waits for the shared pacer and its answer feeds it, a 429 holds every worker until the
// reset its headers give (the Action's rule, with a batch job's patience), and 5xx/timeouts are
// retried a few times with backoff. Several workers call it at once.
import type { ManagementClient } from "auth0";
import type { Account } from "../../../action-src/decide";
import { rateLimitWait } from "../../../action-src/management";
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
}
