// The tenant's Management API rate limit as the Action sees it. One place reads Auth0's headers
// and answers two questions: may a linking pass start now, and may a request be sent now. What
// it learns holds for this container (module scope) and, through a sealed api.cache entry, for
// every container of the Action.
//
// Auth0 docs, "Management API Endpoint Rate Limits": every rate-limited answer carries
// x-ratelimit-limit (the bucket's size), x-ratelimit-remaining and x-ratelimit-reset (UNIX
// seconds when tokens are added back); an empty bucket answers 429. The bucket is the tenant's,
// shared with the backfill, the tenant's own back ends and Terraform: the Action is a guest.
//
// - 429: nothing more is sent by any container until the reset (a "hard" window).
// - remaining under the reserve: no new linking pass starts until the reset (a pass already
//   started may finish its few requests), leaving the rest of the bucket to everyone else.
// A deferred login goes on unlinked, unmarked: the person is looked at again at a later login.
import type { ActionCache } from "./auth0-types";
import { sealJson, unsealJson } from "./sealed";

export const RATE_LIMIT_CACHE_KEY = "account-linking:rate-limit";
/**
 * No deferral reaches further ahead than this, whatever a header or a cache entry says: a reset
 * far in the future (or an entry replayed later) cannot switch linking off for longer.
 */
export const MAX_DEFER_MS = 60_000;
/** The longest a pass waits for a token in a bucket smaller than one pass (smallBucketWait). */
export const MAX_TOKEN_WAIT_MS = 1_000;
/** A 429 without a usable reset header: wait this long (Auth0 sends one; this is a floor). */
export const DEFAULT_DEFER_MS = 1_000;

/**
 * What one linking pass is counted as while it runs: its lookups (two exact, one search). A pass
 * that finds someone to link spends about six more (holdings reads, the merge, the link); those
 * are rare (first logins of people with duplicates) and stay within the reserve's margin.
 */
export const PASS_COST = 3;

/**
 * Left to other callers: 20 % of the bucket, at least 3, but never so much that a pass could not
 * start in a full bucket (a Free tenant's bucket holds 2: the Action still links there).
 */
export function reserveFor(limit: number): number {
  return Math.min(Math.max(3, Math.ceil(limit * 0.2)), Math.max(0, limit - PASS_COST));
}

/** What the remainder must hold for one more pass to start, with `running` passes running here. */
export function neededToStart(limit: number, running: number): number {
  return Math.min(PASS_COST * (running + 1), limit) + reserveFor(limit);
}

export interface RateWindow {
  /** No new linking pass before this (epoch ms). */
  until: number;
  /** No request at all before this (after a 429). */
  hardUntil: number;
  /** The latest answer's bucket: what remained, its size, and until when that holds (its reset). */
  bucket?: { remaining: number; limit: number; resetAt: number; at: number };
}

// This container's view, kept between logins.
let local: RateWindow = { until: 0, hardUntil: 0 };
// Linking passes running in this container: each counts as PASS_COST against what remains, so
// a burst of logins does not start more passes than the bucket can take before any answer.
let passesRunning = 0;
// The end of the last window this container logged, so a window is logged once, not per login.
let loggedUntil = 0;

interface Headers {
  get(name: string): string | null;
}

function header(headers: Headers, name: string): number {
  const raw = headers.get(name);
  return raw === null || raw.trim() === "" ? NaN : Number(raw);
}

export class RateLimitGate {
  constructor(
    private readonly cache: ActionCache,
    private readonly key: Buffer,
    private readonly owner: string,
    private readonly now: () => number = Date.now,
  ) {}

  private get aad(): string {
    return `rate-limit/${this.owner}`;
  }

  /** The window shared by the other containers, when it is ours, well-formed and within the horizon. */
  private shared(): RateWindow | undefined {
    const record = this.cache.get(RATE_LIMIT_CACHE_KEY);
    if (typeof record?.value !== "string") return undefined;
    const value = unsealJson(record.value, this.key, this.aad) as Partial<RateWindow> | undefined;
    if (typeof value?.until !== "number" || typeof value.hardUntil !== "number") return undefined;
    const horizon = this.now() + MAX_DEFER_MS;
    if (value.until > horizon || value.hardUntil > horizon) return undefined;
    const b = value.bucket;
    const bucket = b && [b.remaining, b.limit, b.resetAt, b.at].every((x) => typeof x === "number") && b.resetAt <= horizon ? b : undefined;
    return { until: value.until, hardUntil: value.hardUntil, ...(bucket ? { bucket } : {}) };
  }

