// Paces requests by what the Management API says about its rate limit, for several workers at
// once. Every answer carries x-ratelimit-limit (bucket size), -remaining and -reset (when
// requests come back). The pacer keeps a picture of the bucket: what the latest answer said
// remained, minus the requests still in flight (they may not be counted yet), plus what has
// refilled since at the rate it has measured. A request goes out only when that picture holds a
// whole token, so a steady run meets no 429 however many workers share the limit and whatever
// the latency. An optional ceiling (--max-rate) caps it further.
//
// The bucket is the tenant's: logins (the Action), the tenant's back ends and Terraform draw on
// it too. With a `share` under 1 (the backfill's default: DEFAULT_SHARE, without --max-rate) the
// pacer leaves the rest: it never spends the bucket below (1 - share) of its size, and sends at
// most share x the refill it measures. The refill is measured net of everyone else's requests
// (the remainder falls faster than our own spend when others draw on it), so when logins take
// more the backfill slows down with them.

export interface RateHeaders {
  get(name: string): string | null;
}

/** The backfill's part of the tenant's limit when no --max-rate is given: half. */
export const DEFAULT_SHARE = 0.5;

export interface PacerOptions {
  /** Requests per second never to exceed, whatever the headers allow. */
  maxPerSecond?: number;
  /**
   * The part of the limit this caller may use (0 < share <= 1, default 1: all of it): the bucket is
   * never spent below (1 - share) x its size, and requests go at most at share x the measured refill
   * (x-ratelimit-limit per second until a refill is measured).
   */
  share?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Ends waits early (Ctrl-C). */
  stop?: AbortSignal;
}

/** One request the pacer let through: hand it back with the answer's headers. */
export interface Ticket {
  seq: number;
}

interface Sample {
  at: number;
  remaining: number;
  /** Requests answered (each took a token) up to this one. */
  answered: number;
}

/** Refill is measured over at least this long, so the headers' whole numbers barely matter. */
const MIN_SPAN_MS = 2000;
const LOWER_BOUND_SPAN_MS = 300;
const MAX_SPAN_MS = 10_000;
/** Spend slightly less than the measured refill: a little slower beats a 429. */
const REFILL_SAFETY = 0.97;

export class Pacer {
  /** Observed bucket size (x-ratelimit-limit). */
  limit: number | undefined;
  /** Time the workers spent waiting for the rate limit, summed over requests. */
  waitedMs = 0;
  /** Measured refill, requests per second (undefined until measured). */
  refillPerSecond: number | undefined;
  /** The refill was measured while the bucket was below full (not only a lower bound). */
  private refillMeasured = false;
  private readonly share: number;

