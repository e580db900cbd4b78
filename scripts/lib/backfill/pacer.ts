// Paces requests by what the Management API says about its rate limit: every answer carries
// x-ratelimit-remaining and x-ratelimit-reset, so the backfill waits for the reset when the bucket
// is empty instead of running into 429s. An optional ceiling (--max-rate) caps it further.

export interface RateHeaders {
  get(name: string): string | null;
}

export interface PacerOptions {
  /** Requests per second never to exceed, whatever the headers allow. */
  maxPerSecond?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class Pacer {
  private remaining: number | undefined;
  private resetAt = 0;
  private lastAt = 0;
  /** Observed bucket size (x-ratelimit-limit). */
  limit: number | undefined;
  waitedMs = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PacerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** How long the next request must wait, in ms. */
  delay(): number {
    const now = this.now();
    let wait = 0;
    if (this.remaining !== undefined && this.remaining <= 0 && this.resetAt > now) wait = this.resetAt - now;
    if (this.options.maxPerSecond) wait = Math.max(wait, this.lastAt + 1000 / this.options.maxPerSecond - now);
    return Math.max(0, wait);
  }

  async beforeRequest(): Promise<void> {
    const wait = this.delay();
    if (wait > 0) {
      this.waitedMs += wait;
      await this.sleep(wait);
    }
    this.lastAt = this.now();
  }

  observe(headers: RateHeaders | undefined): void {
    const remaining = Number(headers?.get("x-ratelimit-remaining") ?? NaN);
    const reset = Number(headers?.get("x-ratelimit-reset") ?? NaN);
    const limit = Number(headers?.get("x-ratelimit-limit") ?? NaN);
    if (Number.isFinite(remaining)) this.remaining = remaining;
    if (Number.isFinite(reset)) this.resetAt = reset * 1000;
    if (Number.isFinite(limit)) this.limit = limit;
  }
}
