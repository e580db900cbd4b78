// One HTTPS request to the tenant with a deadline and the run's abort signal (Ctrl-C), answering
// status and parsed body whatever the status: the callers decide what an answer means.

/** Each request gets this long; a tenant slower than that answers "differently than expected". */
export const REQUEST_TIMEOUT_MS = 15_000;

export interface Answer {
  status: number;
  body: any;
}

/** The run was interrupted (Ctrl-C) while a request was in flight. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

/** The tenant could not be reached or did not answer in time. */
export class Unreachable extends Error {}

export async function request(url: string, init: { method: string; headers?: Record<string, string>; body?: string }, signal: AbortSignal): Promise<Answer> {
  if (signal.aborted) throw new Interrupted();
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
  } catch (err) {
    if (signal.aborted) throw new Interrupted();
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === "TimeoutError" ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new Unreachable(`${init.method} ${new URL(url).pathname}: ${why}`);
  }
  const text = await response.text().catch(() => "");
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text for the message
  }
  return { status: response.status, body };
}

/** A short description of an error answer from Auth0 (Management API or token endpoint). */
export function describe(answer: Answer): string {
  const b = answer.body ?? {};
  const code = b.errorCode ?? b.error;
  const message = b.message ?? b.error_description ?? (typeof b === "string" ? b.slice(0, 120) : "");
  return `${answer.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`;
}