  private remaining: number | undefined;
  private anchorAt = 0;
  /** The reset the latest counted answer gave: within one reset window the bucket only refills. */
  private anchorReset = NaN;
  private answered = 0;
  private resetAt = 0;
  private blockedUntil = 0;
  private inFlight = 0;
  private seq = 0;
  private lastSentAt = 0;
  private samples: Sample[] = [];
  private waiters: Array<() => void> = [];
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PacerOptions = {}) {
    this.share = options.share ?? 1;
    if (!(this.share > 0 && this.share <= 1)) throw new Error(`share must be in (0, 1], got ${options.share}`);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    options.stop?.addEventListener("abort", () => this.wakeAll(), { once: true });
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Whole tokens the bucket should hold for the next request (undefined: nothing known yet). */
  private available(now: number): number | undefined {
    if (this.remaining === undefined) return undefined;
    const refilled = this.refillPerSecond ? (this.refillPerSecond * REFILL_SAFETY * Math.max(0, now - this.anchorAt)) / 1000 : 0;
    const capacity = this.limit ?? Infinity;
    // With a share, the bottom of the bucket is left to the others (logins first).
    const floor = this.share < 1 && this.limit !== undefined ? (1 - this.share) * this.limit : 0;
    return Math.min(capacity, this.remaining + refilled) - this.inFlight - floor;
  }

  /** share x the refill (measured, or the bucket's size per second until then); undefined: no ceiling. */
  private shareCeiling(): number | undefined {
    if (this.share >= 1 || this.limit === undefined) return undefined;
    const refill = this.refillMeasured && this.refillPerSecond ? this.refillPerSecond : this.limit;
    return Math.max(0.1, this.share * refill);
  }

  /** How long to wait before trying again; 0 means go now. */
  private delay(now: number): { ms: number; untilAnswer: boolean } {
    if (this.blockedUntil > now) return { ms: this.blockedUntil - now, untilAnswer: false };
    if (this.options.maxPerSecond) {
      const spacing = this.lastSentAt + 1000 / this.options.maxPerSecond - now;
      if (spacing > 0) return { ms: spacing, untilAnswer: false };
    }
    const ceiling = this.shareCeiling();
    if (ceiling) {
      const spacing = this.lastSentAt + 1000 / ceiling - now;
      if (spacing > 0) return { ms: spacing, untilAnswer: false };
    }
    const available = this.available(now);
    // Nothing known yet: one request at a time until the first answer tells the limit.
    if (available === undefined) return this.inFlight === 0 ? { ms: 0, untilAnswer: false } : { ms: 1000, untilAnswer: true };
    if (available >= 1) return { ms: 0, untilAnswer: false };
    if (this.refillPerSecond) return { ms: Math.max(1, ((1 - available) / (this.refillPerSecond * REFILL_SAFETY)) * 1000), untilAnswer: this.inFlight > 0 };
    // Refill not measured yet: an answer brings news; with none coming, the reset time is sure.
    if (this.inFlight > 0) return { ms: Math.min(1000, Math.max(1, this.resetAt - now)), untilAnswer: true };
    // Past the reset requests have come back: one request finds out how many.
    if (this.resetAt > 0 && now >= this.resetAt) return { ms: 0, untilAnswer: false };
    return { ms: Math.max(1, this.resetAt - now, this.resetAt === 0 ? 1000 : 0), untilAnswer: false };
  }

  /** Waits until a request may go, and counts it as in flight. */
  async acquire(): Promise<Ticket> {
    for (;;) {
      if (this.options.stop?.aborted) return this.take();
      const now = this.now();
      const { ms, untilAnswer } = this.delay(now);
      if (ms <= 0) return this.take();
      this.waitedMs += ms;
      const started = now;
      if (untilAnswer) await this.answerOrSleep(ms);
      else await this.sleep(ms);
      // Only the time actually waited counts.
      this.waitedMs -= Math.max(0, ms - (this.now() - started));
    }
  }

  private take(): Ticket {
    this.inFlight++;
    this.lastSentAt = this.now();
    // A request sent on the reset's strength uses it up; the answer brings the next one.
    if (this.resetAt > 0 && this.lastSentAt >= this.resetAt) this.resetAt = Infinity;
    return { seq: this.seq++ };
  }

  private answerOrSleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      timer = setTimeout(done, ms);
    });
  }

  /** The answer to `ticket` arrived (headers absent when there was no answer). */
  release(_ticket: Ticket, headers: RateHeaders | undefined, status?: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const now = this.now();
    const remaining = Number(headers?.get("x-ratelimit-remaining") ?? NaN);
    const reset = Number(headers?.get("x-ratelimit-reset") ?? NaN);
    const limit = Number(headers?.get("x-ratelimit-limit") ?? NaN);
    if (Number.isFinite(limit)) this.limit = limit;
    // No reset given (no answer): assume a second, like a 429 without headers.
    this.resetAt = Number.isFinite(reset) ? reset * 1000 : now + 1000;
    // The latest answer is the freshest picture: answers come back in about the order the
    // requests took their tokens, and every request still unanswered is counted as taken.
    if (status === 429) {
      // Everyone waits for the reset; the refill was overestimated, so trust it a little less.
      this.remaining = 0;
      this.anchorAt = now;
      if (this.refillPerSecond) this.refillPerSecond *= 0.9;
    } else if (Number.isFinite(remaining)) {
      this.answered++;
      // An answer that overtook a later one reports the bucket as it was before that one took its
      // token: more than can have come back since. It must not raise the picture.
      const gained = this.refillPerSecond ? (this.refillPerSecond * (now - this.anchorAt)) / 1000 : 0;
      const overtaken = this.remaining !== undefined && reset * 1000 === this.anchorReset && remaining > this.remaining + gained + 0.5;
      if (!overtaken) {
        this.remaining = remaining;
        this.anchorAt = now;
        this.anchorReset = reset * 1000;
        this.measure({ at: now, remaining, answered: this.answered });
      }
    }
    this.wakeAll();
  }

  /** A 429 says when to come back: nobody sends before then. */
  blockUntil(at: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, at);
  }

  /**
   * Refill = (remaining now − remaining then + requests answered in between) / time, over 2 to 10
   * seconds so the headers' whole numbers barely matter. An answer showing a (nearly) full bucket
   * ends a window differently: the bucket may have stopped filling before it, so that window only
   * proves a lower bound (enough to stop waiting for whole-second resets).
   */
  private measure(sample: Sample): void {
    const full = this.limit !== undefined && sample.remaining >= this.limit - 1;
    const last = this.samples[this.samples.length - 1];
    if (full) {
      if (last && sample.at - last.at >= LOWER_BOUND_SPAN_MS) {
        const lower = ((sample.remaining - (last.remaining + 1) + (sample.answered - last.answered)) / (sample.at - last.at)) * 1000;
        if (lower > (this.refillPerSecond ?? 0)) this.refillPerSecond = lower;
      }
      this.samples = [sample];
      return;
    }
    this.samples.push(sample);
    while (this.samples.length > 2 && sample.at - this.samples[1].at >= MAX_SPAN_MS) this.samples.shift();
    const first = this.samples[0];
    const span = sample.at - first.at;
    if (span < MIN_SPAN_MS) return;
    const rate = ((sample.remaining - first.remaining + (sample.answered - first.answered)) / span) * 1000;
    if (rate > 0) {
      this.refillPerSecond = rate;
      this.refillMeasured = true;
    }
  }
}
