// One structured line per login decision. Auth0 keeps 256 characters of console output
// per Action, so the line is short: a reason code first, ids only while they fit.
// Never an email, a token or a secret: emails are digested, errors reduced to codes.

export interface DecisionLine {
  reason: string;
  /** Digest of the normalised email (see emailDigest), when the email was looked at. */
  email?: string;
  user?: string;
  primary?: string;
  /** The linked (or would-be linked) accounts; their count when the ids do not fit. */
  secondaries?: string[] | number;
  switched?: boolean;
  /** Why each other account with the email was left out (ineligible.* without the prefix). */
  ignored?: string[] | number;
  /** Report-only: the login would have ended as the primary. */
  wouldSwitch?: boolean;
  reportOnly?: boolean;
  /** The link followed the person's confirmation (sign-in to the other account). */
  confirmed?: boolean;
  /** Confirmation: whether the other provider can be made to ask for credentials again (confirm.ts, upstreamFreshness). */
  upstream?: string;
  /** refuse.authorization_differs: the kinds of authorization that differ (never ids or names). */
  differs?: string[];
  denied?: boolean;
  error?: string;
  requests?: number;
  ms?: number;
  /** Not written: a repeat of a line already logged in this container (defer.rate_limited, once per window). */
  quiet?: boolean;
}

export const LOG_LIMIT = 256;
const EMAIL = /[^\s"'<>@|]+@[^\s"'<>@]+\.[^\s"'<>@]+/g;
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

/** Serialises a decision, reason first; drops the id list, then ids, when the line would not fit. */
export function formatDecision(line: DecisionLine): string {
  const { reason, ...rest } = line;
  const entry: Record<string, unknown> = { linking: reason, ...rest };
  const render = () => JSON.stringify(entry).replace(EMAIL, "[email]").replace(JWT, "[token]");
  let text = render();
  if (text.length > LOG_LIMIT && Array.isArray(entry.ignored)) {
    entry.ignored = entry.ignored.length;
    text = render();
  }
  if (text.length > LOG_LIMIT && Array.isArray(entry.secondaries)) {
    entry.secondaries = entry.secondaries.length;
    text = render();
  }
  if (text.length > LOG_LIMIT) {
    delete entry.user;
    delete entry.primary;
    text = render();
  }
  return text;
}

export function logDecision(line: DecisionLine): void {
  if (line.quiet) return;
  console.log(formatDecision(line));
}