  /** The window in force: the later of this container's and the shared one; the fresher bucket. */
  window(): RateWindow {
    const shared = this.shared();
    if (!shared) return { ...local };
    const bucket = [local.bucket, shared.bucket].filter((b) => b !== undefined).sort((a, b) => b!.at - a!.at)[0];
    return { until: Math.max(local.until, shared.until), hardUntil: Math.max(local.hardUntil, shared.hardUntil), ...(bucket ? { bucket } : {}) };
  }

  /**
   * May a linking pass start? Not inside a window; and not when what the latest answer said
   * remains, less PASS_COST for each pass already running here, would fall under the reserve.
   * Knowing nothing (no answer yet, or past the latest answer's reset): one pass at a time.
   */
  mayStart(): boolean {
    const now = this.now();
    const window = this.window();
    if (now < window.until) return false;
    const bucket = window.bucket && now < window.bucket.resetAt ? window.bucket : undefined;
    if (!bucket) return passesRunning === 0;
    if (bucket.remaining >= neededToStart(bucket.limit, passesRunning)) return true;
    // What remains is spoken for: no new pass here until the reset (not shared: it is this container's count).
    local = { ...local, until: Math.max(local.until, bucket.resetAt) };
    return false;
  }

  /** A pass starts (after mayStart): counted until `end` is called. */
  begin(): () => void {
    passesRunning++;
    let ended = false;
    return () => {
      if (!ended) passesRunning--;
      ended = true;
    };
  }

  /**
   * A bucket smaller than one pass (a Free tenant's holds 2) is empty after the lookups, so the link
   * would always meet a 429 and the person would never be linked. There, and only there, a pass
   * already under way waits for the next token (at most MAX_TOKEN_WAIT_MS) instead: no request is
   * refused and retried. Returns the wait in ms (0: send now).
   */
  /** The latest answer showed a bucket smaller than one pass (smallBucketWait's case). */
  smallBucket(): boolean {
    const bucket = this.window().bucket;
    return bucket !== undefined && bucket.limit <= PASS_COST;
  }

  smallBucketWait(): number {
    const now = this.now();
    const bucket = this.window().bucket;
    if (!bucket || bucket.limit > PASS_COST || bucket.remaining >= 1 || now >= bucket.resetAt) return 0;
    return Math.min(bucket.resetAt - now, MAX_TOKEN_WAIT_MS);
  }

  /** May a request be sent (no 429 window in force)? */
  maySend(): boolean {
    return this.now() >= this.window().hardUntil;
  }

  /** True for the first deferred login of a window in this container: it logs; the others stay quiet. */
  claimLog(): boolean {
    const now = this.now();
    if (now < loggedUntil) return false;
    loggedUntil = Math.max(now + 1, this.window().until);
    return true;
  }

  /** Reads one Management API answer's status and headers. */
  observe(status: number, headers: Headers): void {
    const now = this.now();
    const limit = header(headers, "x-ratelimit-limit");
    const remaining = header(headers, "x-ratelimit-remaining");
    const reset = header(headers, "x-ratelimit-reset");
    const resetAt = Number.isFinite(reset) ? reset * 1000 : NaN;
    const bounded = (at: number) => Math.min(Math.max(at, now), now + MAX_DEFER_MS);
    let next: RateWindow | undefined;
    if (status === 429) {
      const until = bounded(Number.isFinite(resetAt) && resetAt > now ? resetAt : now + DEFAULT_DEFER_MS);
      next = { until, hardUntil: until };
    } else if (Number.isFinite(limit) && Number.isFinite(remaining) && remaining < reserveFor(limit) && Number.isFinite(resetAt) && resetAt > now) {
      next = { until: bounded(resetAt), hardUntil: 0 };
    }
    if (Number.isFinite(limit) && Number.isFinite(remaining) && Number.isFinite(resetAt)) {
      local = { ...local, bucket: { remaining: status === 429 ? 0 : remaining, limit, resetAt: bounded(resetAt), at: now } };
    }
    const known = this.window();
    if (next) local = { ...local, until: Math.max(local.until, next.until), hardUntil: Math.max(local.hardUntil, next.hardUntil) };
    const windowGrew = next !== undefined && (next.until > known.until || next.hardUntil > known.hardUntil);
    // Other containers learn a window at once; the bucket's picture only rides along with it
    // (writing the cache on every answer would cost more than it saves).
    if (!windowGrew) return;
    const merged = { until: Math.max(known.until, next!.until), hardUntil: Math.max(known.hardUntil, next!.hardUntil), ...(local.bucket ? { bucket: local.bucket } : {}) };
    const ttl = merged.until - now;
    if (ttl > 0) this.cache.set(RATE_LIMIT_CACHE_KEY, sealJson(merged, this.key, this.aad), { ttl });
  }
}
